// Whether a model can run on the dense kernel: the graph test and the exactness probe the worker and `validate` share.
import type { ModelManifest } from "../manifest.js";
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
  try {
    return { kernel: new DenseKernel(module, net, opts.maxLayerInputs) };
  } catch (err) {
    return { reason: `kernel did not start: ${err instanceof Error ? err.message : String(err)}` };
  }
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
