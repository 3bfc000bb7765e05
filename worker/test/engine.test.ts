// Which engine scores a model in workerd: the dense kernel where it reproduces ORT bit for bit, ORT everywhere else.
import { describe, expect, it } from "vitest";
import { extractFeatures } from "../../core/features.js";
import type { ModelManifest } from "../../core/manifest.js";
import { createOrtSession, loadModel, OnnxRanker } from "../src/model/index.js";
import crossnetBytes from "./fixtures/onnx/crossnet_context.onnx";
import mlpBytes from "./fixtures/onnx/mlp_layernorm.onnx";
import { trainedModel } from "./helpers.js";
import { crossnetManifest, mlpManifest } from "./onnx-fixtures.js";
import { parityInputs } from "./parity-inputs.js";

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
    const layernorm = await loadModel(mlpBytes, await mlpManifest());
    expect(layernorm.engine).toBe("onnxruntime-web");
    expect(layernorm.engineNote).toMatch(/^not a dense chain: node ".*": op LayerNormalization$/);
    const crossnet = await loadModel(crossnetBytes, await crossnetManifest());
    expect(crossnet.engine).toBe("onnxruntime-web");
    expect(crossnet.engineNote).toBe("the manifest feeds 2 inputs; the kernel reads one");
  });

  it("a graph the kernel would sum differently from ORT stays on ORT: refused by width, and caught by the probe without the cap", async () => {
    const m = trainedModel("wideModel");
    const manifest = m.manifest as unknown as ModelManifest;
    const capped = await loadModel(m.onnx, manifest);
    expect(capped.engine).toBe("onnxruntime-web");
    expect(capped.engineNote).toBe("kernel did not start: a layer reads 300 inputs; the kernel reads at most 256");
    // Without the cap the kernel is built, sums the 300 inputs in one run where MLAS does not, and the probe
    // (ORT's scores on the same rows) finds the difference before the kernel scores anything.
    const uncapped = new OnnxRanker(manifest, await createOrtSession(m.onnx));
    await uncapped.useKernelIfExact(m.onnx, { maxLayerInputs: 300 });
    expect(uncapped.engine).toBe("onnxruntime-web");
    expect(uncapped.engineNote).toMatch(/^kernel differs from ORT on probe row \d+: -?\d/);
    for (const { columns, profile, ctx } of parityInputs()) {
      const features = extractFeatures(columns, profile, ctx);
      expect(await uncapped.score(features)).toEqual(await capped.score(features));
    }
    await uncapped.release();
  });

  it("takes a model with an infinite weight on the kernel too: 0 * Inf is NaN there as in ORT, and score() refuses both alike", async () => {
    const m = trainedModel("infWeightModel");
    const manifest = m.manifest as unknown as ModelManifest;
    const ranker = await loadModel(m.onnx, manifest);
    // The probe's rows of zeros meet the infinite weight: both engines give NaN there, so they agree on every row.
    expect(ranker.engine).toBe("wasm-dense");
    expect(ranker.engineNote).toBeNull();
    const ortOnly = new OnnxRanker(manifest, await createOrtSession(m.onnx));
    for (const { columns, profile, ctx } of parityInputs()) {
      const features = extractFeatures(columns, profile, ctx);
      const [kernel, ort] = await Promise.allSettled([ranker.score(features), ortOnly.score(features)]);
      expect(kernel.status).toBe("rejected");
      expect(ort.status).toBe("rejected");
      expect(String((kernel as PromiseRejectedResult).reason)).toBe(String((ort as PromiseRejectedResult).reason));
    }
  });
});
