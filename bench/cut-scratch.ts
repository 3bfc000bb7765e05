// `npm run bench`: end-to-end latency of the worker against a no-op route, first ranked response in a fresh
// isolate, the worker's upload size, the codec, and ORT-web vs onnxruntime-node inference. Prints a table and
// writes bench/results/bench.json. A benchmark, not a test: it reports numbers and checks them against targets.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { encodeCandidateList } from "../core/codec.js";
import { keys } from "../core/keys.js";
import { trainModel } from "../model-export/src/index.js";
import { createGenerator } from "../origin/src/cf/index.js";
import { OriginRows } from "../origin/src/rows.js";
import { generateSynthetic } from "../origin/src/synthetic.js";
import { runCodecBench } from "./codec.js";
import { median, quantile, table } from "./stats.js";

const quick = process.argv.includes("--quick");
const SIZES = [100, 500, 1000] as const;
const ROUNDS = quick ? 300 : 1500;
const WARMUP = quick ? 50 : 300;
const FRESH = quick ? 3 : 7;
const HEADERS = { "x-frontrow-region": "eu-west", "x-frontrow-now": "2026-11-01T20:30:00Z", "x-device-type": "tv" };
const TARGETS = { ratioAt500: 1.3, firstRankedMs: 50, uploadGzipMiB: 4 };

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Bundles the worker exactly as `wrangler deploy` would and reads its upload size. */
function build(outdir: string): { totalKiB: number; gzipKiB: number } {
  const out = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const m = out.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  if (!m) throw new Error(`could not read the upload size from wrangler's output:\n${out}`);
  return { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) };
}

/** The module type wrangler.toml's rules give each file of the bundle. */
function moduleType(file: string): "CompiledWasm" | "Text" | "Data" | "ESModule" {
  if (file.endsWith(".wasm")) return "CompiledWasm";
  if (file.endsWith(".jsonc")) return "Text";
  if (file.endsWith(".onnx")) return "Data";
  return "ESModule";
}

function miniflare(outdir: string, persist: string): Miniflare {
  return new Miniflare({
    // The bundle's modules as wrangler wrote them (ORT's glue has a dynamic import Miniflare cannot follow).
    modulesRoot: outdir,
    modules: readdirSync(outdir)
      .filter((f) => /\.(js|mjs|wasm|jsonc|onnx)$/.test(f))
      .map((f) => ({ type: moduleType(f), path: join(outdir, f) }))
      .sort((a, b) => Number(b.path.endsWith("index.js")) - Number(a.path.endsWith("index.js"))),
    compatibilityDate: "2026-04-26",
    compatibilityFlags: ["nodejs_compat"],
    kvNamespaces: ["KV"],
    kvPersist: persist,
    host: "127.0.0.1",
    port: 0,
    // The origin is never asked: every list is in KV, as on a warm edge.
    bindings: { ORIGIN_URL: "http://127.0.0.1:9", ALLOW_CONTEXT_OVERRIDE: "true" },
  });
}

interface BenchModel {
  onnx: Uint8Array;
  manifest: { version: string };
}

/** The model deployed with the worker (worker/model): what `npm start` and a deploy activate. */
const bundled: BenchModel = {
  onnx: new Uint8Array(readFileSync("worker/model/model.onnx")),
  manifest: JSON.parse(readFileSync("worker/model/manifest.json", "utf8")),
};

async function activate(mf: Miniflare, model: BenchModel): Promise<void> {
  const kv = await mf.getKVNamespace("KV");
  await kv.put(keys.modelBytes(model.manifest.version), own(model.onnx));
  await kv.put(keys.modelManifest(model.manifest.version), JSON.stringify(model.manifest));
  await kv.put(
    keys.activeModel,
    JSON.stringify({ version: model.manifest.version, activatedAt: new Date().toISOString() }),
  );
}

async function seed(mf: Miniflare): Promise<{ version: string; other: BenchModel }> {
  log("bench: generating the synthetic data set, fitting the origin and training a second model ...");
  const dataset = generateSynthetic({ seed: 42, users: 400, items: 1500 });
  const generator = createGenerator("ease");
  generator.fit(dataset.interactions);
  const rows = new OriginRows(dataset, generator);
  const kv = await mf.getKVNamespace("KV");
  // A model published after the deploy (not bundled): its first load in a fresh isolate is not preloaded.
  const other = await trainModel(dataset, {
    seed: 1,
    evaluate: false,
    version: "bench-unbundled",
    createdAt: new Date(0),
  });
  await activate(mf, bundled);
  const profile = rows.profileFor(1);
  for (const n of SIZES) {
    const list = rows.topPicks(1, n);
    if (list.candidates.length !== n) throw new Error(`user 1 has ${list.candidates.length} candidates, wanted ${n}`);
    // Fresh as of now, so requests are cache hits and the bench measures ranking, not the origin.
    const bytes = encodeCandidateList(
      { ...list.header, scope: `user:b${n}`, generatedAt: Date.now() },
      list.candidates,
    );
    await kv.put(keys.candidates("top-picks", `b${n}`, "eu-west"), own(bytes));
    await kv.put(keys.profile(`b${n}`), JSON.stringify({ ...profile, userId: `b${n}` }));
  }
  return { version: bundled.manifest.version, other };
}

/** How the client reaches the worker: Miniflare's in-process dispatchFetch, or a plain HTTP client over loopback. */
type Transport = "dispatchFetch" | "http";
const TRANSPORTS: Transport[] = ["http"];

async function timed(
  mf: Miniflare,
  path: string,
  transport: Transport = "dispatchFetch",
): Promise<{ ms: number; body: Record<string, unknown> }> {
  const base = transport === "http" ? (await mf.ready).toString().replace(/\/$/, "") : "http://edge.bench";
  const t0 = performance.now();
  const res =
    transport === "http"
      ? await fetch(`${base}${path}`, { headers: HEADERS })
      : await mf.dispatchFetch(`${base}${path}`, { headers: HEADERS });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

const routes = [
  { name: "no-op (/v1/ping)", path: "/v1/ping" },
  ...(process.env.CUTS ?? "9").split(",").map((c) => ({ name: `cut ${c}`, path: `/v1/recommendations/b500?limit=20&cut=${c}` })),
];

async function latency(mf: Miniflare, version: string, transport: Transport) {
  for (const r of routes) {
    for (let i = 0; i < WARMUP; i++) {
      const { body } = await timed(mf, r.path, transport);
      if ("n" in r && (body.servedBy !== "model" || (body.model as { version: string }).version !== version)) {
        throw new Error(`${r.path} was served by ${body.servedBy}: ${JSON.stringify(body.degraded)}`);
      }
    }
  }
  const samples = new Map(routes.map((r) => [r.path, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, order rotating per round, so drift on a shared machine hits every route alike.
    for (let k = 0; k < routes.length; k++) {
      const r = routes[(round + k) % routes.length] as (typeof routes)[number];
      (samples.get(r.path) as number[]).push((await timed(mf, r.path, transport)).ms);
    }
  }
  return routes.map((r) => {
    const s = samples.get(r.path) as number[];
    return { transport, route: r.name, path: r.path, n: s.length, p50Ms: median(s), p99Ms: quantile(s, 0.99) };
  });
}

async function firstRanked(outdir: string, persist: string, activeModel: BenchModel) {
  const runs: { startupMs: number; firstMs: number; servedBy: unknown }[] = [];
  for (let i = 0; i < FRESH; i++) {
    const t0 = performance.now();
    const mf = miniflare(outdir, persist);
    await mf.ready;
    const startupMs = performance.now() - t0;
    if (i === 0) await activate(mf, activeModel);
    const { ms, body } = await timed(mf, "/v1/recommendations/b500?limit=20");
    runs.push({ startupMs, firstMs: ms, servedBy: body.servedBy });
    await mf.dispose();
  }
  if (runs.some((r) => r.servedBy !== "model"))
    throw new Error(`a fresh isolate's first answer was not ranked by the model: ${JSON.stringify(runs)}`);
  return {
    runs,
    medianFirstMs: median(runs.map((r) => r.firstMs)),
    medianStartupMs: median(runs.map((r) => r.startupMs)),
  };
}

const work = mkdtempSync(join(tmpdir(), "frontrow-bench-"));
try {
  const outdir = join(work, "dist");
  const persist = join(work, "kv");
  log("bench: bundling the worker (wrangler deploy --dry-run) ...");
  const upload = build(outdir);
  const mf = miniflare(outdir, persist);
  const { version, other } = await seed(mf);
  const { execSync } = await import("node:child_process");
  const pid = execSync("pgrep -n workerd").toString().trim();
  const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
  const lat: { route: string; p50Ms: number }[] = [];
  const per = new Map<string, number[]>();
  const BLOCK = Number(process.env.BLOCK ?? 1000);
  for (const r of routes) for (let i = 0; i < 100; i++) await timed(mf, r.path, "http");
  for (let rep = 0; rep < Number(process.env.REPS ?? 3); rep++) {
    for (const r of routes) {
      const c0 = cpu();
      for (let i = 0; i < BLOCK; i++) await timed(mf, r.path, "http");
      const us = ((cpu() - c0) * 1000) / BLOCK;
      per.set(r.name, [...(per.get(r.name) ?? []), us]);
    }
  }
  for (const r of routes) lat.push({ route: r.name, p50Ms: median(per.get(r.name)!) / 1000 });
  console.log("workerd CPU per request (us), per rep:");
  for (const [k, v] of per) console.log(k.padEnd(20), v.map((x) => x.toFixed(0)).join(" "));
  await mf.dispose();
  const noop = lat[0]!.p50Ms;
  for (const l of lat) console.log(l.route.padEnd(20), l.p50Ms.toFixed(3), (l.p50Ms / noop).toFixed(3), "+" + (l.p50Ms - noop).toFixed(3));
} finally {
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

/** A standalone ArrayBuffer copy: Miniflare's proxy cannot send a view into a larger buffer. */
function own(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
