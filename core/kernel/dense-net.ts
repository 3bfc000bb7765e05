// Recognises ONNX graphs that are a plain chain of fully connected layers (Gemm, optionally Relu) on one input.
import { ONNX_FLOAT, type OnnxGraph, type OnnxInitializer } from "./onnx-reader.js";

/** One fully connected layer: y = x W^T + b, then max(y, 0) when `relu`. `w` is [outSize][inSize], row-major. */
export interface DenseLayer {
  inSize: number;
  outSize: number;
  w: Float32Array;
  b: Float32Array;
  relu: boolean;
}

/** A chain of dense layers from one graph input ([batch, inSize]) to one output ([batch, 1]). */
export interface DenseNet {
  input: string;
  output: string;
  inputSize: number;
  layers: DenseLayer[];
}

/**
 * The graph as a DenseNet, or the reason it is not one. Accepted: one float32 input [batch, k]; nodes in order,
 * each a Gemm (alpha = beta = 1, transA = 0, transB 0 or 1, weights and optional bias as float32 initializers)
 * or a Relu right after a Gemm; the last node's result is the only graph output, one column wide.
 * Anything else (other ops, a second input, a broadcast context row) is for a general runtime.
 */
export function denseNetFromGraph(graph: OnnxGraph): { net: DenseNet } | { unsupported: string } {
  const fed = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (fed.length !== 1) return { unsupported: `${fed.length} graph inputs (a dense chain reads exactly one)` };
  const input = fed[0] as (typeof fed)[number];
  if (input.elemType !== ONNX_FLOAT) return { unsupported: `input "${input.name}" is not float32` };
  if (graph.outputs.length !== 1) return { unsupported: `${graph.outputs.length} graph outputs` };
  const output = graph.outputs[0] as (typeof graph.outputs)[number];
  const layers: DenseLayer[] = [];
  let current = input.name;
  for (const node of graph.nodes) {
    const where = `node "${node.name || node.opType}"`;
    if (node.domain !== "" && node.domain !== "ai.onnx") return { unsupported: `${where}: domain ${node.domain}` };
    if (node.inputs[0] !== current || node.outputs.length !== 1) {
      return { unsupported: `${where} does not continue a single chain from "${current}"` };
    }
    if (node.opType === "Relu") {
      const last = layers[layers.length - 1];
      if (!last || last.relu) return { unsupported: `${where}: Relu not right after a Gemm` };
      last.relu = true;
    } else if (node.opType === "Gemm") {
      const layer = gemmLayer(node.inputs, node.attributes, graph.initializers);
      if (typeof layer === "string") return { unsupported: `${where}: ${layer}` };
      const prev = layers[layers.length - 1];
      if (prev && prev.outSize !== layer.inSize) {
        return { unsupported: `${where}: ${layer.inSize} inputs after a layer of ${prev.outSize}` };
      }
      layers.push(layer);
    } else {
      return { unsupported: `${where}: op ${node.opType}` };
    }
    current = node.outputs[0] as string;
  }
  const first = layers[0];
  const last = layers[layers.length - 1];
  if (!first || !last) return { unsupported: "no Gemm nodes" };
  if (current !== output.name) return { unsupported: `graph output "${output.name}" is not the chain's end` };
  if (last.outSize !== 1) return { unsupported: `the last layer has ${last.outSize} outputs, not one score` };
  const width = input.dims[1];
  if (input.dims.length !== 2 || (typeof width === "number" && width !== first.inSize)) {
    return { unsupported: `input "${input.name}" is [${input.dims.join(", ")}], not [batch, ${first.inSize}]` };
  }
  return { net: { input: input.name, output: output.name, inputSize: first.inSize, layers } };
}

function gemmLayer(
  inputs: string[],
  attrs: Map<string, number>,
  inits: Map<string, OnnxInitializer>,
): DenseLayer | string {
  for (const [name, v] of attrs) {
    const ok =
      (name === "alpha" && v === 1) ||
      (name === "beta" && v === 1) ||
      (name === "transA" && v === 0) ||
      (name === "transB" && (v === 0 || v === 1));
    if (!ok) return `attribute ${name} = ${v}`;
  }
  const transB = attrs.get("transB") === 1;
  const w = inits.get(inputs[1] ?? "");
  if (!w?.data || w.dims.length !== 2) return "weights are not a float32 matrix initializer";
  const [d0, d1] = w.dims as [number, number];
  const outSize = transB ? d0 : d1;
  const inSize = transB ? d1 : d0;
  // Stored as [out][in] whichever way the graph holds it.
  const wOut = transB ? w.data : transpose(w.data, d0, d1);
  let b: Float32Array = new Float32Array(outSize);
  if (inputs[2]) {
    const bias = inits.get(inputs[2]);
    if (!bias?.data) return "bias is not a float32 initializer";
    const count = bias.data.length;
    const shapeOk = (bias.dims.length === 1 || (bias.dims.length === 2 && bias.dims[0] === 1)) && count === outSize;
    if (!shapeOk) return `bias of shape [${bias.dims.join(", ")}] for ${outSize} outputs`;
    b = bias.data;
  }
  return { inSize, outSize, w: wOut, b, relu: false };
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}
