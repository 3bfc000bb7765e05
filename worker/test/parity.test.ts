// The worker's scores (ORT-web in workerd) equal onnxruntime-node's on the same model and features.
import { describe, expect, inject, it } from "vitest";
import { extractFeatures } from "../../core/features.js";
import type { ModelManifest } from "../../core/manifest.js";
import { loadModel } from "../src/model/index.js";
import { trainedModel } from "./helpers.js";
import { parityInputs } from "./parity-inputs.js";

describe("parity with onnxruntime-node", () => {
  it("matches within 1e-5 at 1, 100, 500 and 1,000 candidates", async () => {
    const m = trainedModel();
    const ranker = await loadModel(m.onnx, m.manifest as unknown as ModelManifest);
    const reference = inject("parityScores");
    const inputs = parityInputs();
    expect(reference.map((r) => r.n)).toEqual([1, 100, 500, 1000]);
    for (const [k, { columns, profile, ctx }] of inputs.entries()) {
      const scores = await ranker.score(extractFeatures(columns, profile, ctx));
      const ref = reference[k] as { n: number; scores: number[] };
      expect(scores.length).toBe(ref.n);
      let maxDiff = 0;
      for (let i = 0; i < ref.n; i++)
        maxDiff = Math.max(maxDiff, Math.abs((scores[i] as number) - (ref.scores[i] as number)));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
    }
  });
});
