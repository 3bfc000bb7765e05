// The ONNX ranker in workerd keeps the same Ranker contract as every other ranker, on the real trained model, on both engines.

import type { ModelManifest } from "../../core/manifest.js";
import { rankerContract } from "../../core/ranker.contract.js";
import { createOrtSession, loadModel, OnnxRanker } from "../src/model/index.js";
import { trainedModel } from "./helpers.js";

rankerContract("onnx on the dense kernel (frontrow's own export)", async () => {
  const m = trainedModel();
  const ranker = await loadModel(m.onnx, m.manifest as unknown as ModelManifest);
  if (ranker.engine !== "wasm-dense") throw new Error(`expected the dense kernel, got ${ranker.engine}`);
  return ranker;
});

rankerContract("onnx on ORT web in workerd", async () => {
  const m = trainedModel();
  return new OnnxRanker(m.manifest as unknown as ModelManifest, await createOrtSession(m.onnx));
});
