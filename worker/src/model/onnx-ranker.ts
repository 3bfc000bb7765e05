// The ONNX ranker: feeds manifest-selected feature columns to an ORT session (or, for dense chains, the wasm
// kernel that reproduces it bit for bit) and reads one score per candidate.
import {
  type CandidateColumns,
  FEATURE_COUNT,
  type FeatureMatrix,
  type FeatureProfile,
  featureIndices,
  type RankingContext,
  selectColumns,
} from "../../../core/features.js";
import type { DenseKernel } from "../../../core/kernel/dense-kernel.js";
import { firstDifference, kernelFor, probeRows } from "../../../core/kernel/eligibility.js";
import { type ModelManifest, manifestIncompatibility, sha256Hex } from "../../../core/manifest.js";
import { firstNonFinite, type Ranker } from "../../../core/ranker.js";
import { kernelModule } from "./kernel.js";
import { createOrtSession, type OrtSession, type OrtTensor } from "./ort.js";

/**
 * What computes the scores: onnxruntime-web for any graph, or the dense kernel (core/kernel) for a Gemm/Relu
 * chain after it matched onnxruntime-web bit for bit on the probe rows. Either way the scores are ORT's.
 */
export type Engine = "onnxruntime-web" | "wasm-dense";

/** Why a model was refused before it served anything. */
export type ModelLoadReason =
  | "size-mismatch"
  | "checksum-mismatch"
  | "incompatible-schema"
  | "ort-load-failure"
  | "input-not-in-graph"
  | "graph-input-not-fed"
  | "output-not-in-graph"
  | "bad-output-shape"
  | "probe-run-failure";

/** A model the edge will not serve; `reason` is stable for logs and metrics, `message` says what exactly. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  constructor(
    readonly reason: ModelLoadReason,
    message: string,
  ) {
    super(message);
  }
}

/** Why one scoring call failed. */
export type ScoringReason = "bad-features" | "ort-run-failure" | "bad-output-shape" | "non-finite-score";

/** A scoring call that produced no usable scores; callers fall back to the next ranker. */
export class ScoringError extends Error {
  override readonly name = "ScoringError";
  constructor(
    readonly reason: ScoringReason,
    message: string,
  ) {
    super(message);
  }
}

interface PreparedInput {
  name: string;
  broadcast: boolean;
  columns: Int32Array;
}

/** Scores candidates with an ONNX model described by a manifest. */
export class OnnxRanker implements Ranker {
  readonly kind = "onnx";
  readonly version: string;
  private readonly inputs: readonly PreparedInput[];
  private readonly output: string;
  private kernel: DenseKernel | null = null;
  private note: string | null = "not tried";

  /** Why the dense kernel is not in use (null while it is). */
  get engineNote(): string | null {
    return this.note;
  }

  /** The engine scoring this model now. */
  get engine(): Engine {
    return this.kernel ? "wasm-dense" : "onnxruntime-web";
  }

  /** Checks the manifest's input and output names against the graph; throws ModelLoadError if they disagree. */
  constructor(
    readonly manifest: ModelManifest,
    private readonly session: OrtSession,
  ) {
    this.version = manifest.version;
    const graphInputs = new Set(session.inputNames);
    for (const input of manifest.inputs) {
      if (!graphInputs.has(input.name)) {
        throw new ModelLoadError(
          "input-not-in-graph",
          `model ${manifest.version}: manifest input "${input.name}" is not a graph input (graph has ${list(session.inputNames)})`,
        );
      }
    }
    const fed = new Set(manifest.inputs.map((i) => i.name));
    const unfed = session.inputNames.find((name) => !fed.has(name));
    if (unfed !== undefined) {
      throw new ModelLoadError(
        "graph-input-not-fed",
        `model ${manifest.version}: graph input "${unfed}" is not named in the manifest`,
      );
    }
    if (!session.outputNames.includes(manifest.output)) {
      throw new ModelLoadError(
        "output-not-in-graph",
        `model ${manifest.version}: manifest output "${manifest.output}" is not a graph output (graph has ${list(session.outputNames)})`,
      );
    }
    this.inputs = manifest.inputs.map((i) => ({
      name: i.name,
      broadcast: i.broadcast,
      columns: featureIndices(i.features),
    }));
    this.output = manifest.output;
  }

  /** One finite score per row of `features`; throws ScoringError otherwise. */
  async score(features: FeatureMatrix): Promise<Float32Array> {
    const n = features.rows;
    if (features.cols !== FEATURE_COUNT || features.data.length < n * features.cols) {
      throw new ScoringError(
        "bad-features",
        `feature matrix is ${n}x${features.cols} over ${features.data.length} values; the schema has ${FEATURE_COUNT} columns`,
      );
    }
    if (n === 0) return new Float32Array(0);
    const kernel = this.kernel;
    if (kernel) {
      try {
        const x = selectColumns(features, (this.inputs[0] as PreparedInput).columns);
        return this.checked(kernel.score(x, n, features.built), n);
      } catch (err) {
        if (err instanceof ScoringError) throw err;
        this.kernelFailed(err);
      }
    }
    const feeds: Record<string, OrtTensor> = {};
    for (const input of this.inputs) {
      const rows = input.broadcast ? 1 : n;
      feeds[input.name] = { data: selectColumns(features, input.columns, rows), dims: [rows, input.columns.length] };
    }
    return this.checked(await this.runScores(feeds, n), n);
  }

  /**
   * The dense kernel's own extraction (Ranker.scoreList): the list's features written straight into its memory.
   * Null when this model is not on the kernel or the kernel has no list plan; a kernel fault moves the model to
   * ORT for good, as in `score`, and answers null so the caller takes the matrix path.
   */
  async scoreList(
    list: CandidateColumns,
    profile: FeatureProfile | null,
    ctx: RankingContext,
    extracted?: () => void,
  ): Promise<Float32Array | null> {
    const kernel = this.kernel;
    if (!kernel?.scoresLists) return null;
    let scores: Float32Array | null;
    try {
      scores = kernel.scoreList(list, profile, ctx, extracted);
    } catch (err) {
      this.kernelFailed(err);
      return null;
    }
    return scores && this.checked(scores, list.size);
  }

  private kernelFailed(err: unknown): void {
    // A kernel fault is a bug, not a model problem: this model goes back to ORT for good (same scores).
    this.kernel = null;
    this.note = `kernel failed, back on onnxruntime-web: ${errorText(err)}`;
    console.error(
      JSON.stringify({ level: "error", event: "kernel-failed", version: this.version, error: errorText(err) }),
    );
  }

  private checked(scores: Float32Array, n: number): Float32Array {
    const bad = firstNonFinite(scores);
    if (bad >= 0) {
      throw new ScoringError("non-finite-score", `model ${this.version}: score ${bad} of ${n} is ${scores[bad]}`);
    }
    return scores;
  }

  /**
   * Moves scoring to the dense kernel when the graph is a Gemm/Relu chain fed by exactly the manifest's one input,
   * and the kernel's scores equal ORT's bit for bit on the probe rows; otherwise ORT keeps scoring and
   * `engineNote` says why. Never throws: the kernel is an optimisation, ORT is the reference.
   */
  async useKernelIfExact(bytes: Uint8Array, opts: { maxLayerInputs?: number } = {}): Promise<void> {
    this.note = await this.tryKernel(bytes, opts);
  }

  private async tryKernel(bytes: Uint8Array, opts: { maxLayerInputs?: number }): Promise<string | null> {
    const made = kernelFor(kernelModule, bytes, this.manifest, opts);
    if ("reason" in made) return made.reason;
    const input = this.inputs[0] as PreparedInput;
    const cols = input.columns.length;
    const probe = probeRows(cols);
    const rows = probe.length / cols;
    let reference: Float32Array;
    try {
      reference = await this.runScores({ [input.name]: { data: probe, dims: [rows, cols] } }, rows);
    } catch (err) {
      return `ORT probe failed: ${errorText(err)}`;
    }
    const difference = firstDifference(made.kernel.score(probe, rows), reference);
    if (difference) return difference;
    this.kernel = made.kernel;
    return null;
  }

  /**
   * Runs the model once on two all-zero rows and checks it answers one score per row, so a model with a fixed
   * batch size or a multi-column output is refused at load time. Zeros say nothing about real inputs, so the
   * values themselves (even NaN) are not judged here; score() does that on every call.
   */
  async selfCheck(): Promise<void> {
    const zeros: FeatureMatrix = { data: new Float32Array(2 * FEATURE_COUNT), rows: 2, cols: FEATURE_COUNT };
    const feeds: Record<string, OrtTensor> = {};
    for (const input of this.inputs) {
      const rows = input.broadcast ? 1 : 2;
      feeds[input.name] = { data: selectColumns(zeros, input.columns, rows), dims: [rows, input.columns.length] };
    }
    try {
      await this.runScores(feeds, 2);
    } catch (err) {
      if (!(err instanceof ScoringError)) throw err;
      const reason = err.reason === "bad-output-shape" ? "bad-output-shape" : "probe-run-failure";
      throw new ModelLoadError(reason, `${err.message} (probe run on 2 candidates)`);
    }
  }

  /** Runs the graph and checks the output holds exactly one score per candidate. */
  private async runScores(feeds: Record<string, OrtTensor>, n: number): Promise<Float32Array> {
    let result: Record<string, OrtTensor>;
    try {
      result = await this.session.run(feeds, [this.output]);
    } catch (err) {
      throw new ScoringError("ort-run-failure", `model ${this.version}: ${errorText(err)}`);
    }
    const out = result[this.output];
    if (!out) throw new ScoringError("bad-output-shape", `model ${this.version}: output "${this.output}" missing`);
    const dims = out.dims;
    const oneScoreEach = (dims.length === 1 && dims[0] === n) || (dims.length === 2 && dims[0] === n && dims[1] === 1);
    if (!oneScoreEach || out.data.length !== n) {
      throw new ScoringError(
        "bad-output-shape",
        `model ${this.version}: output "${this.output}" has shape [${dims.join(", ")}] for ${n} candidates; expected [${n}] or [${n}, 1]`,
      );
    }
    return out.data;
  }

  /** Frees the ORT session; the ranker must not be used afterwards. */
  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * Verifies model bytes against their manifest (size, SHA-256, feature schema), creates the ORT session, checks
 * the graph's names, and runs a two-row probe to check the output shape. Throws ModelLoadError naming the
 * reason; nothing is left allocated on failure. Verified bytes that match a preloadModel() call (same SHA-256,
 * version, inputs and output) get the preloaded ranker instead of a new session.
 */
export function loadModel(bytes: ArrayBuffer | Uint8Array, manifest: ModelManifest): Promise<OnnxRanker> {
  return load(bytes, manifest, true);
}

async function load(
  bytes: ArrayBuffer | Uint8Array,
  manifest: ModelManifest,
  reusePreloaded: boolean,
): Promise<OnnxRanker> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const v = manifest.version;
  if (view.byteLength !== manifest.sizeBytes) {
    throw new ModelLoadError(
      "size-mismatch",
      `model ${v}: ${view.byteLength} bytes, manifest says ${manifest.sizeBytes}`,
    );
  }
  const digest = await sha256Hex(view);
  if (digest !== manifest.sha256) {
    throw new ModelLoadError("checksum-mismatch", `model ${v}: sha256 ${digest}, manifest says ${manifest.sha256}`);
  }
  const incompatible = manifestIncompatibility(manifest);
  if (incompatible) throw new ModelLoadError("incompatible-schema", `model ${v}: ${incompatible}`);
  if (reusePreloaded) {
    const preloaded = await preloadedRankers.get(digest)?.catch(() => null);
    if (preloaded && sameGraphContract(preloaded.manifest, manifest)) return preloaded;
  }
  let session: OrtSession;
  try {
    session = await createOrtSession(view);
  } catch (err) {
    throw new ModelLoadError("ort-load-failure", `model ${v}: onnxruntime could not load it: ${errorText(err)}`);
  }
  try {
    const ranker = new OnnxRanker(manifest, session);
    await ranker.selfCheck();
    await ranker.useKernelIfExact(view);
    return ranker;
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
}

// Keyed by the manifest's SHA-256 as soon as preloading starts, so a load racing it waits instead of building a
// second session; loadModel only consults it after checking the bytes it was given hash to that key.
const preloadedRankers = new Map<string, Promise<OnnxRanker>>();

/**
 * Loads a model bundled with the worker, meant for global scope, so its ORT session exists before the first
 * request. A later loadModel of bytes with the same SHA-256 and a manifest with the same version, inputs and
 * output returns this ranker instead of creating a second session: same bytes, same session options, hence the
 * same scores. The ranker is shared, so callers must not release it.
 */
export function preloadModel(bytes: ArrayBuffer | Uint8Array, manifest: ModelManifest): Promise<OnnxRanker> {
  const existing = preloadedRankers.get(manifest.sha256);
  if (existing) return existing;
  const loading = load(bytes, manifest, false);
  // Registered before anyone else can await `loading`, so a ranker handed out is already marked.
  loading.then((r) => sharedRankers.add(r)).catch(() => undefined);
  preloadedRankers.set(manifest.sha256, loading);
  loading.catch(() => preloadedRankers.delete(manifest.sha256));
  return loading;
}

const sharedRankers = new WeakSet<object>();

/** True for a ranker preloadModel() created: it is shared, so whoever stops using it must not release it. */
export function isPreloaded(ranker: object): boolean {
  return sharedRankers.has(ranker);
}

function sameGraphContract(a: ModelManifest, b: ModelManifest): boolean {
  return a.version === b.version && a.output === b.output && JSON.stringify(a.inputs) === JSON.stringify(b.inputs);
}

function list(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
