// Which models the dense kernel may take (one reason per refusal) and the exactness check both the worker and validate run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ModelManifest } from "../manifest.js";
import { firstDifference, kernelFor, probeRows } from "./eligibility.js";
import { gemmChain } from "./test-graphs.js";

const kernelModule = new WebAssembly.Module(readFileSync(new URL("./dense.wasm", import.meta.url)));
const chain = gemmChain([
  { inSize: 6, outSize: 20, transB: 1, relu: true },
  { inSize: 20, outSize: 1, transB: 1, relu: false },
]);
const spec = (over: Partial<ModelManifest["inputs"][number]> = {}): Pick<ModelManifest, "inputs" | "output"> => ({
  inputs: [{ name: "features", features: ["a", "b", "c", "d", "e", "f"], broadcast: false, ...over }],
  output: "score",
});

describe("kernelFor: happy path", () => {
  it("builds a kernel for a Gemm/Relu chain fed by the manifest's one input", () => {
    const made = kernelFor(kernelModule, chain, spec());
    expect("kernel" in made).toBe(true);
    if ("kernel" in made) {
      expect(made.kernel.inputSize).toBe(6);
      expect(made.kernel.score(new Float32Array(12), 2)).toHaveLength(2);
    }
  });
});

describe("kernelFor: refusals, each with its reason", () => {
  it("refuses several inputs, a broadcast input, and a graph that is not a dense chain", () => {
    const two = { ...spec(), inputs: [...spec().inputs, { name: "ctx", features: ["g"], broadcast: true }] };
    expect(kernelFor(kernelModule, chain, two)).toEqual({
      reason: "the manifest feeds 2 inputs; the kernel reads one",
    });
    expect(kernelFor(kernelModule, chain, spec({ broadcast: true }))).toEqual({
      reason: "the manifest's one input is broadcast; the kernel reads a row per candidate",
    });
    const extra = gemmChain([{ inSize: 6, outSize: 1, transB: 1, relu: false }], { extraInput: true });
    expect(kernelFor(kernelModule, extra, spec())).toEqual({
      reason: "not a dense chain: 2 graph inputs (a dense chain reads exactly one)",
    });
  });

  it("refuses a chain whose input, output or width is not the manifest's", () => {
    const mismatch = { reason: "the dense chain's input or output is not the manifest's" };
    expect(kernelFor(kernelModule, chain, spec({ name: "x" }))).toEqual(mismatch);
    expect(kernelFor(kernelModule, chain, { ...spec(), output: "logit" })).toEqual(mismatch);
    expect(kernelFor(kernelModule, chain, spec({ features: ["a", "b", "c"] }))).toEqual(mismatch);
  });

  it("refuses bytes that are not an ONNX graph with the reader's reason", () => {
    const made = kernelFor(kernelModule, new TextEncoder().encode("not onnx at all"), spec());
    expect("reason" in made && made.reason.startsWith("graph not read: ")).toBe(true);
  });

  it("refuses a layer wider than the kernel reads", () => {
    const wide = gemmChain([
      { inSize: 300, outSize: 4, transB: 1, relu: true },
      { inSize: 4, outSize: 1, transB: 1, relu: false },
    ]);
    const features = Array.from({ length: 300 }, (_, i) => `f${i}`);
    expect(kernelFor(kernelModule, wide, spec({ features }))).toEqual({
      reason: "kernel did not start: a layer reads 300 inputs; the kernel reads at most 256",
    });
  });
});

describe("probeRows and firstDifference", () => {
  it("gives 80 fixed rows per call: 16 of zeros, then magnitudes 1, 4, 100 and 3,000", () => {
    const p = probeRows(5);
    expect(p).toHaveLength(80 * 5);
    expect(probeRows(5)).toEqual(p);
    const block = (b: number) => Array.from(p.subarray(b * 16 * 5, (b + 1) * 16 * 5));
    expect(block(0).every((v) => v === 0)).toBe(true);
    [1, 4, 100, 3000].forEach((scale, i) => {
      const v = block(i + 1);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(scale);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(scale / 2);
    });
  });

  it("accepts equal scores, NaN for NaN and -0 for +0; names the first other difference", () => {
    expect(firstDifference([1, Number.NaN, -0], [1, Number.NaN, 0])).toBeNull();
    expect(firstDifference([1, 2, 3], [1, 2.5, 4])).toBe("kernel differs from ORT on probe row 1: 2 vs 2.5");
    expect(firstDifference([1, 0], [1, Number.NaN], "zeros row")).toBe(
      "kernel differs from ORT on zeros row 1: 0 vs NaN",
    );
    expect(firstDifference([1], [1, 2])).toBe("1 scores from the kernel, 2 from ORT");
  });
});
