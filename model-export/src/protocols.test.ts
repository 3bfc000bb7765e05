// Evaluation protocols: the random split's shape and determinism, both protocols end to end on a small world, the HTML.
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import type { Evaluation } from "./evaluate.js";
import { trainModel } from "./index.js";
import {
  type EvaluationReport,
  formatSeedSummary,
  type Protocol,
  randomProtocolEpochs,
  randomSplit,
  renderHtml,
  runProtocols,
  summariseSeeds,
} from "./protocols.js";

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
    // The random re-ranker keeps the mean of its weights over the last two thirds of the epochs (here 1 and 2).
    expect(report.results.map((r) => [r.protocol, r.swa, r.ema])).toEqual([
      ["temporal", 0, 0],
      ["random", 1, 0],
    ]);
    const again = await runProtocols(world, opts);
    expect(again.results.map((r) => r.headline)).toEqual(report.results.map((r) => r.headline));

    const html = renderHtml(report);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain(`origin order NDCG@10: ${report.results[0]?.headline.origin.ndcg10.toFixed(4)}`);
    expect(html).not.toMatch(/<script|https?:\/\//);
  }, 60_000);
});

describe("randomProtocolEpochs", () => {
  it("averages from epoch ceil(E / 3) of 30 by default; an explicit --swa keeps; --swa 0 or an ema trains 40 without", () => {
    expect(randomProtocolEpochs({})).toEqual({ epochs: 30, swa: 10 });
    expect(randomProtocolEpochs({ epochs: 7 })).toEqual({ epochs: 7, swa: 3 });
    expect(randomProtocolEpochs({ epochs: 1 })).toEqual({ epochs: 1, swa: 1 });
    expect(randomProtocolEpochs({ swa: 5 })).toEqual({ epochs: 30, swa: 5 });
    expect(randomProtocolEpochs({ swa: 0 })).toEqual({ epochs: 40, swa: 0 });
    expect(randomProtocolEpochs({ ema: 0.999 })).toEqual({ epochs: 40, swa: 0 });
    expect(randomProtocolEpochs({ ema: 0 })).toEqual({ epochs: 30, swa: 10 });
    expect(randomProtocolEpochs({ epochs: 12, swa: 0 })).toEqual({ epochs: 12, swa: 0 });
  });
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

describe("summariseSeeds", () => {
  const metrics = (ndcg10: number) => ({ ndcg10, recall10: 0, hit10: 0, mrr: 0, count: 10 });
  const run = (seed: number, rows: [Protocol, number, number][], fingerprint = "f"): EvaluationReport => ({
    dataset: "d",
    fingerprint,
    seed,
    depth: 500,
    results: rows.map(([protocol, origin, model]) => ({
      protocol,
      description: protocol,
      headline: { popularity: metrics(0.1), origin: metrics(origin), model: metrics(model) },
      evaluation: {} as Evaluation,
      trainedOn: { interactions: 1, fingerprint },
      origin: { name: "ease", params: { lambda: 300 } },
      seconds: 0,
    })),
  });

  it("per protocol: each seed's NDCG@10, the gain's mean, sample s.d. and s.e., the mean relative gain", () => {
    const runs = [
      run(1, [
        ["temporal", 0.1, 0.11],
        ["random", 0.4, 0.41],
      ]),
      run(2, [
        ["temporal", 0.1, 0.1],
        ["random", 0.4, 0.43],
      ]),
      run(7, [
        ["temporal", 0.1, 0.12],
        ["random", 0.4, 0.42],
      ]),
    ];
    const [temporal, random] = summariseSeeds(runs);
    expect(temporal?.protocol).toBe("temporal");
    expect(temporal?.seeds).toEqual([1, 2, 7]);
    expect(temporal?.origin).toEqual([0.1, 0.1, 0.1]);
    expect(temporal?.model).toEqual([0.11, 0.1, 0.12]);
    // Gains 0.01, 0, 0.02: mean 0.01, s.d. 0.01 (n - 1 in the denominator), s.e. 0.01 / sqrt(3).
    expect(temporal?.gain.mean).toBeCloseTo(0.01, 12);
    expect(temporal?.gain.sd).toBeCloseTo(0.01, 12);
    expect(temporal?.gain.se).toBeCloseTo(0.01 / Math.sqrt(3), 12);
    expect(temporal?.relative).toBeCloseTo(0.1, 12);
    expect(random?.gain.mean).toBeCloseTo(0.02, 12);
    expect(random?.relative).toBeCloseTo(0.05, 12);
    expect(formatSeedSummary(summariseSeeds(runs)).split("\n")).toEqual([
      "temporal, seeds 1, 2, 7: re-ranker - origin NDCG@10 +0.0100 (+10.0%) mean, s.d. 0.0100, s.e. 0.0058 across seeds; per seed 1: +10.0%, 2: +0.0%, 7: +20.0%",
      "random, seeds 1, 2, 7: re-ranker - origin NDCG@10 +0.0200 (+5.0%) mean, s.d. 0.0100, s.e. 0.0058 across seeds; per seed 1: +2.5%, 2: +7.5%, 7: +5.0%",
    ]);
  });

  it("refuses one run, runs of different data and runs of different protocols", () => {
    const a = run(1, [["random", 0.4, 0.41]]);
    expect(() => summariseSeeds([a])).toThrow("summariseSeeds: needs at least 2 runs, got 1");
    expect(() => summariseSeeds([a, run(2, [["random", 0.4, 0.41]], "g")])).toThrow(
      "summariseSeeds: the runs scored different data",
    );
    expect(() => summariseSeeds([a, run(2, [["temporal", 0.1, 0.1]])])).toThrow(
      "summariseSeeds: the runs scored different protocols",
    );
  });
});
