// Bring your own model: a schema file maps an ONNX graph's inputs to frontrow features; out comes a manifest.
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { z } from "zod";
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { MODEL_VERSION_PATTERN, type ModelManifest, ModelManifestSchema, sha256Hex } from "../../core/manifest.js";
import { defaultOpset, graphContractProblems, readGraph } from "./validate.js";

/** The import schema: which frontrow features feed which graph input, in column order. */
export const ImportSchemaSchema = z.strictObject({
  version: z.string().regex(MODEL_VERSION_PATTERN, "must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit"),
  /** Graph output holding one score per candidate. */
  output: z.string().min(1),
  inputs: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        features: z
          .array(z.string())
          .min(1)
          .superRefine((names, ctx) => {
            names.forEach((n, i) => {
              if (!FEATURE_NAMES.includes(n)) {
                ctx.addIssue({
                  code: "custom",
                  path: [i],
                  message: `"${n}" is not a frontrow feature (schema ${FEATURE_SCHEMA_VERSION})`,
                });
              }
            });
          }),
        /** One context row shared by every candidate: fed as [1, k]. */
        broadcast: z.boolean().default(false),
      }),
    )
    .min(1)
    .max(8),
  /** Free-form provenance kept in the manifest (framework, training data, metrics...). */
  training: z.record(z.string(), z.unknown()).optional(),
});
export type ImportSchema = z.infer<typeof ImportSchemaSchema>;

/** An import that cannot go ahead; `problems` holds one message per issue, each naming file and line or field. */
export class ImportError extends Error {
  override readonly name = "ImportError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/** 1-based line of a JSON path in `text`, or null when the path is not there. */
export function lineOf(text: string, path: readonly (string | number)[]): number | null {
  const root = parseTree(text);
  if (!root) return null;
  let node = findNodeAtLocation(root, [...path]);
  // An issue on a missing key points at its parent object.
  for (let p = path.length - 1; !node && p >= 0; p--) node = findNodeAtLocation(root, path.slice(0, p));
  if (!node) return null;
  return text.slice(0, node.offset).split("\n").length;
}

/** Parses and checks a schema file's text; errors name the file, line and field. */
export function parseImportSchema(text: string, file: string): ImportSchema {
  if (text.trim() === "") throw new ImportError([`${file}: empty file`]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ImportError([`${file}: not valid JSON (${(e as Error).message})`]);
  }
  const parsed = ImportSchemaSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ImportError(
      parsed.error.issues.slice(0, 8).map((issue) => {
        const line = lineOf(text, issue.path as (string | number)[]);
        return `${file}${line ? `:${line}` : ""} field "${issue.path.join(".") || "(root)"}": ${issue.message}`;
      }),
    );
  }
  const names = parsed.data.inputs.map((i) => i.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ImportError([`${file} field "inputs": input "${dup}" is mapped twice`]);
  return parsed.data;
}

/**
 * Builds the manifest for foreign ONNX bytes and a schema, after checking the schema against the graph's inputs
 * and output (names, column counts, broadcast rows). Throws ImportError listing every mismatch.
 */
export async function importManifest(
  bytes: Uint8Array,
  schema: ImportSchema,
  where: { onnxFile: string; schemaFile: string; createdAt?: Date },
): Promise<ModelManifest> {
  const graph = readGraph(bytes);
  if ("error" in graph) throw new ImportError([`${where.onnxFile}: ${graph.error}`]);
  const opset = defaultOpset(graph.model);
  if (opset === null) throw new ImportError([`${where.onnxFile}: the graph imports no default-domain opset`]);
  const manifest: ModelManifest = {
    format: "frontrow-model/1",
    version: schema.version,
    sha256: await sha256Hex(bytes),
    opset,
    sizeBytes: bytes.length,
    createdAt: (where.createdAt ?? new Date()).toISOString(),
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    inputs: schema.inputs.map((i) => ({ name: i.name, features: [...i.features], broadcast: i.broadcast })),
    output: schema.output,
    training: {
      source: "imported",
      producer: [graph.model.producerName, graph.model.producerVersion].filter(Boolean).join(" ") || "unknown",
      ...(schema.training ?? {}),
    },
  };
  const problems = graphContractProblems(graph.model, manifest, {
    onnxFile: where.onnxFile,
    manifestFile: where.schemaFile,
  });
  if (problems.length) throw new ImportError(problems);
  const parsed = ModelManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new ImportError(
      parsed.error.issues.map((i) => `${where.schemaFile} field "${i.path.join(".")}": ${i.message} (in the manifest)`),
    );
  }
  return parsed.data;
}
