// Test support: writes a model directory (model.onnx + manifest.json) the publisher accepts, optionally broken.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { sha256Hex } from "../../core/manifest.js";

/**
 * Writes `bytes` as model.onnx and a matching manifest into `dir`; `edit` may alter the manifest first. The bytes
 * need not be a real ONNX graph: the publisher checks the manifest and the hash, the edge parses the graph.
 */
export async function writeModelFixture(
  dir: string,
  bytes: Uint8Array,
  version = "test-1",
  edit: (m: Record<string, unknown>) => void = () => {},
): Promise<string> {
  const manifest: Record<string, unknown> = {
    format: "frontrow-model/1",
    version,
    sha256: await sha256Hex(bytes),
    opset: 17,
    sizeBytes: bytes.length,
    createdAt: "2026-11-01T00:00:00Z",
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    inputs: [{ name: "x", features: ["cf_score", "popularity"] }],
    output: "score",
  };
  edit(manifest);
  writeFileSync(join(dir, "model.onnx"), bytes);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}
