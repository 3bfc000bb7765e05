// Model manifest: what the edge must know to load, verify and feed a ranking model.
import { z } from "zod";
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "./features.js";

export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const ModelInputSpecSchema = z.object({
  /** ONNX graph input name. */
  name: z.string().min(1),
  /** Features fed to this input, in column order; every name must be in the feature schema. */
  features: z.array(z.string().min(1)).min(1),
  /** One row shared by all candidates ([1, k]) instead of one row per candidate ([n, k]). */
  broadcast: z.boolean().default(false),
});
export type ModelInputSpec = z.infer<typeof ModelInputSpecSchema>;

export const ModelManifestSchema = z.object({
  format: z.literal("frontrow-model/1"),
  version: z.string().regex(MODEL_VERSION_PATTERN, "version must be 1-64 of [A-Za-z0-9._-]"),
  /** Hex SHA-256 of the ONNX bytes; the edge refuses bytes that do not match. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits"),
  opset: z.number().int().min(7).max(23),
  sizeBytes: z.number().int().positive(),
  createdAt: z.string().datetime(),
  featureSchema: z.object({
    version: z.string().min(1),
    dtype: z.literal("float32"),
  }),
  inputs: z.array(ModelInputSpecSchema).min(1).max(8),
  /** ONNX graph output holding one score per candidate ([n] or [n, 1]). */
  output: z.string().min(1),
  /** Free-form provenance: training data fingerprint, metrics, trainer. */
  training: z.record(z.string(), z.unknown()).optional(),
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/**
 * Why the edge cannot feed this manifest's model, or null when it can: a schema version the edge does not
 * compute, or a feature name it does not know.
 */
export function manifestIncompatibility(m: ModelManifest): string | null {
  if (m.featureSchema.version !== FEATURE_SCHEMA_VERSION) {
    return `feature schema ${m.featureSchema.version} is not the edge's ${FEATURE_SCHEMA_VERSION}`;
  }
  for (const input of m.inputs) {
    for (const f of input.features) {
      if (!FEATURE_NAMES.includes(f))
        return `input "${input.name}" wants feature "${f}", which the edge does not compute`;
    }
  }
  return null;
}

/** Lowercase hex SHA-256 using WebCrypto (present in workerd, browsers and Node 20). */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const digest = await crypto.subtle.digest("SHA-256", view as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
