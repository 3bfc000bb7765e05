// The ONNX reader against onnx-proto's decoder: the same nodes, attributes, initializers and shapes, or a clear refusal.
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { OnnxFormatError, readOnnxGraph } from "./onnx-reader.js";
import { gemmChain } from "./test-graphs.js";

const { onnx } = onnxProto;

const files = [
  "worker/model/model.onnx",
  "worker/test/fixtures/onnx/mlp_layernorm.onnx",
  "worker/test/fixtures/onnx/crossnet_context.onnx",
  "worker/test/fixtures/onnx/nan_score.onnx",
  "worker/test/fixtures/onnx/two_scores.onnx",
];

function reference(bytes: Uint8Array) {
  const g = onnx.ModelProto.decode(bytes).graph;
  if (!g) throw new Error("no graph");
  const dims = (v: onnxProto.onnx.IValueInfoProto) =>
    (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
  return {
    nodes: (g.node ?? []).map((n) => ({
      name: n.name ?? "",
      opType: n.opType ?? "",
      domain: n.domain ?? "",
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attributes: new Map(
        (n.attribute ?? []).map((a) => [
          a.name ?? "",
          a.type === onnx.AttributeProto.AttributeType.FLOAT
            ? (a.f as number)
            : a.type === onnx.AttributeProto.AttributeType.INT
              ? Number(a.i)
              : Number.NaN,
        ]),
      ),
    })),
    initializers: (g.initializer ?? []).map((t) => ({
      name: t.name ?? "",
      dims: (t.dims ?? []).map(Number),
      dataType: t.dataType ?? 0,
    })),
    inputs: (g.input ?? []).map((v) => ({
      name: v.name ?? "",
      elemType: v.type?.tensorType?.elemType ?? 0,
      dims: dims(v),
    })),
    outputs: (g.output ?? []).map((v) => ({
      name: v.name ?? "",
      elemType: v.type?.tensorType?.elemType ?? 0,
      dims: dims(v),
    })),
    floats: (g.initializer ?? []).map((t) =>
      t.dataType !== 1
        ? null
        : t.rawData?.length
          ? new Float32Array(new Uint8Array(t.rawData).slice().buffer)
          : Float32Array.from(t.floatData ?? []),
    ),
  };
}

describe("readOnnxGraph: happy path", () => {
  it.each(files)("reads %s exactly as onnx-proto does", (file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const mine = readOnnxGraph(bytes);
    const ref = reference(bytes);
    expect(mine.nodes).toEqual(ref.nodes);
    expect(mine.inputs).toEqual(ref.inputs);
    expect(mine.outputs).toEqual(ref.outputs);
    const inits = [...mine.initializers.values()];
    expect(inits.map(({ name, dims, dataType }) => ({ name, dims, dataType }))).toEqual(ref.initializers);
    expect(inits.map((t) => t.data)).toEqual(ref.floats);
  });

  it("reads weights stored as float_data as well as raw_data, and float and int attributes", () => {
    const bytes = gemmChain([
      { inSize: 3, outSize: 2, transB: 1, relu: true, floatData: true, attributes: { alpha: 1, beta: 1 } },
      { inSize: 2, outSize: 1, transB: 0, relu: false, bias: "2d" },
    ]);
    const g = readOnnxGraph(bytes);
    const ref = reference(bytes);
    expect(g.nodes.map((n) => n.opType)).toEqual(["Gemm", "Relu", "Gemm"]);
    expect(g.nodes[0]?.attributes).toEqual(
      new Map([
        ["transB", 1],
        ["alpha", 1],
        ["beta", 1],
      ]),
    );
    expect([...g.initializers.values()].map((t) => t.data)).toEqual(ref.floats);
    expect(g.initializers.get("b1")?.dims).toEqual([1, 1]);
  });
});

describe("readOnnxGraph: bad bytes", () => {
  it("refuses bytes that are not protobuf", () => {
    expect(() => readOnnxGraph(new TextEncoder().encode("this is not an onnx model"))).toThrow(OnnxFormatError);
  });

  it("refuses a model cut short", () => {
    const bytes = new Uint8Array(readFileSync(files[0] as string));
    expect(() => readOnnxGraph(bytes.subarray(0, bytes.length - 100))).toThrow(
      /runs past the end of its message|truncated/,
    );
  });

  it("refuses a model with no graph", () => {
    const empty = onnx.ModelProto.encode({ irVersion: 8, producerName: "x" }).finish();
    expect(() => readOnnxGraph(empty)).toThrow("no graph in the model");
  });

  it("refuses raw weight bytes that do not match the dims", () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      graph: { initializer: [{ name: "w", dims: [2, 2], dataType: 1, rawData: new Uint8Array(12) }] },
    }).finish();
    expect(() => readOnnxGraph(bytes)).toThrow('initializer "w": 12 raw bytes for 4 floats');
  });
});
