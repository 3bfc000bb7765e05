// The PyTorch fixtures' manifests, shared by the model and engine tests. Imports only core and the fixtures: a
// test file that must see ORT idle at import (model.test.ts) can use it.
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { type ModelManifest, sha256Hex } from "../../core/manifest.js";
import crossnetBytes from "./fixtures/onnx/crossnet_context.onnx";
import mlpBytes from "./fixtures/onnx/mlp_layernorm.onnx";

// The fixtures' columns carry no meaning; map them onto schema features, deliberately out of schema order.
export const MLP_FEATURES = [...FEATURE_NAMES.slice(0, 28)].reverse().filter((_, i) => i % 2 === 0);
MLP_FEATURES.push("hour_cos", "device_web");
export const ITEM_FEATURES = FEATURE_NAMES.slice(4, 16);
export const CONTEXT_FEATURES = ["hour_sin", "hour_cos", "is_weekend", "device_phone"];

/** A manifest for fixture bytes feeding `inputs`; `overrides` replace any field. */
export async function manifestFor(
  bytes: ArrayBuffer,
  inputs: ModelManifest["inputs"],
  overrides: Partial<ModelManifest> = {},
): Promise<ModelManifest> {
  return {
    format: "frontrow-model/1",
    version: "test-1",
    sha256: await sha256Hex(bytes),
    opset: 17,
    sizeBytes: bytes.byteLength,
    createdAt: "2026-01-01T00:00:00.000Z",
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    inputs,
    output: "score",
    ...overrides,
  };
}

export const mlpManifest = () =>
  manifestFor(mlpBytes, [{ name: "features", features: MLP_FEATURES, broadcast: false }]);
export const crossnetManifest = () =>
  manifestFor(crossnetBytes, [
    { name: "item_features", features: ITEM_FEATURES, broadcast: false },
    { name: "context", features: CONTEXT_FEATURES, broadcast: true },
  ]);
