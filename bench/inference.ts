// Inference benchmark: ORT-web inside workerd (Miniflare) vs onnxruntime-node, warm and in a fresh isolate.
// Run: npx tsx bench/inference.ts [--quick]   Writes bench/results/inference.json.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import * as ortNode from "onnxruntime-node";
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SCHEMA_VERSION,
  featureIndices,
  selectColumns,
} from "../core/features.js";
import { type ModelManifest, sha256Hex } from "../core/manifest.js";
import { bundleModules, bundleWorker, WORKER_COMPAT } from "./bundle.js";
import { freePort } from "./ports.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const SIZES = [100, 500, 1000];
const REPS = quick ? 3 : 7;
/** Calls per timed batch, so each workerd batch lasts a few hundred ms (its clock ticks in whole ms). */
const itersFor = (n: number) => Math.max(100, Math.round((quick ? 60_000 : 200_000) / n));
const FRESH_INSTANCES = quick ? 3 : 7;
const FIRST_N = 100;
const STRATEGIES = ["cold", "warm", "preload"] as const;
type Strategy = (typeof STRATEGIES)[number];

// The model the worker is deployed with (worker/model), unless `--model <dir>` names another model.onnx +
// manifest.json; `--fixture` times the PyTorch layer-norm fixture (16 inputs) instead.
const modelArg = process.argv.indexOf("--model");
const useFixture = process.argv.includes("--fixture");
const modelDir = modelArg > 0 ? (process.argv[modelArg + 1] as string) : join(repo, "worker", "model");
const modelPath = useFixture
  ? join(repo, "worker", "test", "fixtures", "onnx", "mlp_layernorm.onnx")
  : join(modelDir, "model.onnx");
const modelBytes = new Uint8Array(readFileSync(modelPath));

async function benchManifest(): Promise<ModelManifest> {
  if (!useFixture) return JSON.parse(readFileSync(join(modelDir, "manifest.json"), "utf8")) as ModelManifest;
  return {
    format: "frontrow-model/1",
    version: "bench-mlp-layernorm",
    sha256: await sha256Hex(modelBytes),
    opset: 17,
    sizeBytes: modelBytes.byteLength,
    createdAt: "2026-01-01T00:00:00.000Z",
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    // The fixture's 16 columns have no meaning of their own; feed it the schema's first 16 features.
    inputs: [{ name: "features", features: FEATURE_NAMES.slice(0, 16), broadcast: false }],
    output: "score",
  };
}

/** Deterministic feature rows in [-1, 1): the same inputs for workerd and Node. */
function matrixFor(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n * FEATURE_COUNT);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Bundles the bench entry exactly as `wrangler deploy` would (module rules, nodejs_compat) into a temp dir. */
interface Bundle {
  dir: string;
  modules: ReturnType<typeof bundleModules>;
}

function bundle(): Bundle {
  const dir = mkdtempSync(join(tmpdir(), "frontrow-bench-"));
  const entry = join(repo, "worker", "src", "model", "bench-entry.ts");
  writeFileSync(
    join(dir, "wrangler.toml"),
    [
      'name = "frontrow-inference-bench"',
      `main = ${JSON.stringify(entry)}`,
      `compatibility_date = "${WORKER_COMPAT.compatibilityDate}"`,
      `compatibility_flags = ${JSON.stringify(WORKER_COMPAT.compatibilityFlags)}`,
      'rules = [{ type = "CompiledWasm", globs = ["**/*.wasm"], fallthrough = false }]',
      "",
    ].join("\n"),
  );
  const out = join(dir, "out");
  bundleWorker(out, { config: join(dir, "wrangler.toml"), cwd: repo });
  return { dir, modules: bundleModules(out, "bench-entry.js") };
}

function miniflare(b: Bundle, strategy: Strategy, manifest: ModelManifest): Miniflare {
  return new Miniflare({
    modules: b.modules,
    modulesRoot: join(b.dir, "out"),
    ...WORKER_COMPAT,
    bindings: { STRATEGY: strategy, MANIFEST: manifest },
    dataBlobBindings: { MODEL: modelBytes },
  });
}

async function post<T>(mf: Miniflare, path: string, body: Float32Array): Promise<T> {
  const res = await mf.dispatchFetch(`http://bench${path}`, { method: "POST", body: body.slice().buffer });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`${path}: ${json.error ?? res.status}`);
  return json;
}

interface FirstAnswer {
  loadMs: number;
  scoreMs: number;
  preloadMs: number | null;
  ort: { startMs: number | null };
  scores: number[];
}

/** A freshly started runtime holding one new isolate of the bench worker. */
interface Fresh {
  first(input: Float32Array): Promise<FirstAnswer>;
  dispose(): Promise<void>;
}

/**
 * "miniflare" is what `wrangler dev` and the tests run: the worker plus Miniflare's own helper workers in one
 * workerd process. "workerd" is a bare workerd process holding only this worker.
 */
const RUNTIMES = ["miniflare", "workerd"] as const;
type Runtime = (typeof RUNTIMES)[number];

async function startFresh(runtime: Runtime, b: Bundle, strategy: Strategy, manifest: ModelManifest): Promise<Fresh> {
  if (runtime === "miniflare") {
    const mf = miniflare(b, strategy, manifest);
    await mf.ready;
    return { first: (input) => post<FirstAnswer>(mf, `/first?n=${FIRST_N}`, input), dispose: () => mf.dispose() };
  }
  return startWorkerd(b, strategy, manifest);
}

/** Resolves once the port accepts a TCP connection; sends no HTTP, so the worker's first request stays first. */
async function waitForPort(port: number, child: ChildProcess, deadline = Date.now() + 20_000): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workerd exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`workerd did not listen on ${port} within 20 s`);
}

async function startWorkerd(b: Bundle, strategy: Strategy, manifest: ModelManifest): Promise<Fresh> {
  const port = await freePort();
  const config = join(b.dir, `workerd-${strategy}.capnp`);
  // capnp resolves a leading "/" against its import path, so embeds are relative to the config's directory.
  const modules = b.modules.map((m) =>
    m.type === "ESModule"
      ? `(name = ${JSON.stringify(basename(m.path))}, esModule = embed ${JSON.stringify(relative(b.dir, m.path))})`
      : `(name = ${JSON.stringify(basename(m.path))}, wasm = embed ${JSON.stringify(relative(b.dir, m.path))})`,
  );
  writeFileSync(join(b.dir, "model.onnx"), modelBytes);
  writeFileSync(
    config,
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      "const config :Workerd.Config = (",
      '  services = [(name = "bench", worker = .bench)],',
      `  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "bench")],`,
      ");",
      "const bench :Workerd.Worker = (",
      `  modules = [${modules.join(", ")}],`,
      `  compatibilityDate = "${WORKER_COMPAT.compatibilityDate}",`,
      `  compatibilityFlags = ${JSON.stringify(WORKER_COMPAT.compatibilityFlags)},`,
      "  bindings = [",
      `    (name = "STRATEGY", text = ${JSON.stringify(strategy)}),`,
      `    (name = "MANIFEST", json = ${JSON.stringify(JSON.stringify(manifest))}),`,
      `    (name = "MODEL", data = embed "model.onnx"),`,
      "  ],",
      ");",
      "",
    ].join("\n"),
  );
  const child = spawn(join(repo, "node_modules", ".bin", "workerd"), ["serve", config], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(port, child);
  return {
    async first(input) {
      const res = await fetch(`http://127.0.0.1:${port}/first?n=${FIRST_N}`, {
        method: "POST",
        body: input.slice().buffer,
      });
      const json = (await res.json()) as FirstAnswer & { error?: string };
      if (!res.ok) throw new Error(`/first: ${json.error ?? res.status}`);
      return json;
    },
    async dispose() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface LoopResult {
  means: number[];
  scores: number[];
}

async function nodeSession(): Promise<ortNode.InferenceSession> {
  return ortNode.InferenceSession.create(modelBytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
}

async function nodeLoop(
  session: ortNode.InferenceSession,
  manifest: ModelManifest,
  input: Float32Array,
  n: number,
  iters: number,
) {
  const feed = manifest.inputs[0];
  if (!feed || manifest.inputs.length !== 1) throw new Error("the inference bench expects a one-input model");
  const cols = featureIndices(feed.features);
  const data = selectColumns({ data: input, rows: n, cols: FEATURE_COUNT }, cols);
  const feeds = { [feed.name]: new ortNode.Tensor("float32", data, [n, cols.length]) };
  for (let i = 0; i < Math.min(50, iters); i++) await session.run(feeds);
  const means: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await session.run(feeds);
    means.push((performance.now() - t0) / iters);
  }
  const score = (await session.run(feeds)).score;
  if (!score) throw new Error('onnxruntime-node returned no "score" output');
  return { means, scores: [...(score.data as Float32Array)] };
}

function maxAbsDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const manifest = await benchManifest();
  console.log(`bundling the bench worker (wrangler ${quick ? "quick run" : ""})...`);
  const b = bundle();
  try {
    // Warm inference, one long-lived isolate.
    const warm: Record<string, unknown>[] = [];
    const mf = miniflare(b, "warm", manifest);
    await mf.ready;
    const node = await nodeSession();
    for (const n of SIZES) {
      const input = matrixFor(n, n);
      const iters = itersFor(n);
      const run = await post<LoopResult>(mf, `/loop?n=${n}&mode=run&iters=${iters}&reps=${REPS}`, input);
      const score = await post<LoopResult>(mf, `/loop?n=${n}&mode=score&iters=${iters}&reps=${REPS}`, input);
      const viaNode = await nodeLoop(node, manifest, input, n, iters);
      const row = {
        n,
        iters,
        workerdRunMs: median(run.means),
        workerdScoreMs: median(score.means),
        nodeRunMs: median(viaNode.means),
        ratio: median(run.means) / median(viaNode.means),
        maxAbsDiffVsNode: maxAbsDiff(run.scores, viaNode.scores),
        scoreEqualsRun: maxAbsDiff(run.scores, score.scores) === 0,
      };
      warm.push(row);
      console.log(`N=${n}: workerd ${row.workerdRunMs.toFixed(4)} ms, node ${row.nodeRunMs.toFixed(4)} ms`);
    }
    await mf.dispose();

    // First ranked inference in fresh isolates: a new runtime process per sample, timed from the client.
    // Samples are interleaved across runtimes and strategies so background load hits them all alike.
    const reference = new Map<string, string>();
    const input = matrixFor(FIRST_N, 7);
    const cells = RUNTIMES.flatMap((runtime) => STRATEGIES.map((strategy) => ({ runtime, strategy })));
    const samples = new Map<string, { ready: number; first: number; second: number; answer: FirstAnswer }[]>();
    for (let i = 0; i < FRESH_INSTANCES; i++) {
      for (const { runtime, strategy } of cells) {
        const key = `${runtime}/${strategy}`;
        const t0 = performance.now();
        const fresh = await startFresh(runtime, b, strategy, manifest);
        const t1 = performance.now();
        try {
          const answer = await fresh.first(input);
          const t2 = performance.now();
          await fresh.first(input);
          const t3 = performance.now();
          const list = samples.get(key) ?? [];
          list.push({ ready: t1 - t0, first: t2 - t1, second: t3 - t2, answer });
          samples.set(key, list);
          const bits = Buffer.from(new Float32Array(answer.scores).buffer).toString("base64");
          const seen = reference.get(key);
          if (seen !== undefined && seen !== bits) throw new Error(`${key}: scores differ between fresh isolates`);
          reference.set(key, bits);
        } finally {
          await fresh.dispose();
        }
      }
      process.stdout.write(`fresh isolates: round ${i + 1}/${FRESH_INSTANCES}\r`);
    }
    process.stdout.write("\n");
    const first = cells.map(({ runtime, strategy }) => {
      const list = samples.get(`${runtime}/${strategy}`) ?? [];
      const answers = list.map((x) => x.answer);
      return {
        runtime,
        strategy,
        instances: list.length,
        readyMs: median(list.map((x) => x.ready)),
        firstResponseMs: median(list.map((x) => x.first)),
        secondResponseMs: median(list.map((x) => x.second)),
        inWorkerLoadMs: median(answers.map((w) => w.loadMs)),
        inWorkerScoreMs: median(answers.map((w) => w.scoreMs)),
        // Cold starts ORT inside the first request; the others at global scope (script start-up).
        ortStartMs: median(answers.map((w) => w.ort.startMs ?? Number.NaN)),
        globalScopeWorkMs:
          strategy === "cold" ? 0 : median(answers.map((w) => w.preloadMs ?? w.ort.startMs ?? Number.NaN)),
        samplesFirstMs: list.map((x) => Math.round(x.first * 10) / 10),
      };
    });
    const identical = new Set(reference.values()).size === 1;
    if (!identical) throw new Error("scores differ between start-up strategies");

    const shape = `${manifest.version}, ${manifest.inputs.map((i) => i.features.length).join("+")} features`;
    console.log(`\nWarm inference, median ms per call (${relative(repo, modelPath)}: ${shape})`);
    console.table(
      warm.map((r) => ({
        N: r.n,
        "workerd ORT-web run": fmt(r.workerdRunMs),
        "workerd OnnxRanker.score": fmt(r.workerdScoreMs),
        "onnxruntime-node (1 thread)": fmt(r.nodeRunMs),
        "web / node": `${(r.ratio as number).toFixed(2)}x`,
        "max |diff|": (r.maxAbsDiffVsNode as number).toExponential(1),
      })),
    );
    console.log(`First ranked inference (N=${FIRST_N}) in a fresh isolate, client-side median over ${FRESH_INSTANCES}`);
    console.table(
      first.map((r) => ({
        runtime: r.runtime,
        strategy: r.strategy,
        "first response ms": fmt(r.firstResponseMs),
        "second response ms": fmt(r.secondResponseMs),
        "in-worker load ms": r.inWorkerLoadMs,
        "in-worker score ms": r.inWorkerScoreMs,
        "ORT start ms": r.ortStartMs,
        "global-scope work ms": r.globalScopeWorkMs,
        "process ready ms": fmt(r.readyMs),
      })),
    );
    const result = {
      generatedAt: new Date().toISOString(),
      // Other work on the machine skews timings; the 1-minute load average before and after says how much.
      loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 },
      model: relative(repo, modelPath),
      quick,
      warm,
      firstRankedInFreshIsolate: first,
      scoresIdenticalAcrossStrategies: identical,
    };
    const outDir = join(repo, "bench", "results");
    mkdirSync(outDir, { recursive: true });
    const tmp = join(outDir, `.inference.json.${process.pid}`);
    writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(tmp, join(outDir, "inference.json"));
    console.log(
      `1-minute load average: ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after (it trails: it includes the minute before the run)`,
    );
    console.log("wrote bench/results/inference.json");
  } finally {
    rmSync(b.dir, { recursive: true, force: true });
  }
}

function fmt(x: unknown): string {
  const v = x as number;
  return v >= 10 ? v.toFixed(1) : v.toFixed(4);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
