// Bring your own model: a schema file maps an ONNX graph's inputs to frontrow features; out comes a manifest.
// A given ONNX model (imported, or a model-export artifact) can also be scored on the evaluation protocols.
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import * as ortNode from "onnxruntime-node";
import { z } from "zod";
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION, type RankingContext } from "../../core/features.js";
import { MODEL_VERSION_PATTERN, type ModelManifest, ModelManifestSchema, sha256Hex } from "../../core/manifest.js";
import { firstNonFinite } from "../../core/ranker.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import type { Dataset } from "../../origin/src/dataset.js";
import { evaluate, type ListScorer } from "./evaluate.js";
import { type ExampleList, fingerprintInteractions, listFeatures, type SplitOptions } from "./examples.js";
import {
  describeVisible,
  type EvaluatedModel,
  type EvaluationReport,
  HELD_OUT,
  heldOutStage,
  originOf,
  PROTOCOLS,
  type Protocol,
  type ProtocolResult,
} from "./protocols.js";
import { defaultOpset, feedsFor, graphContractProblems, readGraph } from "./validate.js";

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

/** What every report on a given model says: it was not trained on each protocol's visible part. */
export const GIVEN_MODEL_CAVEAT =
  "not a clean protocol result: this model was not trained on each protocol's visible part by this tool, so it " +
  "may have been trained on interactions held out here and its numbers may be optimistic; popularity and " +
  "origin order are computed exactly as in the protocol (fitted on the visible part only)";

/**
 * Scores example lists with an ONNX model in onnxruntime-node, fed as the worker's OnnxRanker feeds it: the
 * shared core feature extractor, the manifest's columns per input, broadcast inputs one context row. ORT runs
 * asynchronously and evaluate() wants a synchronous scorer, so `prepare` scores each list in the context of each
 * of its held-out views (all evaluate() asks for) and `score` answers from that.
 */
export class OnnxListScorer {
  private readonly cache = new Map<ExampleList, Map<RankingContext, Float32Array>>();
  /** Scoring calls whose output was unusable (wrong length, NaN/Inf): ranked in origin order, as the edge does. */
  fallbacks = 0;

  private constructor(
    private readonly session: ortNode.InferenceSession,
    private readonly manifest: ModelManifest,
  ) {}

  static async create(bytes: Uint8Array, manifest: ModelManifest): Promise<OnnxListScorer> {
    const session = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new OnnxListScorer(session, manifest);
  }

  /** The model's scores for a list in a context (origin order when the output is unusable). */
  async run(list: ExampleList, context: RankingContext): Promise<Float32Array> {
    const n = list.ids.length;
    if (n === 0) return new Float32Array(0);
    const tensors: Record<string, ortNode.Tensor> = {};
    for (const [name, f] of Object.entries(feedsFor(this.manifest, listFeatures(list, context)))) {
      tensors[name] = new ortNode.Tensor("float32", f.data, f.dims);
    }
    const out = (await this.session.run(tensors, [this.manifest.output]))[this.manifest.output];
    const data = out?.data;
    if (!(data instanceof Float32Array) || data.length !== n || firstNonFinite(data) >= 0) {
      this.fallbacks++;
      return Float32Array.from({ length: n }, (_, i) => -i);
    }
    return data;
  }

  /** Scores every list in the context of each of its held-out views. */
  async prepare(lists: readonly ExampleList[]): Promise<void> {
    for (const list of lists) {
      let byContext = this.cache.get(list);
      if (!byContext) {
        byContext = new Map();
        this.cache.set(list, byContext);
      }
      for (const ev of list.events) {
        if (!byContext.has(ev.context)) byContext.set(ev.context, await this.run(list, ev.context));
      }
    }
  }

  readonly score: ListScorer = (list, context) => {
    const s = this.cache.get(list)?.get(context);
    if (!s) throw new Error(`list of user ${list.userId} was not prepared for this context`);
    return s;
  };

  /** Drops prepared scores (one protocol's worth can be tens of MB). */
  clear(): void {
    this.cache.clear();
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export interface GivenModelOptions {
  seed?: number;
  /** Origin candidates per user (default 500, as the protocols). */
  depth?: number;
  protocols?: readonly Protocol[];
  split?: SplitOptions;
  makeGenerator?: () => CandidateGenerator;
  log?: (line: string) => void;
}

/**
 * Scores a given ONNX model (imported, or an artifact directory) on the protocols' held-out lists, beside
 * popularity and origin order. Nothing is trained: the model is used as it is, so the report carries
 * GIVEN_MODEL_CAVEAT and `model`; `trainedOn` of each result is the visible part the origin was fitted on.
 */
export async function evaluateGivenModel(
  dataset: Dataset,
  bytes: Uint8Array,
  manifest: ModelManifest,
  source: { kind: EvaluatedModel["kind"]; files: string[] },
  opts: GivenModelOptions = {},
): Promise<EvaluationReport & { model: EvaluatedModel }> {
  const seed = opts.seed ?? 1;
  const depth = opts.depth ?? 500;
  const log = opts.log ?? (() => {});
  const stageOpts = { depth, makeGenerator: opts.makeGenerator ?? (() => new EaseGenerator()), split: opts.split };
  const scorer = await OnnxListScorer.create(bytes, manifest);
  const results: ProtocolResult[] = [];
  try {
    for (const protocol of opts.protocols ?? PROTOCOLS) {
      const t0 = performance.now();
      const { stage, visible } = heldOutStage(dataset, protocol, seed, stageOpts);
      log(`${protocol}: scoring ${stage.lists.length} held-out lists with ${manifest.version} (onnxruntime-node)`);
      await scorer.prepare(stage.lists);
      const e = evaluate(stage, scorer.score);
      scorer.clear();
      results.push({
        protocol,
        description: `${protocol}: ${HELD_OUT[protocol]}; re-ranked by the given model ${manifest.version}, not trained on this visible part (it may have seen held-out interactions: not a clean protocol result)`,
        headline: e.window,
        evaluation: e,
        trainedOn: await describeVisible(visible),
        origin: originOf(stage),
        seconds: (performance.now() - t0) / 1000,
      });
    }
  } finally {
    await scorer.release();
  }
  const fingerprint = (manifest.training as { fingerprint?: unknown } | undefined)?.fingerprint;
  return {
    dataset: dataset.name,
    fingerprint: await fingerprintInteractions(dataset.interactions),
    seed,
    depth,
    results,
    model: {
      version: manifest.version,
      kind: source.kind,
      files: source.files,
      sha256: manifest.sha256,
      inputs: manifest.inputs.map((i) => ({ name: i.name, features: [...i.features], broadcast: i.broadcast })),
      trainingFingerprint: typeof fingerprint === "string" ? fingerprint : null,
      fallbacks: scorer.fallbacks,
      caveat: GIVEN_MODEL_CAVEAT,
    },
  };
}
