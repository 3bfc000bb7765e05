// `npm run bench`: end-to-end latency of the worker against a no-op route, first ranked response in a fresh
// isolate, the worker's upload size, the codec, and ORT-web vs onnxruntime-node inference. Prints a table and
// writes bench/results/bench.json. A benchmark, not a test: it reports numbers and checks them against targets.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { trainModel } from "../model-export/src/index.js";
import { type ModelBundle, readModelDir } from "../origin/src/kv-entries.js";
import { benchMiniflare, bundleWorker } from "./bundle.js";
import { runCodecBench } from "./codec.js";
import { cmdline, descendantsOf, procAvailable, processCpuNs } from "./proc.js";
import { activateModel, BENCH_HEADERS, BENCH_ROUND_SEED, benchDataset, kvStore, seedBenchLists } from "./seed.js";
import { argValues, median, quantile, shuffler, sliceRatios, table } from "./stats.js";

const quick = process.argv.includes("--quick");
const SIZES = [100, 500, 1000] as const;
const ROUNDS = quick ? 300 : 1500;
const WARMUP = quick ? 50 : 300;
const FRESH = quick ? 3 : 7;
/**
 * `--also <path>` (repeatable): more routes measured in the same interleaved rounds, to take a measurement apart
 * (e.g. `/v1/recommendations/b500?limit=1`: the same work with a 400-byte answer).
 */
const ALSO = argValues("--also");
/** `--accept-encoding <value>`: sent with every request (default: the client's own, which asks for gzip). */
const ACCEPT_ENCODING = argValues("--accept-encoding").at(-1);
const HEADERS: Record<string, string> = {
  ...BENCH_HEADERS,
  ...(ACCEPT_ENCODING ? { "accept-encoding": ACCEPT_ENCODING } : {}),
};
const TARGETS = { ratioAt500: 1.3, firstRankedMs: 50, uploadGzipMiB: 4 };

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The model deployed with the worker (worker/model): what `npm start` and a deploy activate. */
const bundled = await readModelDir("worker/model");

async function seed(mf: Miniflare): Promise<{ version: string; other: ModelBundle }> {
  log("bench: generating the synthetic data set, fitting the origin and training a second model ...");
  const dataset = benchDataset();
  // A model published after the deploy (not bundled): its first load in a fresh isolate is not preloaded.
  const trained = await trainModel(dataset, {
    seed: 1,
    evaluate: false,
    version: "bench-unbundled",
    createdAt: new Date(0),
  });
  const other = { manifest: trained.manifest, manifestJson: JSON.stringify(trained.manifest), bytes: trained.onnx };
  const store = kvStore(await mf.getKVNamespace("KV"));
  await activateModel(store, bundled);
  await seedBenchLists(store, SIZES, dataset);
  return { version: bundled.manifest.version, other };
}

/**
 * How the client reaches the worker: Miniflare's in-process dispatchFetch; plain HTTP over loopback to that
 * Miniflare; or HTTP to `wrangler dev`, the local stack the README's quick start runs (wrangler's proxy in front).
 */
type Transport = "dispatchFetch" | "http" | "wrangler-dev";
const MINIFLARE_TRANSPORTS: Transport[] = ["dispatchFetch", "http"];

/** Where a transport sends requests: a Miniflare instance or a `wrangler dev` URL. */
type Target = Miniflare | { url: string };

async function timed(
  target: Target,
  path: string,
  transport: Transport = "dispatchFetch",
): Promise<{ ms: number; body: Record<string, unknown> }> {
  const base =
    "url" in target
      ? target.url
      : transport === "http"
        ? (await target.ready).toString().replace(/\/$/, "")
        : "http://edge.bench";
  const t0 = performance.now();
  const res =
    transport === "dispatchFetch" && !("url" in target)
      ? await target.dispatchFetch(`${base}${path}`, { headers: HEADERS })
      : await fetch(`${base}${path}`, { headers: HEADERS });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

const rowPath = (n: number) => `/v1/recommendations/b${n}?limit=20`;
const routes = [
  { name: "no-op (/v1/ping)", path: "/v1/ping" },
  ...SIZES.map((n) => ({ name: `recommendations, ${n} candidates`, path: rowPath(n), n })),
  ...ALSO.map((path) => ({ name: `also ${path}`, path })),
];

async function latency(mf: Target, version: string, transport: Transport) {
  for (const r of routes) {
    for (let i = 0; i < WARMUP; i++) {
      const { body } = await timed(mf, r.path, transport);
      if ("n" in r && (body.servedBy !== "model" || (body.model as { version: string }).version !== version)) {
        throw new Error(`${r.path} was served by ${body.servedBy}: ${JSON.stringify(body.degraded)}`);
      }
    }
  }
  const samples = new Map(routes.map((r) => [r.path, [] as number[]]));
  const order = shuffler(BENCH_ROUND_SEED);
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, so drift on a shared machine hits every route alike, in a fresh seeded order each round: with a
    // fixed rotation every route had the same predecessor (the no-op always followed 1,000 candidates).
    for (const r of order(routes)) (samples.get(r.path) as number[]).push((await timed(mf, r.path, transport)).ms);
  }
  return routes.map((r) => {
    const s = samples.get(r.path) as number[];
    return {
      transport,
      route: r.name,
      path: r.path,
      n: s.length,
      p50Ms: median(s),
      p99Ms: quantile(s, 0.99),
      // Sample i of every route was taken in round i: slices of the run line up across routes.
      samples: s,
    };
  });
}

/** Fifths of a run: how far the ratio at 500 moves within it. */
const SLICES = 5;

const CPU_ROUNDS = quick ? 3 : 7;
const CPU_BLOCK = quick ? 200 : 500;

/**
 * The workerd process's CPU time per request, each route in blocks of requests over HTTP, blocks rotating per
 * round, median per route. Wall time includes the client and the loopback; this is only what workerd spends
 * (its every thread: the user worker, Miniflare's entry worker, gzip of the answer, GC), to the nanosecond. It
 * leaves out the client's own time but still moves with a shared machine's load. Null without Linux's /proc.
 */
async function workerdCpu(mf: Miniflare) {
  const pid = descendantsOf(process.pid).find((p) => (cmdline(p)[0] ?? "").endsWith("workerd"));
  if (!procAvailable() || pid === undefined) return null;
  const perRoute = new Map(routes.map((r) => [r.path, [] as number[]]));
  for (let round = 0; round < CPU_ROUNDS; round++) {
    for (let k = 0; k < routes.length; k++) {
      const r = routes[(round + k) % routes.length] as (typeof routes)[number];
      const before = processCpuNs(pid);
      for (let i = 0; i < CPU_BLOCK; i++) await timed(mf, r.path, "http");
      (perRoute.get(r.path) as number[]).push((processCpuNs(pid) - before) / CPU_BLOCK / 1000);
    }
  }
  const noop = median(perRoute.get("/v1/ping") as number[]);
  return routes.map((r) => {
    const us = median(perRoute.get(r.path) as number[]);
    return {
      route: r.name,
      path: r.path,
      blocks: CPU_ROUNDS,
      requestsPerBlock: CPU_BLOCK,
      usPerRequest: Math.round(us),
      vsNoop: round(us / noop),
      addedUs: Math.round(us - noop),
    };
  });
}

/** Starts `wrangler dev` on the seeded state, as `npm run dev` does, and waits until it answers. */
async function wranglerDev(persist: string): Promise<{ url: string; child: ChildProcess }> {
  const port = 18787 + Math.floor(Math.random() * 1000);
  const child = spawn(
    join("node_modules", ".bin", "wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persist,
      "--var",
      "ALLOW_CONTEXT_OVERRIDE:true",
      "--var",
      "ORIGIN_URL:http://127.0.0.1:9",
      // One client asking for one user thousands of times a minute is what the rate limits refuse; the Miniflare
      // transports have no limiter bindings, so this keeps the three transports measuring the same work.
      "--var",
      "RATE_LIMIT_MODE:off",
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "inherit"], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/v1/ping`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopGroup(child);
  throw new Error("wrangler dev did not answer within 90 s");
}

function stopGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

async function firstRanked(outdir: string, persist: string, activeModel: ModelBundle) {
  const runs: { startupMs: number; firstMs: number; servedBy: unknown }[] = [];
  for (let i = 0; i < FRESH; i++) {
    const t0 = performance.now();
    const mf = benchMiniflare(outdir, persist);
    await mf.ready;
    const startupMs = performance.now() - t0;
    if (i === 0) await activateModel(kvStore(await mf.getKVNamespace("KV")), activeModel);
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
  const persist = join(work, "state");
  log("bench: bundling the worker (wrangler deploy --dry-run) ...");
  const upload = bundleWorker(outdir);
  const mf = benchMiniflare(outdir, persist);
  const { version, other } = await seed(mf);
  log(`bench: latency, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up requests per route ...`);
  const lat: Awaited<ReturnType<typeof latency>> = [];
  for (const transport of MINIFLARE_TRANSPORTS) lat.push(...(await latency(mf, version, transport)));
  log(`bench: workerd CPU time per request, ${CPU_ROUNDS} rounds of ${CPU_BLOCK}-request blocks per route (HTTP) ...`);
  const cpu = await workerdCpu(mf);
  await mf.dispose();
  log("bench: the same requests through `wrangler dev` (the quick start's local stack) ...");
  const dev = await wranglerDev(persist);
  try {
    lat.push(...(await latency(dev, version, "wrangler-dev")));
  } finally {
    stopGroup(dev.child);
  }
  log(`bench: first ranked response in ${FRESH} fresh isolates, bundled model active ...`);
  const fresh = await firstRanked(outdir, persist, bundled);
  log(`bench: first ranked response in ${FRESH} fresh isolates, a model published after the deploy active ...`);
  const freshOther = await firstRanked(outdir, persist, other);
  log("bench: codec ...");
  const codec = runCodecBench();
  log("bench: inference, ORT-web in workerd vs onnxruntime-node (bench/inference.ts) ...");
  const skipInference = process.argv.includes("--no-inference");
  const inf = skipInference
    ? { status: 0, stdout: "(skipped: --no-inference)\n" }
    : spawnSync("npx", ["tsx", "bench/inference.ts", ...(quick ? ["--quick"] : [])], {
        stdio: ["ignore", "pipe", "inherit"],
        encoding: "utf8",
      });
  if (inf.status !== 0) throw new Error("bench/inference.ts failed");
  const inference = skipInference ? null : JSON.parse(readFileSync("bench/results/inference.json", "utf8"));

  const noopOf = (t: Transport) => lat.find((l) => l.transport === t && l.path === "/v1/ping") as (typeof lat)[number];
  const at500 = (t: Transport) => lat.find((l) => l.transport === t && l.path === rowPath(500)) as (typeof lat)[number];
  const addedAt500 = (t: Transport) => at500(t).p50Ms - noopOf(t).p50Ms;
  const ratioAt500 = (t: Transport) => at500(t).p50Ms / noopOf(t).p50Ms;
  const slicesAt500 = (t: Transport) => sliceRatios(at500(t).samples, noopOf(t).samples, SLICES).map(round);
  const result = {
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
    acceptEncoding: ACCEPT_ENCODING ?? "client default",
    latency: lat.map(({ samples: _, ...l }) => ({
      ...l,
      p50Ms: round(l.p50Ms),
      p99Ms: round(l.p99Ms),
      p50VsNoop: round(l.p50Ms / noopOf(l.transport).p50Ms),
    })),
    workerdCpu: cpu,
    firstRanked: {
      medianFirstMs: round(fresh.medianFirstMs),
      medianStartupMs: round(fresh.medianStartupMs),
      runs: fresh.runs,
    },
    firstRankedUnbundledModel: {
      medianFirstMs: round(freshOther.medianFirstMs),
      medianStartupMs: round(freshOther.medianStartupMs),
      runs: freshOther.runs,
    },
    upload: { ...upload, gzipMiB: round(upload.gzipKiB / 1024) },
    codec,
    inference,
    targets: {
      // A device is an HTTP client: the target is read over HTTP to Miniflare, the leanest no-op and so the
      // strictest reading; dispatchFetch and `wrangler dev` are reported beside it, with the absolute cost.
      ratioAt500: {
        addedMsAt500: {
          http: round(addedAt500("http")),
          dispatchFetch: round(addedAt500("dispatchFetch")),
          wranglerDev: round(addedAt500("wrangler-dev")),
        },
        target: TARGETS.ratioAt500,
        measured: round(ratioAt500("http")),
        ok: ratioAt500("http") <= TARGETS.ratioAt500,
        dispatchFetch: round(ratioAt500("dispatchFetch")),
        wranglerDev: round(ratioAt500("wrangler-dev")),
        // The same ratio in each fifth of the run's rounds, per transport: its spread within one run.
        byFifth: {
          http: slicesAt500("http"),
          dispatchFetch: slicesAt500("dispatchFetch"),
          wranglerDev: slicesAt500("wrangler-dev"),
        },
      },
      firstRankedMs: {
        target: TARGETS.firstRankedMs,
        measured: round(fresh.medianFirstMs),
        ok: fresh.medianFirstMs <= TARGETS.firstRankedMs,
      },
      uploadGzipMiB: {
        target: TARGETS.uploadGzipMiB,
        measured: round(upload.gzipKiB / 1024),
        ok: upload.gzipKiB / 1024 <= TARGETS.uploadGzipMiB,
      },
    },
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/bench.json", `${JSON.stringify(result, null, 2)}\n`);

  console.log(
    "\nEnd-to-end, client side (ms): Miniflare's in-process dispatchFetch, HTTP over loopback to Miniflare, and HTTP to `wrangler dev`:",
  );
  console.log(
    table(
      ["transport", "route", "requests", "p50", "p99", "p50 / no-op"],
      result.latency.map((l) => [l.transport, l.route, l.n, l.p50Ms, l.p99Ms, `${l.p50VsNoop}x`]),
    ),
  );
  if (cpu) {
    console.log("\nworkerd CPU time per request (µs, all its threads; HTTP to Miniflare, median of blocks):");
    console.log(
      table(
        ["route", "µs per request", "vs no-op", "added µs"],
        cpu.map((c) => [c.route, c.usPerRequest, `${c.vsNoop}x`, c.addedUs]),
      ),
    );
  } else console.log("\nworkerd CPU time per request: not measured (needs Linux's /proc)");
  console.log(
    `\nFirst ranked response in a fresh isolate, the bundled model active: median ${result.firstRanked.medianFirstMs} ms (isolate start-up before it: median ${result.firstRanked.medianStartupMs} ms)`,
  );
  console.log(
    `First ranked response in a fresh isolate, a model published after the deploy active: median ${result.firstRankedUnbundledModel.medianFirstMs} ms`,
  );
  console.log(`Worker upload: ${upload.totalKiB} KiB, ${upload.gzipKiB} KiB gzipped`);
  console.log("\nTargets:");
  console.log(
    table(
      ["target", "limit", "measured", "ok"],
      [
        [
          "p50 at 500 candidates / no-op p50 (HTTP)",
          `<= ${TARGETS.ratioAt500}`,
          result.targets.ratioAt500.measured,
          result.targets.ratioAt500.ok ? "yes" : "NO",
        ],
        [
          "  same, dispatchFetch / wrangler dev",
          `<= ${TARGETS.ratioAt500}`,
          `${result.targets.ratioAt500.dispatchFetch} / ${result.targets.ratioAt500.wranglerDev}`,
          "",
        ],
        ["  same, HTTP, in each fifth of the run", "", result.targets.ratioAt500.byFifth.http.join(" "), ""],
        [
          "  added ms at 500 (HTTP / dispatchFetch / wrangler dev)",
          "",
          (["http", "dispatchFetch", "wrangler-dev"] as Transport[]).map((t) => addedAt500(t).toFixed(3)).join(" / "),
          "",
        ],
        [
          "first ranked response, fresh isolate (ms)",
          `<= ${TARGETS.firstRankedMs}`,
          result.targets.firstRankedMs.measured,
          result.targets.firstRankedMs.ok ? "yes" : "NO",
        ],
        [
          "upload, gzipped (MiB)",
          `<= ${TARGETS.uploadGzipMiB}`,
          result.targets.uploadGzipMiB.measured,
          result.targets.uploadGzipMiB.ok ? "yes" : "NO",
        ],
      ],
    ),
  );
  console.log("\nInference (bench/inference.ts):");
  process.stdout.write(inf.stdout);
  console.log("\nwrote bench/results/bench.json");
} finally {
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
