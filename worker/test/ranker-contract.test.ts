// The ONNX ranker in workerd keeps the same Ranker contract as every other ranker, on the real trained model.

import type { ModelManifest } from "../../core/manifest.js";
import { rankerContract } from "../../core/ranker.contract.js";
import { loadModel } from "../src/model/index.js";
import { trainedModel } from "./helpers.js";

rankerContract("onnx (ORT web in workerd)", () => {
  const m = trainedModel();
  return loadModel(m.onnx, m.manifest as unknown as ModelManifest);
});
