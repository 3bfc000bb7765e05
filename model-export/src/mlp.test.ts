// Tests of the MLP: gradients against finite differences, seeded determinism, losses, Adam and standardisation folding.
import { describe, expect, it } from "vitest";
import { Adam, columnStats, type Dense, distillListLoss, Mlp, pairwiseLoss, Rng, softmaxListLoss } from "./mlp.js";

function randomInputs(rng: Rng, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** Loss of a softmax list loss through the network, and its analytic parameter gradients. */
function lossAndGrads(model: Mlp, x: Float64Array, rows: number, positive: Uint8Array, offset?: Float64Array) {
  const { acts } = model.forward(x, rows);
  const scores = acts[acts.length - 1] as Float64Array;
  const g = new Float64Array(rows);
  const loss = softmaxListLoss(scores, positive, g, offset);
  const grads = model.zeroGrads();
  model.backward(acts, g, rows, grads);
  return { loss, grads };
}

describe("Mlp gradients", () => {
  it("match central finite differences for every parameter (softmax list loss with offsets)", () => {
    const rng = new Rng(7);
    const model = Mlp.init({ inputSize: 5, hidden: [6, 4] }, 3, "float64");
    // Biases away from zero so no unit sits on its ReLU kink.
    for (const layer of model.layers) for (let i = 0; i < layer.b.length; i++) layer.b[i] = 0.3 * rng.normal();
    const rows = 7;
    const x = randomInputs(rng, rows, 5);
    const positive = Uint8Array.from([1, 0, 0, 1, 0, 0, 0]);
    const offset = Float64Array.from([0, 0.5, 0.5, 0, 0.5, 0.5, 0.5]);
    const { grads } = lossAndGrads(model, x, rows, positive, offset);
    const h = 1e-6;
    let checked = 0;
    model.layers.forEach((layer, l) => {
      for (const key of ["w", "b"] as const) {
        const p = layer[key];
        for (let i = 0; i < p.length; i++) {
          const keep = p[i] as number;
          p[i] = keep + h;
          const up = lossAndGrads(model, x, rows, positive, offset).loss;
          p[i] = keep - h;
          const down = lossAndGrads(model, x, rows, positive, offset).loss;
          p[i] = keep;
          const numeric = (up - down) / (2 * h);
          const analytic = ((grads[l] as Dense)[key][i] as number) ?? 0;
          expect(Math.abs(numeric - analytic)).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
          checked++;
        }
      }
    });
    expect(checked).toBe(model.paramCount);
  });

  it("pairwise loss gradient matches finite differences on the scores", () => {
    const scores = [0.3, -1.2, 2.0, 0.1];
    const pairs = [0, 1, 0, 3, 2, 1];
    const g = new Float64Array(4);
    pairwiseLoss(scores, pairs, g);
    const h = 1e-6;
    for (let i = 0; i < scores.length; i++) {
      const up = [...scores];
      up[i] = (up[i] as number) + h;
      const down = [...scores];
      down[i] = (down[i] as number) - h;
      const numeric =
        (pairwiseLoss(up, pairs, new Float64Array(4)) - pairwiseLoss(down, pairs, new Float64Array(4))) / (2 * h);
      expect(g[i]).toBeCloseTo(numeric, 8);
    }
  });
});

describe("losses", () => {
  it("softmax list loss has the closed-form value and gradient", () => {
    const g = new Float64Array(2);
    expect(softmaxListLoss([0, 0], Uint8Array.from([1, 0]), g)).toBeCloseTo(Math.log(2), 12);
    expect(Array.from(g)).toEqual([-0.5, 0.5]);
    // Two positives share the target mass: loss = lse - mean(s_p).
    const g3 = new Float64Array(3);
    const loss = softmaxListLoss([1, 2, 3], Uint8Array.from([1, 1, 0]), g3);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(loss).toBeCloseTo(lse - 1.5, 12);
    expect(g3[2]).toBeCloseTo(Math.exp(3 - lse), 12);
    expect(g3[0]).toBeCloseTo(Math.exp(1 - lse) - 0.5, 12);
  });

  it("distillation: a = 0 is the softmax list loss; the closed form at a = 0.5; teacher only without positives", () => {
    const scores = [0.3, -1.2, 2, 0.7];
    const positive = Uint8Array.from([0, 1, 0, 1]);
    const teacher = [1, 0, -1, 2];
    const offset = [0, 0.4, 0.4, 0];
    const g = new Float64Array(4);
    const gSoftmax = new Float64Array(4);
    expect(distillListLoss(scores, positive, teacher, 0, g, offset)).toBeCloseTo(
      softmaxListLoss(scores, positive, gSoftmax, offset),
      12,
    );
    for (let i = 0; i < 4; i++) expect(g[i]).toBeCloseTo(gSoftmax[i] as number, 12);

    // Student uniform over two titles, teacher softmax (0.75, 0.25), label on the first: target (0.875, 0.125).
    const g2 = new Float64Array(2);
    expect(distillListLoss([0, 0], Uint8Array.from([1, 0]), [Math.log(3), 0], 0.5, g2)).toBeCloseTo(Math.log(2), 12);
    expect(g2[0]).toBeCloseTo(-0.375, 12);
    expect(g2[1]).toBeCloseTo(0.375, 12);

    // No positive: the teacher's softmax is the whole target, so a student equal to it has zero gradient.
    const g3 = Float64Array.from([9, 9, 9]);
    const same = [0.5, 1, -2];
    const loss = distillListLoss(same, Uint8Array.from([0, 0, 0]), same, 0.3, g3);
    for (const x of g3) expect(x).toBeCloseTo(0, 12);
    const lse = Math.log(same.reduce((a, v) => a + Math.exp(v), 0));
    expect(loss).toBeCloseTo(-same.reduce((a, v) => a + Math.exp(v - lse) * (v - lse), 0), 12);
  });

  it("distillation's gradient matches finite differences of its loss", () => {
    const scores = [0.3, -1.2, 2, 0.7, 0.1];
    const positive = Uint8Array.from([1, 0, 0, 1, 0]);
    const teacher = [0.2, 0.9, -1, 1.5, 0];
    const offset = [0, 0.5, 0.5, 0, 0.5];
    const g = new Float64Array(5);
    distillListLoss(scores, positive, teacher, 0.6, g, offset);
    const h = 1e-6;
    const scratch = new Float64Array(5);
    for (let i = 0; i < 5; i++) {
      const up = scores.map((v, j) => (j === i ? v + h : v));
      const down = scores.map((v, j) => (j === i ? v - h : v));
      const numeric =
        (distillListLoss(up, positive, teacher, 0.6, scratch, offset) -
          distillListLoss(down, positive, teacher, 0.6, scratch, offset)) /
        (2 * h);
      expect(g[i]).toBeCloseTo(numeric, 8);
    }
  });

  it("a list without positives contributes nothing", () => {
    const g = Float64Array.from([9, 9]);
    expect(softmaxListLoss([1, 2], Uint8Array.from([0, 0]), g)).toBe(0);
    expect(Array.from(g)).toEqual([0, 0]);
  });

  it("pairwise loss is log 2 per tied pair and stable for large margins", () => {
    expect(pairwiseLoss([0, 0], [0, 1], new Float64Array(2))).toBeCloseTo(Math.log(2), 12);
    expect(pairwiseLoss([1000, 0], [0, 1], new Float64Array(2))).toBe(0);
    expect(pairwiseLoss([0, 1000], [0, 1], new Float64Array(2))).toBeCloseTo(1000, 9);
  });
});

describe("determinism", () => {
  it("the same seed gives the same weights; another seed does not", () => {
    const a = Mlp.init({ inputSize: 34, hidden: [32, 16] }, 42).toJson();
    const b = Mlp.init({ inputSize: 34, hidden: [32, 16] }, 42).toJson();
    const c = Mlp.init({ inputSize: 34, hidden: [32, 16] }, 43).toJson();
    expect(b).toEqual(a);
    expect(c.layers[0]?.w).not.toEqual(a.layers[0]?.w);
  });

  it("Rng sequences are reproducible and within range", () => {
    const a = new Rng(5);
    const b = new Rng(5);
    for (let i = 0; i < 1000; i++) {
      const v = a.next();
      expect(v).toBe(b.next());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe("training on a separable toy ranking problem", () => {
  /** Lists of 8 candidates; the positive is the one whose first two features have the same sign and largest product. */
  function toyLists(seed: number, count: number) {
    const rng = new Rng(seed);
    return Array.from({ length: count }, () => {
      const x = randomInputs(rng, 8, 4);
      let best = 0;
      for (let i = 1; i < 8; i++) {
        if ((x[i * 4] as number) * (x[i * 4 + 1] as number) > (x[best * 4] as number) * (x[best * 4 + 1] as number))
          best = i;
      }
      const positive = new Uint8Array(8);
      positive[best] = 1;
      return { x: Float32Array.from(x), positive, best };
    });
  }

  function train(seed: number) {
    const model = Mlp.init({ inputSize: 4, hidden: [16, 8] }, seed);
    const adam = new Adam(model, 0.01);
    const lists = toyLists(1, 64);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 60; epoch++) {
      let total = 0;
      for (const list of lists) {
        const { acts } = model.forward(list.x, 8);
        const g = new Float64Array(8);
        total += softmaxListLoss(acts[acts.length - 1] as Float32Array, list.positive, g);
        const grads = model.zeroGrads();
        model.backward(acts, g, 8, grads);
        adam.step(grads);
      }
      losses.push(total / lists.length);
    }
    return { model, losses };
  }

  it("drives the loss down and ranks held-out positives first", () => {
    const { model, losses } = train(3);
    expect(losses[0]).toBeGreaterThan(1.5);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * (losses[0] as number));
    const test = toyLists(99, 200);
    let top = 0;
    for (const list of test) {
      const s = model.score(list.x, 8);
      let arg = 0;
      for (let i = 1; i < 8; i++) if ((s[i] as number) > (s[arg] as number)) arg = i;
      if (arg === list.best) top++;
    }
    // A random scorer gets 1 in 8 (25 of 200) right.
    expect(top).toBeGreaterThan(120);
  });

  it("is bit-for-bit reproducible under a seed", () => {
    expect(train(4).model.toJson()).toEqual(train(4).model.toJson());
  });
});

describe("Adam", () => {
  it("moves each parameter by about lr against its gradient's sign on the first step", () => {
    const model = Mlp.init({ inputSize: 2, hidden: [] }, 1, "float64");
    const before = Array.from((model.layers[0] as Dense).w);
    const grads = model.zeroGrads();
    (grads[0] as Dense).w.set([0.5, -2]);
    new Adam(model, 0.1).step(grads);
    const after = Array.from((model.layers[0] as Dense).w);
    expect((after[0] as number) - (before[0] as number)).toBeCloseTo(-0.1, 6);
    expect((after[1] as number) - (before[1] as number)).toBeCloseTo(0.1, 6);
  });
});

describe("standardisation", () => {
  it("column stats give scale 1 to constant columns", () => {
    const { mean, scale } = columnStats([1, 5, 3, 5, 5, 5], 3, 2);
    expect(Array.from(mean)).toEqual([3, 5]);
    expect(scale[0]).toBeCloseTo(1 / Math.sqrt(8 / 3), 12);
    expect(scale[1]).toBe(1);
  });

  it("folding it into the first layer gives the same scores on raw inputs", () => {
    const rng = new Rng(11);
    const model = Mlp.init({ inputSize: 6, hidden: [8, 4] }, 2);
    model.setStandardisation([0.5, -1, 2, 0, 3, 0.1], [2, 0.5, 1, 4, 0.25, 1]);
    const x = Float32Array.from(randomInputs(rng, 20, 6));
    const folded = model.folded();
    expect(folded.inputMean).toBeNull();
    const a = model.score(x, 20);
    const b = folded.score(x, 20);
    for (let i = 0; i < 20; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-5);
  });

  it("rejects layers that do not chain", () => {
    const bad = [
      { inSize: 3, outSize: 4, w: new Float32Array(12), b: new Float32Array(4) },
      { inSize: 5, outSize: 1, w: new Float32Array(5), b: new Float32Array(1) },
    ];
    expect(() => new Mlp(bad)).toThrow("layer 1 takes 5 inputs but layer 0 gives 4");
  });
});
