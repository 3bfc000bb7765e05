// Runs a DenseNet on the wasm SIMD kernel in dense.wat: one instance (and memory) per model, weights written once.
import type { DenseNet } from "./dense-net.js";

interface KernelExports {
  memory: WebAssembly.Memory;
  dense(x: number, n: number, k: number, xs: number, wt: number, b: number, mp: number, y: number, relu: number): void;
  dot1(x: number, n: number, k: number, xs: number, wt: number, b: number, mp: number, y: number, relu: number): void;
}

interface PlacedLayer {
  inSize: number;
  /** Output count padded to a multiple of 4: the kernel's row stride for this layer's output. */
  mp: number;
  wt: number;
  b: number;
  relu: number;
  /** How the kernel runs it: "dot1" for the score layer (rows side by side, scores contiguous), else "dense". */
  via: "dot1" | "dense";
}

const PAGE = 65_536;
/**
 * The widest layer input the kernel takes. Up to it, its straight sum over the inputs is onnxruntime-web's to the
 * bit (tested at 256); at 300 inputs the two differ in the last bits, as MLAS no longer sums them in one run.
 */
export const MAX_LAYER_INPUTS = 256;
const pad4 = (m: number) => (m + 3) & ~3;

/**
 * Scores with a dense network in wasm. Construction is synchronous: `module` is the compiled dense.wasm (workerd
 * hands it over as a precompiled module; Node compiles the file), and instantiating a compiled module is allowed
 * where compiling bytes is not.
 */
export class DenseKernel {
  readonly inputSize: number;
  private readonly exports: KernelExports;
  private readonly layers: PlacedLayer[];
  /** Where the weights end: inputs and activations live after it, sized per call. */
  private readonly weightsEnd: number;
  private readonly widest: number;
  private f32: Float32Array = new Float32Array(0);

  /**
   * `maxLayerInputs` is MAX_LAYER_INPUTS except in tests that lift it, to show that the load-time probe catches a
   * graph whose sums would differ from onnxruntime-web's.
   */
  constructor(module: WebAssembly.Module, net: DenseNet, maxLayerInputs = MAX_LAYER_INPUTS) {
    const wide = net.layers.find((l) => l.inSize > maxLayerInputs);
    if (wide) throw new RangeError(`a layer reads ${wide.inSize} inputs; the kernel reads at most ${maxLayerInputs}`);
    const scores = net.layers[net.layers.length - 1]?.outSize;
    if (scores !== 1)
      throw new RangeError(`the last layer has ${scores ?? "no"} outputs; the kernel scores one per row`);
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    this.inputSize = net.inputSize;
    let at = 0;
    const place = (floats: number) => {
      const start = at;
      at += floats * 4;
      return start;
    };
    this.layers = net.layers.map((l, i) => {
      // The first layer reads the caller's rows as they are; later ones read padded activations (zeros past the end).
      const inRows = i === 0 ? l.inSize : pad4(l.inSize);
      const mp = pad4(l.outSize);
      const via = i === net.layers.length - 1 ? "dot1" : "dense";
      return { inSize: inRows, mp, wt: place(inRows * mp), b: place(mp), relu: l.relu ? 1 : 0, via };
    });
    this.weightsEnd = at;
    this.widest = Math.max(...this.layers.map((l) => l.mp));
    this.f32 = this.grow(at);
    net.layers.forEach((l, i) => {
      const p = this.layers[i] as PlacedLayer;
      // W^T, zero-padded: wt[k][m] = w[m][k].
      for (let m = 0; m < l.outSize; m++) {
        for (let k = 0; k < l.inSize; k++) this.f32[p.wt / 4 + k * p.mp + m] = l.w[m * l.inSize + k] as number;
      }
      this.f32.set(l.b, p.b / 4);
    });
  }

  /**
   * One score per row of `x` ([rows][inputSize], row-major). `x` is copied into the kernel's memory; the result
   * is a fresh array the caller owns.
   */
  score(x: Float32Array, rows: number): Float32Array {
    const k = this.inputSize;
    if (x.length < rows * k) throw new RangeError(`${x.length} values for ${rows} rows of ${k}`);
    const xAt = this.weightsEnd;
    const bufA = xAt + rows * k * 4;
    const bufB = bufA + rows * this.widest * 4;
    const f32 = this.grow(bufB + rows * this.widest * 4);
    f32.set(x.subarray(0, rows * k), xAt / 4);
    let src = xAt;
    let stride = k;
    let dst = bufA;
    for (const l of this.layers) {
      this.exports[l.via](src, rows, l.inSize, stride, l.wt, l.b, l.mp, dst, l.relu);
      src = dst;
      stride = l.mp;
      dst = dst === bufA ? bufB : bufA;
    }
    // The last layer is dot1's: one score per row, contiguous.
    return f32.slice(src / 4, src / 4 + rows);
  }

  /** The memory as floats, grown to hold `bytes` first (growing detaches earlier views). */
  private grow(bytes: number): Float32Array {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== memory.buffer) this.f32 = new Float32Array(memory.buffer);
    return this.f32;
  }
}
