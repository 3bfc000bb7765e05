// Which graphs are a dense chain the kernel may run, and the exact reason for every graph that is not.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { denseNetFromGraph } from "./dense-net.js";
import { readOnnxGraph } from "./onnx-reader.js";
import { gemmChain, type TestLayer, testWeights } from "./test-graphs.js";

const recognise = (bytes: Uint8Array) => denseNetFromGraph(readOnnxGraph(bytes));
const layer = (inSize: number, outSize: number, more: Partial<TestLayer> = {}): TestLayer => ({
  inSize,
  outSize,
  transB: 1,
  relu: false,
  ...more,
});

describe("denseNetFromGraph: dense chains", () => {
  it("recognises frontrow's own export: 38 -> 32 -> 16 -> 1 with ReLU between", () => {
    const r = recognise(new Uint8Array(readFileSync("worker/model/model.onnx")));
    if (!("net" in r)) throw new Error(r.unsupported);
    expect(r.net.input).toBe("features");
    expect(r.net.output).toBe("score");
    expect(r.net.inputSize).toBe(38);
    expect(r.net.layers.map((l) => [l.inSize, l.outSize, l.relu])).toEqual([
      [38, 32, true],
      [32, 16, true],
      [16, 1, false],
    ]);
  });

  it("stores weights as [out][in] whichever way the graph holds them, and reads 2-D and absent biases", () => {
    const spec = [layer(3, 2, { transB: 0, relu: true, bias: "2d" }), layer(2, 1, { bias: "none" })];
    const r = recognise(gemmChain(spec));
    if (!("net" in r)) throw new Error(r.unsupported);
    const stored = testWeights(spec[0] as TestLayer, 0);
    // Graph [in=3][out=2] row-major: w[i][o] = stored.w[i * 2 + o]; the net holds [o][i].
    expect(Array.from(r.net.layers[0]?.w ?? [])).toEqual([0, 2, 4, 1, 3, 5].map((j) => stored.w[j]));
    expect(r.net.layers[0]?.b).toEqual(stored.b);
    expect(r.net.layers[1]?.b).toEqual(new Float32Array(1));
  });

  it("takes a ReLU on the score itself as part of the chain", () => {
    const r = recognise(gemmChain([layer(4, 1, { relu: true })]));
    if (!("net" in r)) throw new Error(r.unsupported);
    expect(r.net.layers.map((l) => l.relu)).toEqual([true]);
  });
});

describe("denseNetFromGraph: graphs left to a general runtime", () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "a PyTorch export with LayerNormalization",
      new Uint8Array(readFileSync("worker/test/fixtures/onnx/mlp_layernorm.onnx")),
      'node "/ln/LayerNormalization": op LayerNormalization',
    ],
    [
      "a second graph input",
      gemmChain([layer(4, 1)], { extraInput: true }),
      "2 graph inputs (a dense chain reads exactly one)",
    ],
    [
      "alpha other than 1",
      gemmChain([layer(4, 1, { attributes: { alpha: 0.5 } })]),
      'node "gemm0": attribute alpha = 0.5',
    ],
    ["transA", gemmChain([layer(4, 1, { attributes: { transA: 1 } })]), 'node "gemm0": attribute transA = 1'],
    ["more than one score", gemmChain([layer(4, 2)]), "the last layer has 2 outputs, not one score"],
    [
      "widths that do not chain",
      gemmChain([layer(4, 3, { relu: true }), layer(2, 1)]),
      'node "gemm1": 2 inputs after a layer of 3',
    ],
  ];
  it.each(cases)("%s", (_, bytes, reason) => {
    expect(recognise(bytes)).toEqual({ unsupported: reason });
  });
});
