// Test helper: small ONNX graphs built with onnx-proto (the reference encoder), for the reader, recogniser and kernel tests.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** One Gemm of a test chain: weights as the graph stores them ([out][in] with transB = 1, else [in][out]). */
export interface TestLayer {
  inSize: number;
  outSize: number;
  transB: 0 | 1;
  relu: boolean;
  /** Extra Gemm attributes, e.g. { alpha: 0.5 }. */
  attributes?: Record<string, number>;
  /** Store the weights as repeated float_data instead of raw_data. */
  floatData?: boolean;
  bias?: "none" | "1d" | "2d";
}

/** Deterministic weights in (-1, 1) for layer `l`, in the graph's storage order. */
export function testWeights(layer: TestLayer, l: number): { w: Float32Array; b: Float32Array } {
  let s = 12345 + l * 7919;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  return {
    w: Float32Array.from({ length: layer.inSize * layer.outSize }, next),
    b: Float32Array.from({ length: layer.outSize }, next),
  };
}

function tensor(name: string, dims: number[], data: Float32Array, floatData = false): onnxProto.onnx.ITensorProto {
  if (floatData) return { name, dims, dataType: FLOAT, floatData: Array.from(data) };
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) };
}

/** A Gemm(/Relu) chain from input "features" [batch, inSize] to output "score" [batch, 1]. */
export function gemmChain(layers: TestLayer[], opts: { extraInput?: boolean; opset?: number } = {}): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const inits: onnxProto.onnx.ITensorProto[] = [];
  let current = "features";
  layers.forEach((layer, l) => {
    const { w, b } = testWeights(layer, l);
    const dims = layer.transB ? [layer.outSize, layer.inSize] : [layer.inSize, layer.outSize];
    inits.push(tensor(`w${l}`, dims, w, layer.floatData));
    const inputs = [current, `w${l}`];
    if ((layer.bias ?? "1d") !== "none") {
      inits.push(tensor(`b${l}`, layer.bias === "2d" ? [1, layer.outSize] : [layer.outSize], b, layer.floatData));
      inputs.push(`b${l}`);
    }
    const last = l === layers.length - 1 && !layer.relu;
    const out = last ? "score" : `h${l}`;
    const attribute: onnxProto.onnx.IAttributeProto[] = [
      { name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: layer.transB },
    ];
    for (const [name, v] of Object.entries(layer.attributes ?? {})) {
      attribute.push(
        Number.isInteger(v) && name.startsWith("trans")
          ? { name, type: onnx.AttributeProto.AttributeType.INT, i: v }
          : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v },
      );
    }
    nodes.push({ name: `gemm${l}`, opType: "Gemm", input: inputs, output: [out], attribute });
    current = out;
    if (layer.relu) {
      const r = l === layers.length - 1 ? "score" : `r${l}`;
      nodes.push({ name: `relu${l}`, opType: "Relu", input: [out], output: [r] });
      current = r;
    }
  });
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const first = layers[0] as TestLayer;
  const input = [valueInfo("features", ["batch", first.inSize])];
  if (opts.extraInput) input.push(valueInfo("context", [1, 4]));
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: "", version: opts.opset ?? 17 }],
      producerName: "frontrow-test",
      graph: {
        name: "test",
        node: nodes,
        initializer: inits,
        input,
        output: [valueInfo("score", ["batch", 1])],
      },
    }),
  ).finish();
}
