// The dense kernel against onnxruntime-web's wasm build on the same graphs: equal to the bit, at every batch size.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web/wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { DenseKernel, MAX_LAYER_INPUTS } from "./dense-kernel.js";
import { type DenseNet, denseNetFromGraph } from "./dense-net.js";
import { readOnnxGraph } from "./onnx-reader.js";
import { gemmChain, type TestLayer } from "./test-graphs.js";

const kernelModule = new WebAssembly.Module(readFileSync(new URL("./dense.wasm", import.meta.url)));

function netOf(bytes: Uint8Array): DenseNet {
  const r = denseNetFromGraph(readOnnxGraph(bytes));
  if (!("net" in r)) throw new Error(r.unsupported);
  return r.net;
}

/** Deterministic rows: `zeros` of the cells are +0 or -0, the rest uniform in (-scale, scale). */
function rows(n: number, k: number, scale: number, zeros: number, seed: number): Float32Array {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Float32Array.from({ length: n * k }, () =>
    next() < zeros ? (next() < 0.5 ? 0 : -0) : (next() * 2 - 1) * scale,
  );
}

async function ortScores(session: ort.InferenceSession, x: Float32Array, n: number, k: number) {
  const out = await session.run({ features: new ort.Tensor("float32", x, [n, k]) });
  return out.score?.data as Float32Array;
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
});

describe("DenseKernel: bit-identical to onnxruntime-web", () => {
  const exported = new Uint8Array(readFileSync("worker/model/model.onnx"));

  it("on frontrow's export at every batch size, dense and sparse rows, small and large values", async () => {
    const session = await ort.InferenceSession.create(exported, { graphOptimizationLevel: "all" });
    const kernel = new DenseKernel(kernelModule, netOf(exported));
    let compared = 0;
    for (const n of [1, 2, 3, 7, 8, 9, 17, 500, 1001]) {
      for (const [scale, zeros] of [
        [1, 0],
        [1, 0.6],
        [1000, 0.3],
        [1e-3, 0.9],
      ] as const) {
        const x = rows(n, 38, scale, zeros, n * 31 + scale);
        expect(kernel.score(x, n)).toEqual(await ortScores(session, x, n, 38));
        compared += n;
      }
    }
    expect(compared).toBe(4 * (1 + 2 + 3 + 7 + 8 + 9 + 17 + 500 + 1001));
    await session.release();
  });

  it.each<[string, TestLayer[]]>([
    [
      "widths that are not multiples of 4 or 16, transB = 0, 2-D bias",
      [
        { inSize: 5, outSize: 7, transB: 0, relu: true, bias: "2d" },
        { inSize: 7, outSize: 19, transB: 1, relu: true },
        { inSize: 19, outSize: 1, transB: 0, relu: false, bias: "none" },
      ],
    ],
    [
      "256 inputs, the widest the kernel takes",
      [
        { inSize: 256, outSize: 20, transB: 1, relu: true },
        { inSize: 20, outSize: 1, transB: 1, relu: false },
      ],
    ],
    [
      "one layer, a linear model straight to the score (dot1 on the caller's rows)",
      [{ inSize: 38, outSize: 1, transB: 1, relu: false }],
    ],
    [
      "a wide first layer (48 outputs: three blocks of 16) and a ReLU on the score",
      [
        { inSize: 38, outSize: 48, transB: 1, relu: true },
        { inSize: 48, outSize: 1, transB: 1, relu: true },
      ],
    ],
  ])("on a chain with %s", async (_, spec) => {
    const bytes = gemmChain(spec);
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
    const kernel = new DenseKernel(kernelModule, netOf(bytes));
    const k = (spec[0] as TestLayer).inSize;
    for (const n of [1, 6, 33, 250]) {
      const x = rows(n, k, 3, 0.4, n);
      expect(kernel.score(x, n)).toEqual(await ortScores(session, x, n, k));
    }
    await session.release();
  });
});

describe("DenseKernel: edges", () => {
  const net = netOf(new Uint8Array(readFileSync("worker/model/model.onnx")));

  it("keeps a NaN input in its own row and gives the same scores to the other rows", () => {
    const kernel = new DenseKernel(kernelModule, net);
    const x = rows(9, 38, 1, 0.2, 7);
    const clean = kernel.score(x, 9);
    const dirty = x.slice();
    dirty[4 * 38 + 3] = Number.NaN;
    const scores = kernel.score(dirty, 9);
    expect(Number.isNaN(scores[4])).toBe(true);
    expect([...scores].filter((_, i) => i !== 4)).toEqual([...clean].filter((_, i) => i !== 4));
  });

  it("grows its memory for a larger batch and answers a smaller one the same afterwards", () => {
    const kernel = new DenseKernel(kernelModule, net);
    const x = rows(5000, 38, 1, 0.3, 3);
    const small = kernel.score(x.subarray(0, 10 * 38), 10);
    const big = kernel.score(x, 5000);
    expect(big.subarray(0, 10)).toEqual(small);
    expect(kernel.score(x.subarray(0, 10 * 38), 10)).toEqual(small);
  });

  it("answers no rows with no scores and refuses too few values for the rows asked", () => {
    const kernel = new DenseKernel(kernelModule, net);
    expect(kernel.score(new Float32Array(0), 0)).toEqual(new Float32Array(0));
    expect(() => kernel.score(new Float32Array(37), 1)).toThrow("37 values for 1 rows of 38");
  });

  it("refuses a net whose last layer is not one score per row", () => {
    const layer = { inSize: 4, outSize: 2, w: new Float32Array(8), b: new Float32Array(2), relu: false };
    const two: DenseNet = { input: "x", output: "y", inputSize: 4, layers: [layer] };
    expect(() => new DenseKernel(kernelModule, two)).toThrow(
      "the last layer has 2 outputs; the kernel scores one per row",
    );
  });

  it(`refuses a layer of more than ${MAX_LAYER_INPUTS} inputs`, () => {
    const wide = netOf(gemmChain([{ inSize: MAX_LAYER_INPUTS + 1, outSize: 1, transB: 1, relu: false }]));
    expect(() => new DenseKernel(kernelModule, wide)).toThrow(
      `a layer reads ${MAX_LAYER_INPUTS + 1} inputs; the kernel reads at most ${MAX_LAYER_INPUTS}`,
    );
  });
});
