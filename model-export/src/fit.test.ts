// Tests of the training loop: instances, cached multi-context scoring, determinism and feature ablation.
import { beforeAll, describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES } from "../../core/features.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { type ExampleList, listFeatures, type Stage, temporalSplit, trainStage } from "./examples.js";
import { addToMean, averageInto, CachedListScorer, fitRanker, makeInstances, rowFeatures, windowNdcg } from "./fit.js";
import { type Dense, Mlp } from "./mlp.js";

let stage: Stage;

beforeAll(() => {
  const dataset = generateSynthetic({ users: 90, items: 250, seed: 8 });
  stage = trainStage(dataset, temporalSplit(dataset), { depth: 200, makeGenerator: () => new EaseGenerator() });
});

describe("makeInstances", () => {
  it("event mode: one instance per labelled held-out view, other held-out titles ignored", () => {
    for (const list of stage.lists) {
      const instances = makeInstances([list], "event");
      const labelled = list.events.filter((e) => list.ids.indexOf(e.itemId) >= 0);
      expect(instances).toHaveLength(labelled.length);
      instances.forEach((inst, k) => {
        const ev = labelled[k] as ExampleList["events"][number];
        expect(inst.context).toBe(ev.context);
        expect(inst.positives).toEqual([list.ids.indexOf(ev.itemId)]);
        const others = [...list.labels.keys()].filter((i) => list.labels[i] && list.ids[i] !== ev.itemId);
        expect([...inst.ignored].sort((a, b) => a - b)).toEqual(others);
      });
    }
  });

  it("window mode: one instance per list with a labelled title, every label positive", () => {
    const withLabels = stage.lists.filter((l) => l.labels.some((v) => v === 1));
    const instances = makeInstances(stage.lists, "window");
    expect(instances).toHaveLength(withLabels.length);
    for (const inst of instances) {
      expect(inst.context).toBe(inst.list.events[0]?.context);
      expect(inst.positives).toEqual([...inst.list.labels.keys()].filter((i) => inst.list.labels[i]));
    }
  });
});

describe("fitRanker", () => {
  const lists = () => stage.lists.filter((l) => l.userId % 5 !== 0);
  const val = () => stage.lists.filter((l) => l.userId % 5 === 0);

  it("is deterministic under a seed and logs one line per epoch", () => {
    const lines: string[] = [];
    const a = fitRanker(lists(), val(), { seed: 3, epochs: 2, patience: 5, log: (l) => lines.push(l) });
    const b = fitRanker(lists(), val(), { seed: 3, epochs: 2, patience: 5 });
    expect(b.model.toJson()).toEqual(a.model.toJson());
    expect(b.history.map((h) => [h.loss, h.valNdcg10])).toEqual(a.history.map((h) => [h.loss, h.valNdcg10]));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch {2}1 {2}loss \d+\.\d{4} {2}val NDCG@10 \(next\) \d\.\d{4} \(origin \d\.\d{4}\)/);
    const c = fitRanker(lists(), val(), { seed: 4, epochs: 2, patience: 5 });
    expect(c.model.toJson()).not.toEqual(a.model.toJson());
  });

  it("never reads dropped features", () => {
    const drop = ["hour_sin", "hour_cos", "device_tv"];
    const { model } = fitRanker(lists(), val(), { seed: 1, epochs: 1, dropFeatures: drop });
    const first = model.folded().layers[0] as Dense;
    for (const name of drop) {
      const j = FEATURE_NAMES.indexOf(name);
      for (let o = 0; o < first.outSize; o++) expect(first.w[o * FEATURE_COUNT + j]).toBe(0);
    }
  });

  it("distillation pulls a student's rankings toward its teachers'", () => {
    const teacher = fitRanker(lists(), val(), { seed: 3, epochs: 3, patience: 5 }).model;
    const student = fitRanker(lists(), val(), { seed: 5, epochs: 3, patience: 5, teachers: [teacher], distill: 1 });
    const alone = fitRanker(lists(), val(), { seed: 5, epochs: 3, patience: 5 });
    const top10 = (model: typeof teacher, list: ExampleList) => {
      const s = new CachedListScorer(model).score(
        list,
        list.events[0]?.context as ExampleList["events"][number]["context"],
      );
      return new Set([...s.keys()].sort((a, b) => (s[b] as number) - (s[a] as number)).slice(0, 10));
    };
    const overlap = (model: typeof teacher) =>
      val().reduce((sum, list) => {
        const t = top10(teacher, list);
        return sum + [...top10(model, list)].filter((i) => t.has(i)).length;
      }, 0);
    expect(overlap(student.model)).toBeGreaterThan(overlap(alone.model));
  });

  it("refuses distillation without teachers or with a weight outside [0, 1]", () => {
    expect(() => fitRanker(lists(), val(), { epochs: 1, distill: 0.5 })).toThrow("distill needs at least one teacher");
    const teacher = fitRanker(lists(), val(), { seed: 3, epochs: 1 }).model;
    expect(() => fitRanker(lists(), val(), { epochs: 1, teachers: [teacher], distill: 1.5 })).toThrow(
      "distill must be in [0, 1], got 1.5",
    );
  });

  it("weight averaging keeps the averaged net it validated, reproducibly, and still never reads dropped features", () => {
    const opts = { seed: 3, epochs: 3, patience: 5, valProtocol: "window" as const, dropFeatures: ["device_tv"] };
    const a = fitRanker(lists(), val(), { ...opts, ema: 0.9 });
    const b = fitRanker(lists(), val(), { ...opts, ema: 0.9 });
    const plain = fitRanker(lists(), val(), opts);
    expect(b.model.toJson()).toEqual(a.model.toJson());
    expect(a.model.toJson()).not.toEqual(plain.model.toJson());
    // The kept net is the one whose validation NDCG@10 the history reports for the kept epoch.
    const kept = a.history[a.bestEpoch - 1]?.valNdcg10;
    expect(windowNdcg(val(), new CachedListScorer(a.model).score)).toBe(kept);
    const first = a.model.folded().layers[0] as Dense;
    const j = FEATURE_NAMES.indexOf("device_tv");
    for (let o = 0; o < first.outSize; o++) expect(first.w[o * FEATURE_COUNT + j]).toBe(0);
  });

  it("weight averaging starts from the initial weights: after one step it is ema of them and 1 - ema of the step", () => {
    // One batch holds every instance, so an epoch is one Adam step.
    const opts = { seed: 3, epochs: 1, batch: 100_000, valProtocol: "window" as const };
    const averaged = fitRanker(lists(), val(), { ...opts, ema: 0.9 }).model;
    const stepped = fitRanker(lists(), val(), opts).model;
    const start = Mlp.init({ inputSize: FEATURE_COUNT, hidden: [32, 16] }, 3);
    averaged.layers.forEach((layer, l) => {
      const [s0, s1] = [start.layers[l] as Dense, stepped.layers[l] as Dense];
      const want = (a: number, b: number) => 0.9 * a + 0.1 * b;
      for (const [i, w] of layer.w.entries())
        expect(Math.abs(w - want(s0.w[i] as number, s1.w[i] as number))).toBeLessThan(1e-6);
      for (const [i, b] of layer.b.entries())
        expect(Math.abs(b - want(s0.b[i] as number, s1.b[i] as number))).toBeLessThan(1e-6);
    });
  });

  it("stochastic weight averaging trains every epoch and keeps the mean from epoch swa on, the net it validated last", () => {
    const opts = { seed: 3, epochs: 4, patience: 1, valProtocol: "window" as const, dropFeatures: ["device_tv"] };
    const a = fitRanker(lists(), val(), { ...opts, swa: 2 });
    expect(a.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(a.bestEpoch).toBe(4);
    expect(fitRanker(lists(), val(), { ...opts, swa: 2 }).model.toJson()).toEqual(a.model.toJson());
    expect(windowNdcg(val(), new CachedListScorer(a.model).score)).toBe(a.history[3]?.valNdcg10);
    const first = a.model.folded().layers[0] as Dense;
    const j = FEATURE_NAMES.indexOf("device_tv");
    for (let o = 0; o < first.outSize; o++) expect(first.w[o * FEATURE_COUNT + j]).toBe(0);
    // Averaging from the last epoch alone keeps that epoch's weights: a one-epoch run equals the plain one.
    const one = { seed: 3, epochs: 1, valProtocol: "window" as const };
    expect(fitRanker(lists(), val(), { ...one, swa: 1 }).model.toJson()).toEqual(
      fitRanker(lists(), val(), one).model.toJson(),
    );
  });

  it("refuses an averaging epoch past the last, not an integer, or with ema", () => {
    for (const swa of [5, 1.5, -1])
      expect(() => fitRanker(lists(), val(), { epochs: 4, swa })).toThrow(
        `swa must be an epoch in [1, 4] (or 0: none), got ${swa}`,
      );
    expect(() => fitRanker(lists(), val(), { epochs: 4, swa: 2, ema: 0.9 })).toThrow("swa and ema exclude each other");
  });

  it("refuses a weight-averaging decay outside [0, 1)", () => {
    for (const ema of [1, -0.1, Number.NaN])
      expect(() => fitRanker(lists(), val(), { epochs: 1, ema })).toThrow(`ema must be in [0, 1), got ${ema}`);
  });

  it("refuses lists without a single labelled candidate", () => {
    const unlabelled = stage.lists.map((l) => ({ ...l, labels: new Uint8Array(l.labels.length) }));
    expect(() => fitRanker(unlabelled, [], { epochs: 1 })).toThrow("no training instance");
  });
});

describe("averageInto", () => {
  it("addToMean keeps a running mean: three nets in, their mean out", () => {
    const nets = [1, 2, 3].map((seed) => Mlp.init({ inputSize: 4, hidden: [3] }, seed));
    const mean = Mlp.init({ inputSize: 4, hidden: [3] }, 9);
    for (const [count, net] of nets.entries()) addToMean(mean, net, count);
    mean.layers.forEach((layer, l) => {
      const at = (i: number, k: "w" | "b") => nets.map((n) => (n.layers[l] as Dense)[k][i] as number);
      for (const [i, w] of layer.w.entries()) {
        const [x, y, z] = at(i, "w") as [number, number, number];
        expect(Math.abs(w - (x + y + z) / 3)).toBeLessThan(1e-6);
      }
      for (const [i, b] of layer.b.entries()) {
        const [x, y, z] = at(i, "b") as [number, number, number];
        expect(Math.abs(b - (x + y + z) / 3)).toBeLessThan(1e-6);
      }
    });
  });

  it("moves every weight and bias a (1 - decay) share of the way to the net's", () => {
    const net = (w: number[], b: number[]) =>
      new Mlp([{ inSize: 4, outSize: 1, w: Float32Array.from(w), b: Float32Array.from(b) }]);
    const avg = net([1, 2, 3, 4], [8]);
    averageInto(avg, net([5, 6, -1, 0], [-8]), 0.75);
    const layer = avg.layers[0] as Dense;
    expect([...layer.w]).toEqual([2, 3, 2, 3]);
    expect([...layer.b]).toEqual([4]);
  });
});

describe("rowFeatures", () => {
  it("equals the chosen rows of the whole list's extractFeatures, column for column", () => {
    const cache = new Map<ExampleList, Float32Array>();
    let checked = 0;
    for (const list of stage.lists.filter((l) => l.ids.length > 20).slice(0, 5)) {
      for (const ev of list.events) {
        const rows = [0, 3, list.ids.length - 1, 7, 19];
        const got = rowFeatures(list, ev.context, rows, cache);
        const full = listFeatures(list, ev.context);
        rows.forEach((r, i) => {
          expect(Array.from(got.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT))).toEqual(
            Array.from(full.data.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)),
          );
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe("CachedListScorer", () => {
  it("equals the model's forward pass on fresh features, across contexts, years and lists", () => {
    const { model } = fitRanker(stage.lists, stage.lists.slice(0, 5), { seed: 2, epochs: 1 });
    const scorer = new CachedListScorer(model);
    const lists = stage.lists.filter((l) => l.ids.length > 0).slice(0, 6);
    let compared = 0;
    for (const list of lists) {
      const contexts = [
        ...list.events.map((e) => e.context),
        { ...(list.events[0] as ExampleList["events"][number]).context, year: 2031, device: "tablet" as const },
      ];
      for (const ctx of contexts) {
        const m = listFeatures(list, ctx);
        const expected = model.score(m.data, m.rows);
        const got = scorer.score(list, ctx);
        expect(got).toHaveLength(list.ids.length);
        for (let i = 0; i < got.length; i++)
          expect(Math.abs((got[i] as number) - (expected[i] as number))).toBeLessThan(1e-5);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(12);
  });
});
