// ONNX export of the MLP ranker (Gemm + Relu, opset 17) and the manifest the edge loads it with.
import onnxProto from "onnx-proto";
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { denseNetFromGraph } from "../../core/kernel/dense-net.js";
import { readOnnxGraph } from "../../core/kernel/onnx-reader.js";
import { type ModelManifest, ModelManifestSchema, sha256Hex } from "../../core/manifest.js";
import { Mlp } from "./mlp.js";

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
/** IR version 8 is the one opset 17 shipped with (ONNX 1.12); every runtime that runs opset 17 reads it. */
export const ONNX_IR_VERSION = 8;
export const INPUT_NAME = "features";
export const OUTPUT_NAME = "score";
const BATCH_DIM = "batch";

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  const data = Float32Array.from(values as ArrayLike<number>);
  // raw_data is little-endian; copy through a DataView so the bytes are right on any host.
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Serialises a network as an ONNX model reading raw features: input "features" float32 [batch, inputSize],
 * output "score" float32 [batch, 1]. Input standardisation, if any, is folded into the first Gemm. The bytes
 * depend only on the weights, so the same model always hashes the same.
 */
export function mlpToOnnx(model: Mlp): Uint8Array {
  const net = model.folded();
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  let current = INPUT_NAME;
  net.layers.forEach((layer, l) => {
    const last = l === net.layers.length - 1;
    const w = `layer${l}.weight`;
    const b = `layer${l}.bias`;
    initializers.push(floatTensor(w, [layer.outSize, layer.inSize], layer.w));
    initializers.push(floatTensor(b, [layer.outSize], layer.b));
    const gemmOut = last ? OUTPUT_NAME : `layer${l}.linear`;
    nodes.push({
      name: `layer${l}.gemm`,
      opType: "Gemm",
      input: [current, w, b],
      output: [gemmOut],
      attribute: [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
    if (!last) {
      const reluOut = `layer${l}.relu`;
      nodes.push({ name: `layer${l}.relu`, opType: "Relu", input: [gemmOut], output: [reluOut] });
      current = reluOut;
    }
  });
  const message = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "frontrow-model-export",
    producerVersion: "1",
    graph: {
      name: "frontrow_ranker",
      node: nodes,
      initializer: initializers,
      input: [valueInfo(INPUT_NAME, [BATCH_DIM, net.inputSize])],
      output: [valueInfo(OUTPUT_NAME, [BATCH_DIM, 1])],
    },
    metadataProps: [
      { key: "frontrow.feature_schema", value: FEATURE_SCHEMA_VERSION },
      { key: "frontrow.features", value: FEATURE_NAMES.join(",") },
    ],
  });
  return onnx.ModelProto.encode(message).finish();
}

/**
 * Reads back a frontrow ranker: a Gemm/Relu chain (core/kernel's recogniser, the one the worker uses) with a ReLU
 * after every layer but the last. Throws naming what does not fit. Lets `export` and tests work on exported
 * bytes without a runtime.
 */
export function mlpFromOnnx(bytes: Uint8Array): Mlp {
  const parsed = denseNetFromGraph(readOnnxGraph(bytes));
  if ("unsupported" in parsed) throw new Error(parsed.unsupported);
  const layers = parsed.net.layers;
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    if (l.relu === last)
      throw new Error(`layer ${i}: ${last ? "a ReLU after the output layer" : "no ReLU after a hidden layer"}`);
  });
  return new Mlp(
    layers.map((l) => ({ inSize: l.inSize, outSize: l.outSize, w: l.w, b: l.b })),
    "float32",
  );
}

/** The manifest promises input "features" [batch, FEATURE_COUNT] and output "score": refuse bytes that differ. */
function checkGraphContract(bytes: Uint8Array): void {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const input = graph?.input?.find((i) => i.name === INPUT_NAME);
  if (!input) throw new Error(`ONNX graph has no input "${INPUT_NAME}"`);
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  if (dims.length !== 2 || Number(dims[1]?.dimValue) !== FEATURE_COUNT) {
    throw new Error(
      `ONNX input "${INPUT_NAME}" must be [batch, ${FEATURE_COUNT}] for feature schema ${FEATURE_SCHEMA_VERSION}`,
    );
  }
  if (!graph?.output?.some((o) => o.name === OUTPUT_NAME)) throw new Error(`ONNX graph has no output "${OUTPUT_NAME}"`);
}

/** Provenance recorded in the manifest's free-form `training` field. */
export interface TrainingProvenance {
  dataset: string;
  /** sha256 of the canonical serialisation of the interactions the model was trained on. */
  fingerprint: string;
  seed: number;
  epochs: number;
  metrics: Record<string, number>;
  [key: string]: unknown;
}

export interface ManifestOptions {
  /** Explicit version; default `<dataset prefix>-YYYYMMDD-<first 8 hex of sha256>`. */
  version?: string;
  createdAt?: Date;
  training: TrainingProvenance;
}

/** Version label used when none is given: e.g. synth-20250101-1a2b3c4d. */
export function defaultVersion(dataset: string, createdAt: Date, sha256: string): string {
  const prefix = /synth/i.test(dataset)
    ? "synth"
    : dataset
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "")
        .slice(0, 24) || "model";
  const day = createdAt.toISOString().slice(0, 10).replaceAll("-", "");
  return `${prefix}-${day}-${sha256.slice(0, 8)}`;
}

/** Builds and validates the manifest for exported ONNX bytes; throws if the result breaks ModelManifestSchema. */
export async function buildManifest(onnxBytes: Uint8Array, opts: ManifestOptions): Promise<ModelManifest> {
  checkGraphContract(onnxBytes);
  const sha256 = await sha256Hex(onnxBytes);
  const createdAt = opts.createdAt ?? new Date();
  const manifest = {
    format: "frontrow-model/1" as const,
    version: opts.version ?? defaultVersion(opts.training.dataset, createdAt, sha256),
    sha256,
    opset: ONNX_OPSET,
    sizeBytes: onnxBytes.byteLength,
    createdAt: createdAt.toISOString(),
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" as const },
    inputs: [{ name: INPUT_NAME, features: [...FEATURE_NAMES], broadcast: false }],
    output: OUTPUT_NAME,
    training: { ...opts.training },
  };
  const parsed = ModelManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`manifest: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}
