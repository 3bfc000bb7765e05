// Whether a model can run on the dense kernel: the graph test and the exactness probe the worker and `validate` share.
import {
  type CandidateColumns,
  extractFeatures,
  type FeatureProfile,
  featureIndices,
  type RankingContext,
  selectColumns,
} from "../features.js";
import type { ModelManifest } from "../manifest.js";
import { DEVICES } from "../vocab.js";
import { DenseKernel } from "./dense-kernel.js";
import { denseNetFromGraph } from "./dense-net.js";
import { OnnxFormatError, readOnnxGraph } from "./onnx-reader.js";

/**
 * A kernel for the model, or why there cannot be one. Only the graph and the manifest are judged here; the
 * kernel's scores must still equal the reference runtime's on `probeRows` (see `firstDifference`) before it
 * scores anything.
 */
export function kernelFor(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  manifest: Pick<ModelManifest, "inputs" | "output">,
  opts: { maxLayerInputs?: number } = {},
): { kernel: DenseKernel } | { reason: string } {
  const input = manifest.inputs[0];
  if (manifest.inputs.length !== 1 || !input)
    return { reason: `the manifest feeds ${manifest.inputs.length} inputs; the kernel reads one` };
  if (input.broadcast) return { reason: "the manifest's one input is broadcast; the kernel reads a row per candidate" };
  let parsed: ReturnType<typeof denseNetFromGraph>;
  try {
    parsed = denseNetFromGraph(readOnnxGraph(bytes));
  } catch (err) {
    if (err instanceof OnnxFormatError) return { reason: `graph not read: ${err.message}` };
    throw err;
  }
  if ("unsupported" in parsed) return { reason: `not a dense chain: ${parsed.unsupported}` };
  const net = parsed.net;
  if (net.input !== input.name || net.output !== manifest.output || net.inputSize !== input.features.length)
    return { reason: "the dense chain's input or output is not the manifest's" };
  // Inputs that are not all schema features (a hand-made test graph) still run, on the plain first layer.
  let columns: Int32Array | undefined;
  try {
    columns = featureIndices(input.features);
  } catch {
    columns = undefined;
  }
  let kernel: DenseKernel;
  try {
    kernel = new DenseKernel(module, net, opts.maxLayerInputs, columns);
  } catch (err) {
    return { reason: `kernel did not start: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (kernel.planned && columns) {
    const difference = planDifference(kernel, columns);
    if (difference) kernel.dropPlan(`its scores differ from the plain first layer's: ${difference}`);
  }
  return { kernel };
}

/**
 * Lists, users and moments that reach every path of a planned first layer: each genre bit alone, none, all, and
 * mixtures; every device; weekday and weekend; a cold user and a known one; scores and years at their extremes.
 * 64 candidates each, from a fixed generator.
 */
export function probeLists(): { list: CandidateColumns; profile: FeatureProfile | null; ctx: RankingContext }[] {
  const n = 64;
  let state = 0x6d2b79f5;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const genres = Uint32Array.from({ length: n }, (_, i) =>
    i < 19 ? 1 << i : i === 19 ? 0 : i === 20 ? 0x7ffff : i === 21 ? 0xffffffff : Math.floor(next() * 2 ** 32) >>> 0,
  );
  const list: CandidateColumns = {
    size: n,
    cfScore: Float32Array.from({ length: n }, (_, i) => (i === 0 ? 3000 : i === 1 ? -3000 : (next() - 0.3) * 10)),
    popularity: Float32Array.from({ length: n }, () => next()),
    genres,
    tags: Uint32Array.from({ length: n }, () => Math.floor(next() * 2 ** 16)),
    year: Uint16Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : 1900 + Math.floor(next() * 140))),
  };
  const known: FeatureProfile = {
    genreAffinity: Array.from({ length: 19 }, () => next() / 4),
    tagAffinity: Array.from({ length: 16 }, () => next() / 2),
    activity: 340,
    yearMean: 1991.5,
    popularityMean: 0.42,
  };
  return DEVICES.flatMap((device, d) => [
    {
      list,
      profile: d % 2 ? known : null,
      ctx: { region: "probe", localHour: 5.25 * d, weekday: d, year: 2026, device },
    },
    { list, profile: known, ctx: { region: "probe", localHour: 23.9 - d, weekday: 6 - d, year: 2031, device } },
  ]);
}

/**
 * Null when the planned first layer gives the plain one's scores on every probe list (then both are ORT's: the
 * plain layer is probed against it), else the first difference. The plan's equality is a property of its
 * arithmetic; this catches a bug in it before it scores anything.
 */
function planDifference(kernel: DenseKernel, columns: Int32Array): string | null {
  for (const [i, { list, profile, ctx }] of probeLists().entries()) {
    const m = extractFeatures(list, profile, ctx);
    const x = selectColumns(m, columns);
    const plain = kernel.score(x, m.rows);
    const difference =
      firstDifference(kernel.score(x, m.rows, m.built), plain, `list ${i} row`) ??
      (kernel.scoresLists ? firstDifference(kernel.scoreList(list, profile, ctx) ?? [], plain, `list ${i} row`) : null);
    if (difference) return difference;
  }
  return null;
}

/**
 * Rows the kernel must reproduce exactly before it scores: zeros, then values at the scales features take
 * (unit-range flags and shares, standardised scores, raw counts and years) and beyond, 16 rows each, from a
 * fixed generator. A different summation order or a fused multiply-add would show in the low bits here.
 */
export function probeRows(cols: number): Float32Array {
  const scales = [0, 1, 4, 100, 3000];
  const perScale = 16;
  const out = new Float32Array(scales.length * perScale * cols);
  let state = 0x2545f491;
  let i = 0;
  for (const scale of scales) {
    for (let j = 0; j < perScale * cols; j++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out[i++] = (state / 2 ** 32 - 0.5) * 2 * scale;
    }
  }
  return out;
}

/** Null when the kernel's scores equal the reference's (NaN matching NaN, +0 matching -0), else the first difference. */
export function firstDifference(
  mine: ArrayLike<number>,
  reference: ArrayLike<number>,
  rowLabel = "probe row",
): string | null {
  if (mine.length !== reference.length) return `${mine.length} scores from the kernel, ${reference.length} from ORT`;
  for (let i = 0; i < mine.length; i++) {
    const a = mine[i] as number;
    const b = reference[i] as number;
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b)))
      return `kernel differs from ORT on ${rowLabel} ${i}: ${a} vs ${b}`;
  }
  return null;
}
