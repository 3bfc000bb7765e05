// The model deployed with the worker, preloaded at global scope so a fresh isolate's first request only runs it.
import { type ModelManifest, ModelManifestSchema } from "../../core/manifest.js";
import manifestJson from "../model/manifest.json";
import bytes from "../model/model.onnx";
import { preloadModel } from "./model/index.js";

/**
 * The bundled model's manifest, or null if it does not validate (then nothing is preloaded and the first
 * request creates its session itself). KV's `model:active` decides what serves; the bundle only warms it.
 */
export const BUNDLED_MANIFEST: ModelManifest | null = (() => {
  const parsed = ModelManifestSchema.safeParse(manifestJson);
  if (parsed.success) return parsed.data;
  console.warn(
    JSON.stringify({ level: "warn", event: "bundled-model-invalid", issue: parsed.error.issues[0]?.message }),
  );
  return null;
})();

/** The bundled ONNX bytes (wrangler `Data` rule). */
export const BUNDLED_BYTES: ArrayBuffer = bytes;

/** Starts creating the bundled model's session; a later loadModel of the same bytes reuses it. */
export function preloadBundledModel(): void {
  if (!BUNDLED_MANIFEST) return;
  preloadModel(BUNDLED_BYTES, BUNDLED_MANIFEST).catch((e: Error) => {
    console.warn(JSON.stringify({ level: "warn", event: "bundled-model-preload-failed", error: e.message }));
  });
}
