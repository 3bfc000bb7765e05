// Evaluation protocols: the random split's shape and determinism, both protocols end to end on a small world, the HTML.
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { trainModel } from "./index.js";
import { randomSplit, renderHtml, runProtocols } from "./protocols.js";

const world = generateSynthetic({ seed: 11, users: 80, items: 120 });

describe("randomSplit", () => {
  it("holds out a quarter of each user's interactions, disjoint from training, deterministically", () => {
    const a = randomSplit(world, 3);
    const b = randomSplit(world, 3);
    expect(b).toEqual(a);
    expect(randomSplit(world, 4).test).not.toEqual(a.test);
    let held = 0;
    for (const [userId, xs] of a.test) {
      const all = world.interactions.filter((x) => x.userId === userId);
      expect(xs.length).toBe(Math.max(1, Math.round(all.length * 0.25)));
      const train = new Set(a.train.filter((x) => x.userId === userId));
      for (const x of xs) expect(train.has(x)).toBe(false);
      for (let i = 1; i < xs.length; i++) expect((xs[i]?.ts as number) >= (xs[i - 1]?.ts as number)).toBe(true);
      held += xs.length;
    }
    expect(held + a.train.length).toBe(world.interactions.length);
  });

  it("keeps a user with one interaction wholly visible", () => {
    const one = {
      ...world,
      interactions: world.interactions
        .filter((x) => x.userId !== 1)
        .concat([{ ...(world.interactions.find((x) => x.userId === 1) as (typeof world.interactions)[number]) }]),
    };
    expect(randomSplit(one, 1).test.has(1)).toBe(false);
  });
});

describe("runProtocols", () => {
  it("scores popularity, origin order and origin + re-ranker under both protocols; deterministic; renders a chart", async () => {
    const opts = { seed: 2, epochs: 2 };
    const report = await runProtocols(world, opts);
    expect(report.results.map((r) => r.protocol)).toEqual(["temporal", "random"]);
    for (const r of report.results) {
      for (const m of ["popularity", "origin", "model"] as const) {
        const x = r.headline[m];
        expect(x.count).toBeGreaterThan(50);
        for (const v of [x.ndcg10, x.recall10, x.hit10, x.mrr]) expect(v).toBeGreaterThanOrEqual(0);
        // Per ranking recall <= hit (both are 0 without a relevant title in the top 10).
        expect(x.hit10).toBeGreaterThanOrEqual(x.recall10);
      }
      expect(r.trainedOn.interactions).toBeLessThan(world.interactions.length);
    }
    // The temporal re-ranker is train's recipe with the epoch picked on validation users' per-user NDCG@10.
    const temporal = await trainModel(world, { ...opts, depth: 500, evaluate: true, valProtocol: "window" });
    expect(report.results[0]?.headline.model).toEqual(temporal.report.test?.window.model);
    const again = await runProtocols(world, opts);
    expect(again.results.map((r) => r.headline)).toEqual(report.results.map((r) => r.headline));

    const html = renderHtml(report);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain(`origin order NDCG@10: ${report.results[0]?.headline.origin.ndcg10.toFixed(4)}`);
    expect(html).not.toMatch(/<script|https?:\/\//);
  }, 60_000);
});

describe("trainModel with random labels", () => {
  it("trains on random held-out quarters and says so; refuses a test cut it does not have", async () => {
    await expect(trainModel(world, { labels: "random" })).rejects.toThrow(
      "labels: random has no test cut: set evaluate false",
    );
    const r = await trainModel(world, { labels: "random", evaluate: false, epochs: 1, instances: "window" });
    expect(r.manifest.training?.labels).toBe("random per-user 25% held out");
    expect(r.report.test).toBeNull();
    // Each further cut is another seeded random quarter: more training lists, the same validation lists.
    const two = await trainModel(world, {
      labels: "random",
      evaluate: false,
      epochs: 1,
      instances: "window",
      trainCuts: 2,
    });
    expect(two.report.users.valLists).toBe(r.report.users.valLists);
    expect(two.report.users.trainLists).toBe(2 * r.report.users.trainLists);
    expect(two.report.fit.trainCuts).toBe(2);
  }, 30_000);
});
