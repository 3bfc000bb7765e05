// Structured pruning: drop the hidden units that carry the least weight, giving a narrower, faster network.
import { type Dense, Mlp } from "./mlp.js";

/**
 * How much of the network's signal passes through hidden unit `u` of hidden layer `l`: the norm of its
 * incoming weights times the norm of its outgoing weights (a ReLU unit with either near zero does little).
 */
export function unitImportance(model: Mlp, l: number): Float64Array {
  const into = model.layers[l] as Dense;
  const out = model.layers[l + 1] as Dense | undefined;
  if (!out) throw new RangeError(`layer ${l} is the output layer, not a hidden one`);
  const imp = new Float64Array(into.outSize);
  for (let u = 0; u < into.outSize; u++) {
    let a = 0;
    for (let i = 0; i < into.inSize; i++) a += (into.w[u * into.inSize + i] as number) ** 2;
    let b = 0;
    for (let o = 0; o < out.outSize; o++) b += (out.w[o * out.inSize + u] as number) ** 2;
    imp[u] = Math.sqrt(a) * Math.sqrt(b);
  }
  return imp;
}

/**
 * A copy of `model` keeping `widths[l]` hidden units of hidden layer l: the most important ones, in their
 * original order (ties to the lower index, so pruning is deterministic). Input standardisation is kept.
 */
export function pruneUnits(model: Mlp, widths: readonly number[]): Mlp {
  const hidden = model.layers.length - 1;
  if (widths.length !== hidden) {
    throw new RangeError(`the network has ${hidden} hidden layers; got ${widths.length} widths`);
  }
  const layers: Dense[] = model.layers.map((d) => ({ ...d, w: d.w.slice(), b: d.b.slice() }));
  for (let l = 0; l < hidden; l++) {
    const into = layers[l] as Dense;
    const width = widths[l] as number;
    if (!Number.isInteger(width) || width < 1 || width > into.outSize) {
      throw new RangeError(`hidden layer ${l} has ${into.outSize} units; cannot keep ${width}`);
    }
    const current = new Mlp(layers, model.dtype);
    const imp = unitImportance(current, l);
    const keep = Array.from({ length: into.outSize }, (_, u) => u)
      .sort((a, b) => (imp[b] as number) - (imp[a] as number) || a - b)
      .slice(0, width)
      .sort((a, b) => a - b);
    const next = layers[l + 1] as Dense;
    const w = new (into.w.constructor as Float32ArrayConstructor)(width * into.inSize);
    const b = new (into.b.constructor as Float32ArrayConstructor)(width);
    keep.forEach((u, k) => {
      w.set(into.w.subarray(u * into.inSize, (u + 1) * into.inSize), k * into.inSize);
      b[k] = into.b[u] as number;
    });
    const nw = new (next.w.constructor as Float32ArrayConstructor)(next.outSize * width);
    for (let o = 0; o < next.outSize; o++) {
      keep.forEach((u, k) => {
        nw[o * width + k] = next.w[o * next.inSize + u] as number;
      });
    }
    layers[l] = { inSize: into.inSize, outSize: width, w, b };
    layers[l + 1] = { inSize: width, outSize: next.outSize, w: nw, b: next.b.slice() };
  }
  const pruned = new Mlp(layers, model.dtype);
  if (model.inputMean && model.inputScale) pruned.setStandardisation(model.inputMean, model.inputScale);
  return pruned;
}

/** Multiply-adds per scored candidate: what inference time scales with. */
export function macsPerCandidate(model: Mlp): number {
  return model.layers.reduce((sum, d) => sum + d.inSize * d.outSize, 0);
}

/** Median milliseconds per call of two single-input frontrow graphs, timed in alternating batches. */
export interface SpeedComparison {
  rows: number;
  fullMs: number;
  variantMs: number;
}

/**
 * Times `full` and `variant` side by side on the same `rows` x `inputSize` input with `run` (one inference,
 * resolved when done), alternating batches so machine noise hits both alike. Runtime-agnostic: the CLI passes
 * onnxruntime-web, the worker's build.
 */
export async function compareSpeed(
  run: { full: () => Promise<unknown>; variant: () => Promise<unknown> },
  rows: number,
  batches = 21,
  perBatch = 40,
): Promise<SpeedComparison> {
  const full: number[] = [];
  const variant: number[] = [];
  // Long enough for the engine to tier its code up: early calls run unoptimised code and would skew the first.
  for (let i = 0; i < 300; i++) {
    await run.full();
    await run.variant();
  }
  const timeBatch = async (fn: () => Promise<unknown>, out: number[]) => {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) await fn();
    out.push((performance.now() - t0) / perBatch);
  };
  for (let b = 0; b < batches; b++) {
    // Who goes first alternates, so a slow stretch (a collection, a neighbour) does not always hit the same one.
    if (b % 2 === 0) {
      await timeBatch(run.full, full);
      await timeBatch(run.variant, variant);
    } else {
      await timeBatch(run.variant, variant);
      await timeBatch(run.full, full);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  return { rows, fullMs: median(full), variantMs: median(variant) };
}
