// Which engine scores a model in workerd: the dense kernel where it reproduces ORT bit for bit, ORT everywhere else.
import { describe, expect, it } from "vitest";
import { extractFeatures, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { type ModelManifest, sha256Hex } from "../../core/manifest.js";
import { createOrtSession, loadModel, OnnxRanker } from "../src/model/index.js";
import crossnetBytes from "./fixtures/onnx/crossnet_context.onnx";
import mlpBytes from "./fixtures/onnx/mlp_layernorm.onnx";
import { trainedModel } from "./helpers.js";
import { parityInputs } from "./parity-inputs.js";

// The fixtures' columns mapped onto schema features as worker/test/model.test.ts maps them.
const MLP_FEATURES = [...FEATURE_NAMES.slice(0, 28)].reverse().filter((_, i) => i % 2 === 0);
MLP_FEATURES.push("hour_cos", "device_web");
const ITEM_FEATURES = FEATURE_NAMES.slice(4, 16);
const CONTEXT_FEATURES = ["hour_sin", "hour_cos", "is_weekend", "device_phone"];

async function manifestFor(bytes: ArrayBuffer, inputs: ModelManifest["inputs"]): Promise<ModelManifest> {
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
  };
}

describe("engine choice: the dense kernel where it reproduces ORT exactly, ORT everywhere else", () => {
  it("scores frontrow's own export (a Gemm/Relu chain) on the kernel, bit-identical to an ORT session of the same bytes", async () => {
    const m = trainedModel();
    const manifest = m.manifest as unknown as ModelManifest;
    const ranker = await loadModel(m.onnx, manifest);
    expect(ranker.engine).toBe("wasm-dense");
    expect(ranker.engineNote).toBeNull();
    // The same model on ORT alone: the constructor never attaches the kernel.
    const ortOnly = new OnnxRanker(manifest, await createOrtSession(m.onnx));
    expect(ortOnly.engine).toBe("onnxruntime-web");
    const sizes: number[] = [];
    for (const { columns, profile, ctx } of parityInputs()) {
      const features = extractFeatures(columns, profile, ctx);
      const kernel = await ranker.score(features);
      expect(kernel).toEqual(await ortOnly.score(features));
      sizes.push(kernel.length);
    }
    expect(sizes).toEqual([1, 100, 500, 1000]);
    await ortOnly.release();
  });

  it("keeps graphs that are not a single dense chain on ORT and says why", async () => {
    const layernorm = await loadModel(
      mlpBytes,
      await manifestFor(mlpBytes, [{ name: "features", features: MLP_FEATURES, broadcast: false }]),
    );
    expect(layernorm.engine).toBe("onnxruntime-web");
    expect(layernorm.engineNote).toMatch(/^not a dense chain: node ".*": op LayerNormalization$/);
    const crossnet = await loadModel(
      crossnetBytes,
      await manifestFor(crossnetBytes, [
        { name: "item_features", features: ITEM_FEATURES, broadcast: false },
        { name: "context", features: CONTEXT_FEATURES, broadcast: true },
      ]),
    );
    expect(crossnet.engine).toBe("onnxruntime-web");
    expect(crossnet.engineNote).toBe("the manifest feeds more than one per-candidate input");
  });

  it("keeps a model on ORT when the probe finds the kernel's scores differ (an infinite weight: 0 * Inf)", async () => {
    const m = trainedModel("infWeightModel");
    const ranker = await loadModel(m.onnx, m.manifest as unknown as ModelManifest);
    expect(ranker.engine).toBe("onnxruntime-web");
    expect(ranker.engineNote).toMatch(/^kernel differs from ORT on probe row 0: -?[\d.e+-]+ vs NaN$/);
  });
});
