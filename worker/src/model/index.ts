// The model engine's public face; importing it starts onnxruntime-web at global scope (see STARTUP.md).
import { warmOrt } from "./ort.js";

export {
  type Engine,
  loadModel,
  ModelLoadError,
  type ModelLoadReason,
  OnnxRanker,
  preloadModel,
  ScoringError,
  type ScoringReason,
} from "./onnx-ranker.js";
export {
  createOrtSession,
  ORT_WEB_VERSION,
  type OrtSession,
  type OrtStatus,
  type OrtTensor,
  ortStatus,
  warmOrt,
} from "./ort.js";

/**
 * Settles when this isolate's ORT runtime is up and warmed. Started while the script's global scope runs: the
 * work is pure CPU and microtasks, so it finishes during start-up, before the first event is delivered.
 * A failure is kept in ortStatus() and surfaces as a ModelLoadError on load; it never fails start-up.
 */
export const ortReady: Promise<void> = warmOrt();
ortReady.catch(() => undefined);
