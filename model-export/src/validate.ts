// Proves a model artifact safe before it is published: manifest, checksum, graph contract, both ORT builds, edge cases, budget.

import onnxProto from "onnx-proto";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web/wasm";
import {
  type CandidateColumns,
  extractFeatures,
  FEATURE_COUNT,
  type FeatureMatrix,
  featureIndices,
  profileFromHistory,
  type RankingContext,
  selectColumns,
} from "../../core/features.js";
import { firstDifference, kernelFor, probeRows } from "../../core/kernel/eligibility.js";
import { type ModelManifest, ModelManifestSchema, manifestIncompatibility, sha256Hex } from "../../core/manifest.js";
import { DEVICES, GENRES, TAGS } from "../../core/vocab.js";
import { kernelModule } from "./kernel.js";
import { Rng } from "./mlp.js";

const { onnx } = onnxProto;

/** Limits an artifact must meet; the defaults fit the worker's memory and per-request CPU. */
export interface Budget {
  /** ONNX bytes. KV takes 25 MiB, but the isolate has 128 MB for everything. */
  maxBytes: number;
  /** Mean onnxruntime-web inference time at 1,000 candidates, single thread, in milliseconds. */
  maxMsAt1000: number;
}

export const DEFAULT_BUDGET: Budget = { maxBytes: 4 * 1024 * 1024, maxMsAt1000: 5 };
/** Largest |node - web| score difference accepted, relative to max(1, |score|). */
export const PARITY_TOLERANCE = 1e-5;

/** Op domains the worker's onnxruntime-web build carries kernels for. */
const RUNNABLE_DOMAINS = new Set(["", "ai.onnx", "ai.onnx.ml", "com.microsoft"]);

export interface ValidationReport {
  ok: boolean;
  /** One clear message per failed check, naming the file and field where there is one. */
  problems: string[];
  version: string | null;
  /** Distinct ops in the graph as `domain:Op` (domain empty for ai.onnx). */
  ops: string[];
  opset: number | null;
  sizeBytes: number;
  /** Edge cases run, and the worst node/web disagreement over all of them. */
  cases: { name: string; rows: number; maxAbsDiff: number }[];
  maxAbsDiff: number | null;
  /** Mean inference time at 1,000 candidates (ms), per runtime. */
  msAt1000: { node: number; web: number } | null;
  /**
   * What will score the model at the edge: the worker's dense wasm kernel when the graph is a plain Gemm/Relu
   * chain whose scores equal onnxruntime-web's bit for bit (the worker checks the same at load), else
   * onnxruntime-web, with the reason. Information, not a check: both engines serve. Null when not reached.
   * `firstLayer` (the kernel only): "planned" when it takes genre indicators as mask bits and per-request columns
   * once per call (the same scores, checked against the plain layer), else why it multiplies every input.
   */
  edgeEngine: { engine: "wasm-dense" | "onnxruntime-web"; note: string | null; firstLayer?: string } | null;
}

export interface ValidateOptions {
  /** Names used in messages. */
  onnxFile?: string;
  manifestFile?: string;
  budget?: Budget;
  /** Timed runs at 1,000 candidates (default 30). */
  timingRuns?: number;
}

type Session = ortNode.InferenceSession | ortWeb.InferenceSession;
type Feeds = Record<string, { data: Float32Array; dims: number[] }>;

let webConfigured = false;
function configureWeb(): void {
  if (webConfigured) return;
  // The same settings the worker runs with: one thread, no proxy worker.
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.proxy = false;
  webConfigured = true;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;
}

/** The graph as the protobuf says, or a reason it is not an ONNX model. */
export function readGraph(bytes: Uint8Array): { model: onnxProto.onnx.ModelProto } | { error: string } {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return { error: `not an ONNX model (protobuf decode failed: ${errorText(e)})` };
  }
  // Arbitrary bytes can decode as a protobuf with unknown fields; a model has an IR version and a graph with nodes.
  if (!model.irVersion || !model.graph || (model.graph.node ?? []).length === 0 || !model.graph.output?.length) {
    return { error: "not an ONNX model (no IR version, graph, nodes or outputs)" };
  }
  return { model };
}

/** Dims of a graph input or output: numbers for fixed sizes, strings for symbolic ones, null when unknown. */
export function graphDims(v: onnxProto.onnx.IValueInfoProto): (number | string | null)[] | null {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0
      ? Number(d.dimValue)
      : d.dimParam
        ? d.dimParam
        : null,
  );
}

/** The graph's opset for the default domain. */
export function defaultOpset(model: onnxProto.onnx.ModelProto): number | null {
  const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  return imp?.version !== undefined && imp.version !== null ? Number(imp.version) : null;
}

/** Checks the manifest's inputs and output against the graph's declared names, shapes and types. */
export function graphContractProblems(
  model: onnxProto.onnx.ModelProto,
  manifest: ModelManifest,
  where: { onnxFile: string; manifestFile: string },
): string[] {
  const problems: string[] = [];
  const graph = model.graph as onnxProto.onnx.IGraphProto;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const graphInputs = (graph.input ?? []).filter((i) => !inits.has(i.name));
  const byName = new Map(graphInputs.map((i) => [i.name ?? "", i]));
  manifest.inputs.forEach((input, k) => {
    const field = `${where.manifestFile} field "inputs.${k}"`;
    const g = byName.get(input.name);
    if (!g) {
      problems.push(
        `${field}: input "${input.name}" is not a graph input of ${where.onnxFile} (graph inputs: ${[...byName.keys()].join(", ")})`,
      );
      return;
    }
    const elem = g.type?.tensorType?.elemType;
    if (elem !== onnx.TensorProto.DataType.FLOAT) {
      problems.push(`${where.onnxFile}: graph input "${input.name}" is not float32 (element type ${elem})`);
    }
    const dims = graphDims(g);
    if (dims && dims.length !== 2) {
      problems.push(`${where.onnxFile}: graph input "${input.name}" has ${dims.length} dims; frontrow feeds [rows, k]`);
      return;
    }
    if (dims) {
      const cols = dims[1];
      if (typeof cols === "number" && cols !== input.features.length) {
        problems.push(
          `${field}: ${input.features.length} features for "${input.name}", but the graph wants ${cols} columns`,
        );
      }
      const rows = dims[0];
      if (input.broadcast && typeof rows === "number" && rows !== 1) {
        problems.push(`${field}: broadcast input "${input.name}" must take one row, the graph wants ${rows}`);
      }
      if (!input.broadcast && typeof rows === "number") {
        problems.push(
          `${where.onnxFile}: graph input "${input.name}" has a fixed batch of ${rows}; it must be dynamic (one row per candidate)`,
        );
      }
    }
  });
  const fed = new Set(manifest.inputs.map((i) => i.name));
  for (const name of byName.keys()) {
    if (!fed.has(name))
      problems.push(`${where.manifestFile} field "inputs": graph input "${name}" of ${where.onnxFile} is not fed`);
  }
  if (!(graph.output ?? []).some((o) => o.name === manifest.output)) {
    problems.push(
      `${where.manifestFile} field "output": "${manifest.output}" is not a graph output (graph outputs: ${(graph.output ?? []).map((o) => o.name).join(", ")})`,
    );
  }
  return problems;
}

/** Feeds for a feature matrix exactly as the worker's OnnxRanker builds them (broadcast inputs take row 0). */
export function feedsFor(manifest: ModelManifest, m: FeatureMatrix): Feeds {
  const feeds: Feeds = {};
  for (const input of manifest.inputs) {
    const columns = featureIndices(input.features);
    const rows = input.broadcast ? 1 : m.rows;
    feeds[input.name] = { data: selectColumns(m, columns, rows), dims: [rows, columns.length] };
  }
  return feeds;
}

async function run(
  runtime: typeof ortNode | typeof ortWeb,
  session: Session,
  feeds: Feeds,
  output: string,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const tensors: Record<string, ortNode.Tensor | ortWeb.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) tensors[name] = new runtime.Tensor("float32", f.data, f.dims);
  // Both runtimes take the same feed shape; the union of their session types does not unify their run().
  const out = await (session as ortNode.InferenceSession).run(tensors as Record<string, ortNode.Tensor>, [output]);
  const t = out[output];
  if (!t) throw new Error(`output "${output}" missing`);
  return { data: t.data as Float32Array, dims: t.dims };
}

const CONTEXT: RankingContext = { region: "eu-west", localHour: 20.5, weekday: 5, year: 2026, device: "tv" };

/** Candidate columns from a seeded generator: realistic ranges, every genre and tag bit exercised. */
function randomColumns(n: number, rng: Rng): CandidateColumns {
  const cf = new Float32Array(n);
  const pop = new Float32Array(n);
  const genres = new Uint32Array(n);
  const tags = new Uint32Array(n);
  const year = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    cf[i] = (n - i) / n + rng.next() * 0.01;
    pop[i] = rng.next();
    genres[i] = Math.floor(rng.next() * 2 ** GENRES.length);
    tags[i] = Math.floor(rng.next() * 2 ** TAGS.length);
    year[i] = 1920 + Math.floor(rng.next() * 106);
  }
  return { size: n, cfScore: cf, popularity: pop, genres, tags, year };
}

/**
 * The inputs every artifact must score finitely and identically in both runtimes: seeded realistic lists
 * (the golden set), all-zero rows, the extremes each feature can take, and what the edge computes when data is
 * missing (no profile, no genres or tags, unknown year, zero CF scores).
 */
export function edgeCases(): { name: string; matrix: FeatureMatrix }[] {
  const rng = new Rng(20261125);
  const profile = profileFromHistory(
    "golden",
    Array.from({ length: 40 }, (_, i) => ({
      id: i,
      genres: Math.floor(rng.next() * 2 ** GENRES.length),
      tags: Math.floor(rng.next() * 2 ** TAGS.length),
    })),
    0,
  );
  const cases: { name: string; matrix: FeatureMatrix }[] = [];
  for (const [k, device] of DEVICES.entries()) {
    const ctx = { ...CONTEXT, localHour: (k * 7.25) % 24, weekday: k, device };
    cases.push({ name: `golden ${device}`, matrix: extractFeatures(randomColumns(50, rng), profile, ctx) });
  }
  const n = 16;
  cases.push({ name: "zeros", matrix: { data: new Float32Array(n * FEATURE_COUNT), rows: n, cols: FEATURE_COUNT } });
  cases.push({
    name: "ones",
    matrix: { data: new Float32Array(n * FEATURE_COUNT).fill(1), rows: n, cols: FEATURE_COUNT },
  });
  cases.push({
    name: "extremes (-1, 1e3)",
    matrix: {
      data: Float32Array.from({ length: n * FEATURE_COUNT }, (_, i) => (i % 2 ? 1e3 : -1)),
      rows: n,
      cols: FEATURE_COUNT,
    },
  });
  const bare: CandidateColumns = {
    size: n,
    cfScore: new Float32Array(n),
    popularity: new Float32Array(n),
    genres: new Uint32Array(n),
    tags: new Uint32Array(n),
    year: new Uint16Array(n),
  };
  cases.push({
    name: "missing features (no profile, genres, tags, year, scores)",
    matrix: extractFeatures(bare, null, CONTEXT),
  });
  cases.push({ name: "single candidate", matrix: extractFeatures(randomColumns(1, rng), profile, CONTEXT) });
  cases.push({ name: "1,000 candidates", matrix: extractFeatures(randomColumns(1000, rng), profile, CONTEXT) });
  return cases;
}

function firstBad(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) return i;
  return -1;
}

/**
 * Runs every check on an artifact and collects one message per failure; `ok` is true when there are none.
 * Checks that need a loadable graph are skipped once an earlier one shows it cannot load.
 */
export async function validateArtifact(
  bytes: Uint8Array,
  manifestRaw: unknown,
  opts: ValidateOptions = {},
): Promise<ValidationReport> {
  const onnxFile = opts.onnxFile ?? "model.onnx";
  const manifestFile = opts.manifestFile ?? "manifest.json";
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const report: ValidationReport = {
    ok: false,
    problems: [],
    version: null,
    ops: [],
    opset: null,
    sizeBytes: bytes.length,
    cases: [],
    maxAbsDiff: null,
    msAt1000: null,
    edgeEngine: null,
  };
  const problems = report.problems;
  const done = () => {
    report.ok = problems.length === 0;
    return report;
  };

  const parsed = ModelManifestSchema.safeParse(manifestRaw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 5)) {
      problems.push(`${manifestFile} field "${issue.path.join(".") || "(root)"}": ${issue.message}`);
    }
    return done();
  }
  const manifest = parsed.data;
  report.version = manifest.version;
  const incompatible = manifestIncompatibility(manifest);
  if (incompatible) problems.push(`${manifestFile} field "inputs": ${incompatible}`);
  if (manifest.sizeBytes !== bytes.length) {
    problems.push(
      `${onnxFile}: ${bytes.length} bytes, but ${manifestFile} field "sizeBytes" says ${manifest.sizeBytes}`,
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256) {
    problems.push(`${onnxFile}: sha256 ${sha} does not match ${manifestFile} field "sha256" (${manifest.sha256})`);
  }
  if (bytes.length > budget.maxBytes) {
    problems.push(`${onnxFile}: ${bytes.length} bytes is over the ${budget.maxBytes}-byte budget`);
  }

  const graph = readGraph(bytes);
  if ("error" in graph) {
    problems.push(`${onnxFile}: ${graph.error}`);
    return done();
  }
  const model = graph.model;
  report.opset = defaultOpset(model);
  if (report.opset !== null && report.opset !== manifest.opset) {
    problems.push(`${manifestFile} field "opset": says ${manifest.opset}, ${onnxFile} imports opset ${report.opset}`);
  }
  const ops = new Set<string>();
  for (const node of model.graph?.node ?? []) ops.add(`${node.domain ?? ""}:${node.opType}`);
  report.ops = [...ops].sort();
  for (const op of report.ops) {
    const domain = op.slice(0, op.indexOf(":"));
    if (!RUNNABLE_DOMAINS.has(domain))
      problems.push(`${onnxFile}: op ${op} is from a domain the worker's ORT build does not run`);
  }
  problems.push(...graphContractProblems(model, manifest, { onnxFile, manifestFile }));
  if (problems.length > 0) return done();

  configureWeb();
  let nodeSession: ortNode.InferenceSession | null = null;
  let webSession: ortWeb.InferenceSession | null = null;
  try {
    try {
      nodeSession = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (e) {
      problems.push(`${onnxFile}: onnxruntime-node cannot load it: ${errorText(e)}`);
    }
    try {
      webSession = await ortWeb.InferenceSession.create(bytes);
    } catch (e) {
      // The wasm build is the worker's: an op it lacks fails here, named in ORT's message.
      problems.push(`${onnxFile}: onnxruntime-web (the worker's build) cannot load it: ${errorText(e)}`);
    }
    if (!nodeSession || !webSession) return done();

    let worst = 0;
    const cases = edgeCases();
    // Each case's onnxruntime-web scores, kept for the engine check below instead of running ORT again.
    const webScored: WebScored[] = [];
    for (const c of cases) {
      const feeds = feedsFor(manifest, c.matrix);
      let a: Awaited<ReturnType<typeof run>>;
      let b: Awaited<ReturnType<typeof run>>;
      try {
        a = await run(ortNode, nodeSession, feeds, manifest.output);
        b = await run(ortWeb, webSession, feeds, manifest.output);
      } catch (e) {
        problems.push(`${onnxFile}: inference failed on ${c.name} (${c.matrix.rows} rows): ${errorText(e)}`);
        continue;
      }
      const n = c.matrix.rows;
      const oneEach = (d: readonly number[]) =>
        (d.length === 1 && d[0] === n) || (d.length === 2 && d[0] === n && d[1] === 1);
      if (!oneEach(a.dims) || a.data.length !== n) {
        problems.push(
          `${manifestFile} field "output": "${manifest.output}" has shape [${a.dims.join(", ")}] for ${n} candidates; expected [${n}] or [${n}, 1]`,
        );
        continue;
      }
      const badA = firstBad(a.data);
      const badB = firstBad(b.data);
      if (badA >= 0 || badB >= 0) {
        const i = badA >= 0 ? badA : badB;
        problems.push(
          `${onnxFile}: score ${i} of ${n} is ${badA >= 0 ? a.data[i] : b.data[i]} on ${c.name} (${badA >= 0 ? "onnxruntime-node" : "onnxruntime-web"})`,
        );
        continue;
      }
      let maxDiff = 0;
      let worstRel = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
        maxDiff = Math.max(maxDiff, d);
        worstRel = Math.max(worstRel, d / Math.max(1, Math.abs(a.data[i] as number)));
      }
      report.cases.push({ name: c.name, rows: n, maxAbsDiff: maxDiff });
      webScored.push({ name: c.name, rows: n, feeds, scores: b.data });
      worst = Math.max(worst, maxDiff);
      if (worstRel > PARITY_TOLERANCE) {
        problems.push(
          `${onnxFile}: onnxruntime-node and onnxruntime-web disagree by ${maxDiff.toExponential(2)} on ${c.name} (tolerance ${PARITY_TOLERANCE})`,
        );
      }
    }
    report.maxAbsDiff = worst;
    if (problems.length > 0) return done();
    report.edgeEngine = await edgeEngine(bytes, manifest, webSession, webScored);

    const big = cases.find((c) => c.matrix.rows === 1000) as { matrix: FeatureMatrix };
    const feeds = feedsFor(manifest, big.matrix);
    const runs = opts.timingRuns ?? 30;
    const time = async (runtime: typeof ortNode | typeof ortWeb, s: Session) => {
      for (let i = 0; i < 3; i++) await run(runtime, s, feeds, manifest.output);
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await run(runtime, s, feeds, manifest.output);
      return (performance.now() - t0) / runs;
    };
    report.msAt1000 = { node: await time(ortNode, nodeSession), web: await time(ortWeb, webSession) };
    if (report.msAt1000.web > budget.maxMsAt1000) {
      problems.push(
        `${onnxFile}: ${report.msAt1000.web.toFixed(2)} ms per 1,000 candidates in onnxruntime-web is over the ${budget.maxMsAt1000} ms budget`,
      );
    }
    return done();
  } finally {
    await nodeSession?.release().catch(() => undefined);
    await webSession?.release().catch(() => undefined);
  }
}

/** An edge case's feeds and the scores onnxruntime-web gave for them. */
interface WebScored {
  name: string;
  rows: number;
  feeds: Feeds;
  scores: Float32Array;
}

/**
 * Which engine the worker will score with. The kernel must match onnxruntime-web exactly on the worker's own
 * probe rows and, stricter than the worker can afford at load, on every edge case too (`cases`: their ORT-web
 * scores from the parity check).
 */
async function edgeEngine(
  bytes: Uint8Array,
  manifest: ModelManifest,
  web: ortWeb.InferenceSession,
  cases: readonly WebScored[],
): Promise<NonNullable<ValidationReport["edgeEngine"]>> {
  const made = kernelFor(kernelModule(), bytes, manifest);
  if ("reason" in made) return { engine: "onnxruntime-web", note: made.reason };
  const input = manifest.inputs[0] as ModelManifest["inputs"][number];
  const cols = input.features.length;
  const probe = probeRows(cols);
  const rows = probe.length / cols;
  const reference = await run(ortWeb, web, { [input.name]: { data: probe, dims: [rows, cols] } }, manifest.output);
  const checks = [
    { label: "probe row", data: probe, rows, scores: reference.data },
    ...cases.map((c) => ({
      label: `${c.name} row`,
      data: (c.feeds[input.name] as Feeds[string]).data,
      rows: c.rows,
      scores: c.scores,
    })),
  ];
  for (const x of checks) {
    const difference = firstDifference(made.kernel.score(x.data, x.rows), x.scores, x.label);
    if (difference) return { engine: "onnxruntime-web", note: difference };
  }
  return { engine: "wasm-dense", note: null, firstLayer: made.kernel.planNote ?? "planned" };
}

/** The report as lines for the CLI. */
export function formatValidation(r: ValidationReport): string {
  const lines: string[] = [];
  lines.push(
    `model ${r.version ?? "?"}: ${r.ok ? "valid" : `INVALID (${r.problems.length} problem${r.problems.length === 1 ? "" : "s"})`}`,
  );
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  lines.push(
    `  size ${r.sizeBytes} bytes, opset ${r.opset ?? "?"}, ops ${r.ops.map((o) => o.replace(/^:/, "")).join(", ") || "-"}`,
  );
  if (r.maxAbsDiff !== null)
    lines.push(`  node/web parity over ${r.cases.length} cases: max |diff| ${r.maxAbsDiff.toExponential(2)}`);
  if (r.msAt1000)
    lines.push(
      `  1,000 candidates: ${r.msAt1000.web.toFixed(3)} ms onnxruntime-web, ${r.msAt1000.node.toFixed(3)} ms onnxruntime-node`,
    );
  if (r.edgeEngine)
    lines.push(
      r.edgeEngine.engine === "wasm-dense"
        ? `  edge engine: wasm-dense kernel (scores equal onnxruntime-web's bit for bit; first layer ${r.edgeEngine.firstLayer === "planned" ? "planned: genre indicators as mask bits, per-request columns once per call" : `plain: ${r.edgeEngine.firstLayer}`})`
        : `  edge engine: onnxruntime-web (the dense kernel does not apply: ${r.edgeEngine.note})`,
    );
  return lines.join("\n");
}

/** The manifest type re-exported for callers that only validate. */
export type { ModelManifest };
