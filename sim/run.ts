// `npm run sim:peak` (and `-- --faults`): replays a compressed day of multi-region traffic against the origin directly and through the edge worker.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { bundleWorker } from "../bench/bundle.js";
import { barChart, lineChart, page, pre, type Series } from "../bench/chart.js";
import { keys, POINTER_REFRESH_MS } from "../core/keys.js";
import { sha256Hex } from "../core/manifest.js";
import { configKeys } from "../edge-config/keys.js";
import { loadConfigDir } from "../edge-config/publish.js";
import { resolvePolicy } from "../edge-config/schema.js";
import { createGenerator } from "../origin/src/cf/index.js";
import { loadDataset } from "../origin/src/load.js";
import { DelayProxy, PROXY_TIMING_HEADER } from "./delay-proxy.js";
import { DeviceClient } from "./device-client.js";
import { type Edge, seedEdge, startEdge } from "./edge.js";
import { faultSchedule, type Window } from "./schedule.js";
import {
  binCounts,
  busiestWindow,
  byRegion,
  degradedShares,
  median,
  type Outcome,
  quantile,
  recoveryMs,
  type Summary,
  summarise,
  tierClass,
} from "./stats.js";
import { compression, generateTrace, maxPerMinute, type TraceEvent, type TraceRegion } from "./trace.js";

const USAGE = `usage: npm run sim:peak -- [--duration 90] [--rate 120] [--seed 1] [--faults] [--out sim/results]`;
const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "" },
    rate: { type: "string", default: "120" },
    seed: { type: "string", default: "1" },
    faults: { type: "boolean", default: false },
    out: { type: "string", default: "sim/results" },
  },
  strict: true,
});
function intArg(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    console.error(`sim: --${name} must be an integer in ${min}..${max}, got "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const FAULTS = args.faults as boolean;
const DURATION_S = intArg("duration", (args.duration as string) || (FAULTS ? "180" : "90"), 20, 1800);
const PEAK_RPS = intArg("rate", args.rate as string, 1, 2000);
const SEED = intArg("seed", args.seed as string, 0, 0xffffffff);
const OUT = args.out as string;

/** How often the worker re-reads `config:active` and the model pointers, so the fault schedule follows it. */
const WORKER_REFRESH_MS = POINTER_REFRESH_MS;
/** Recovery: the first `sustainBins` consecutive bins after a window whose degraded share is back near the baseline. */
const RECOVERY = { binMs: 1000, sustainBins: 3, tolerance: 0.02 };
/**
 * The fault run's wall-clock schedule (sim/schedule.ts): a 15-s baseline, five windows of 12 s (longer than
 * the re-read interval, so a published bad config or model is read inside its window whatever the phase), and
 * after each window, the last included, at least the re-read interval + the sustain time + 5 s.
 */
const SCHEDULE = {
  faults: 5,
  leadMs: 15_000,
  windowMs: WORKER_REFRESH_MS + 2_000,
  minGapMs: WORKER_REFRESH_MS + RECOVERY.sustainBins * RECOVERY.binMs + 5_000,
};
let FAULT_WINDOWS: Window[] = [];
if (FAULTS) {
  try {
    FAULT_WINDOWS = faultSchedule({ ...SCHEDULE, wallMs: DURATION_S * 1000 });
  } catch (e) {
    console.error(`sim: --duration ${DURATION_S}: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** Wednesday 4 November 2026, 00:00 UTC: a weekday, after every region's daylight-saving change. */
const DAY_START = Date.UTC(2026, 10, 4);
/** The origin sits in us-east. Device->origin round trips per region, ms (also the PoP->origin trip). */
const ORIGIN_RTT: Record<string, number> = { "us-east": 20, "us-west": 70, "eu-west": 90, "ap-southeast": 200 };
/** Device->PoP round trips: the nearest Cloudflare location is a few milliseconds away. */
const POP_RTT: Record<string, number> = { "us-east": 5, "us-west": 8, "eu-west": 6, "ap-southeast": 12 };
/** Share of the day's requests per region. */
const REGION_WEIGHT: Record<string, number> = { "us-east": 0.35, "us-west": 0.15, "eu-west": 0.3, "ap-southeast": 0.2 };
/**
 * The origin's capacity (sim/load-model.ts): 4 workers, +20% service time per other busy worker, and a base
 * service time chosen so that its capacity is ORIGIN_HEADROOM times the day's peak device rate: an origin
 * provisioned to carry the peak on its own, as it must be when devices call it directly.
 */
const ORIGIN_HEADROOM = 1.15;
const LOAD_SLOTS = 4;
const LOAD_GROWTH = 0.2;
const LOAD = {
  slots: LOAD_SLOTS,
  growth: LOAD_GROWTH,
  baseMs: +((LOAD_SLOTS * 1000) / (ORIGIN_HEADROOM * PEAK_RPS * (1 + LOAD_GROWTH * (LOAD_SLOTS - 1)))).toFixed(2),
};
/** Users with a view in the last ACTIVE_DAYS of the log are the ones the origin publishes lists for. */
const ACTIVE_DAYS = 30;
const ZIPF_S = 1;
const NEW_USER_SHARE = 0.005;
const MAX_USER_PER_MINUTE = 60;
const REQUEST_TIMEOUT_MS = 10_000;
const TARGETS = { p99Ratio: 10, originReduction: 0.95 };

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- world: the origin's catalog users, ranked by recent activity, in their home regions ----
const cfgLoaded = loadConfigDir();
const cfg = cfgLoaded.cfg;
const regionIds = Object.keys(cfg.regions);
const dataset = loadDataset({ seed: 42 });
const lastTs = dataset.interactions.at(-1)?.ts ?? 0;
const recentViews = new Map<number, number>();
for (const i of dataset.interactions) {
  if (i.ts > lastTs - ACTIVE_DAYS * 86_400_000) recentViews.set(i.userId, (recentViews.get(i.userId) ?? 0) + 1);
}
const activeUsers = dataset.users.filter((u) => (recentViews.get(u) ?? 0) > 0);
const traceRegions: TraceRegion[] = regionIds.map((id) => ({
  id,
  timeZone: (cfg.regions[id] as { timeZone: string }).timeZone,
  weight: REGION_WEIGHT[id] ?? 0.1,
  // Most recently active first: the heaviest users are the ones watching now.
  users: dataset.users
    .filter((u) => dataset.homeRegion.get(u) === id)
    .sort((a, b) => (recentViews.get(b) ?? 0) - (recentViews.get(a) ?? 0) || a - b),
}));
const wallMs = DURATION_S * 1000;
const trace = generateTrace({
  seed: SEED,
  regions: traceRegions,
  dayStart: DAY_START,
  wallMs,
  peakRps: PEAK_RPS,
  zipfS: ZIPF_S,
  newUserShare: NEW_USER_SHARE,
  maxUserPerMinute: MAX_USER_PER_MINUTE,
});
const isPeak = (e: TraceEvent) => resolvePolicy(cfg, e.region, e.row, e.simTime).peak;
const simMinuteWallMs = wallMs / 1440;
// The busiest simulated hour of all regions together (in wall ms from the start).
const traceBins = binCounts(
  trace.map((e) => e.atMs),
  simMinuteWallMs,
  wallMs,
);
const peakHourFrom = busiestWindow(traceBins, 60) * simMinuteWallMs;
const peakHourTo = peakHourFrom + 60 * simMinuteWallMs;
const simHourOf = (wallOffset: number) => (wallOffset * compression({ wallMs })) / 3_600_000;
/** The simulated UTC clock time (HH:MM) at a wall offset. */
const simClock = (wallOffset: number) =>
  new Date(DAY_START + wallOffset * compression({ wallMs })).toISOString().slice(11, 16);

// ---- processes and proxies ----
const children: ChildProcess[] = [];
const proxies: DelayProxy[] = [];
/** The simulated devices' connections, on both paths. */
const devices = new DeviceClient();
let edge: Edge | null = null;
let edgeTarget = new URL("http://127.0.0.1:9");
const work = mkdtempSync(join(tmpdir(), "frontrow-sim-"));

async function cleanup(): Promise<void> {
  devices.close();
  await Promise.all(proxies.map((p) => p.close().catch(() => {})));
  if (edge) await edge.dispose().catch(() => {});
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

async function startOrigin(): Promise<string> {
  const child = spawn(
    join("node_modules", ".bin", "tsx"),
    [
      "sim/origin-server.ts",
      "--slots",
      String(LOAD.slots),
      "--base-ms",
      String(LOAD.baseMs),
      "--growth",
      String(LOAD.growth),
    ],
    { stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/sim-origin listening (\d+)/);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    child.on("exit", (code) => reject(new Error(`the simulation's origin exited (${code})`)));
  });
}

async function originArrivals(originUrl: string, startEpoch: number): Promise<{ at: number[]; maxQueued: number }> {
  const r = (await (await fetch(`${originUrl}/_sim/arrivals`)).json()) as { arrivals: number[]; maxQueued: number };
  return { at: r.arrivals.map((t) => t - startEpoch), maxQueued: r.maxQueued };
}

// ---- replay ----
/** What a sender learns from one request; the replay adds when and where it was sent and how long it took. */
type Answer = Omit<Outcome, "atMs" | "region" | "ms" | "lagMs" | "peak">;
type Sender = (e: TraceEvent) => Promise<Answer>;

/** Garbage-collection pauses of this process (driver and proxies) during a replay. */
interface DriverGc {
  pauses: number;
  totalMs: number;
  maxMs: number;
  over5ms: number;
}

/**
 * Counts this process's GC pauses until stopped. The driver and the delay proxies share this event loop, so a
 * pause delays every answer in flight: the report shows it beside the latencies, as it shows the send lag.
 */
function watchGc(): { stop(): DriverGc } {
  const out: DriverGc = { pauses: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
  const add = (entries: readonly { duration: number }[]) => {
    for (const e of entries) {
      out.pauses++;
      out.totalMs += e.duration;
      out.maxMs = Math.max(out.maxMs, e.duration);
      if (e.duration > 5) out.over5ms++;
    }
  };
  const obs = new PerformanceObserver((list) => add(list.getEntries()));
  obs.observe({ entryTypes: ["gc"] });
  return {
    stop() {
      // Entries are delivered asynchronously: count the ones still buffered too.
      add(obs.takeRecords());
      obs.disconnect();
      return { ...out, totalMs: Math.round(out.totalMs), maxMs: +out.maxMs.toFixed(1) };
    },
  };
}

/**
 * Replays the trace open-loop: each request leaves at its scheduled time (an absolute offset from the start),
 * whatever earlier ones are doing. Latency runs from the actual send to the last byte, and each outcome keeps
 * the send lag (actual minus scheduled send), so a driver that fell behind shows as lag, not as system latency.
 */
async function replay(
  send: Sender,
  onTick?: (elapsedMs: number) => Promise<void>,
): Promise<{
  outcomes: Outcome[];
  startEpoch: number;
  maxLagMs: number;
  driverGc: DriverGc;
}> {
  const startEpoch = Date.now();
  const t0 = performance.now();
  const gc = watchGc();
  const pending: Promise<Outcome>[] = [];
  let lastProgress = 0;
  const ticker = onTick ? tick(onTick, t0) : null;
  const fire = async (e: TraceEvent, scheduled: number): Promise<Outcome> => {
    const sentAt = performance.now();
    const r = await send(e);
    return {
      ...r,
      atMs: e.atMs,
      region: e.region,
      ms: performance.now() - sentAt,
      lagMs: sentAt - scheduled,
      peak: isPeak(e),
    };
  };
  for (const e of trace) {
    const scheduled = t0 + e.atMs;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(fire(e, scheduled));
    if (e.atMs - lastProgress >= 10_000) {
      lastProgress = e.atMs;
      log(`  ${(e.atMs / 1000).toFixed(0)} s / ${DURATION_S} s (simulated ${simHourOf(e.atMs).toFixed(1)} h UTC)`);
    }
  }
  const outcomes = await Promise.all(pending);
  if (ticker) await ticker.stop();
  return {
    outcomes,
    startEpoch,
    maxLagMs: outcomes.reduce((a, o) => Math.max(a, o.lagMs), 0),
    driverGc: gc.stop(),
  };
}

/** Calls `fn` every 100 ms with the elapsed replay time until stopped (for the fault schedule). */
function tick(fn: (elapsedMs: number) => Promise<void>, t0: number) {
  let running = true;
  const loop = (async () => {
    while (running) {
      await fn(performance.now() - t0);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** A request that got no HTTP answer: the error and its code (e.g. `Error: socket hang up: ECONNRESET`). */
function failed(e: unknown, path: string): Answer {
  const err = e as Error & { code?: string };
  const cause = err.code ? `: ${err.code}` : "";
  return {
    status: 0,
    servedBy: null,
    cacheStatus: null,
    degraded: false,
    error: `${err.name}: ${err.message}${cause}`,
    path,
  };
}

/** Keeps what a report needs to explain an answer that is not 2xx: its path and the start of its body. */
function unexpected(status: number, path: string, text: string): Pick<Answer, "path" | "body"> {
  return status >= 200 && status < 300 ? {} : { path, body: text.slice(0, 400) };
}

function directSender(direct: Map<string, DelayProxy>): Sender {
  return async (e) => {
    const base = (direct.get(e.region) as DelayProxy).url;
    const q = new URLSearchParams(e.row === "trending" ? { region: e.region } : { user: e.userId, region: e.region });
    const path = `/v1/candidates/${e.row}?${q}`;
    try {
      const res = await devices.get(`${base}${path}`, { "cf-connecting-ip": e.ip }, REQUEST_TIMEOUT_MS);
      const text = res.text;
      return {
        status: res.status,
        servedBy: null,
        cacheStatus: null,
        degraded: false,
        ...unexpected(res.status, path, text),
      };
    } catch (err) {
      return failed(err, path);
    }
  };
}

function edgeSender(pops: Map<string, DelayProxy>): Sender {
  return async (e) => {
    const base = (pops.get(e.region) as DelayProxy).url;
    const path = `/v1/recommendations/${e.userId}?row=${e.row}&limit=20&device=${e.device}`;
    try {
      const res = await devices.get(
        `${base}${path}`,
        {
          "x-frontrow-region": e.region,
          "x-frontrow-now": new Date(e.simTime).toISOString(),
          "cf-connecting-ip": e.ip,
        },
        REQUEST_TIMEOUT_MS,
      );
      const text = res.text;
      let body: {
        servedBy?: string;
        cache?: { status?: string };
        degraded?: string[];
        model?: { version?: string | null };
      } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not JSON: kept below as the body of an unexpected answer.
      }
      const total = /total;dur=([\d.]+)/.exec(String(res.headers["server-timing"] ?? ""));
      const hop = /late=([-\d.]+);upstream=([\d.]+)/.exec(String(res.headers[PROXY_TIMING_HEADER] ?? ""));
      return {
        status: res.status,
        ...(total ? { serverMs: Number(total[1]) } : {}),
        ...(hop ? { proxyLateMs: Number(hop[1]), upstreamMs: Number(hop[2]) } : {}),
        servedBy: body.servedBy ?? "none",
        cacheStatus: body.cache?.status ?? null,
        degraded: (body.degraded?.length ?? 0) > 0,
        ...(body.degraded?.length ? { reasons: body.degraded } : {}),
        modelVersion: body.model?.version ?? null,
        ...unexpected(res.status, path, text),
      };
    } catch (err) {
      return failed(err, path);
    }
  };
}

async function bringUpEdge(outdir: string, originProxy: DelayProxy): Promise<Edge> {
  const e = await startEdge(outdir, mkdtempSync(join(work, "state-")), originProxy.url, { kvFaults: FAULTS });
  edge = e;
  edgeTarget = new URL(e.url);
  const generator = createGenerator("ease");
  generator.fit(dataset.interactions);
  const seeded = await seedEdge(e.kv, dataset, generator, activeUsers);
  log(
    `sim: KV seeded by the publish path: ${seeded.keys} keys (lists and profiles of ${activeUsers.length} of ${dataset.users.length} users), model ${seeded.modelVersion}, config ${seeded.configVersion}`,
  );
  return e;
}

/** One warm request per region through its PoP; the model must be serving before the day starts. */
async function warm(pops: Map<string, DelayProxy>): Promise<void> {
  for (const region of regionIds) {
    const res = await fetch(
      `${(pops.get(region) as DelayProxy).url}/v1/recommendations/${activeUsers[0]}?row=top-picks`,
      {
        headers: { "x-frontrow-region": region, "x-frontrow-now": new Date(DAY_START).toISOString() },
      },
    );
    const body = (await res.json()) as { servedBy: string };
    if (res.status !== 200 || body.servedBy !== "model") {
      throw new Error(`warm-up in ${region}: HTTP ${res.status}, servedBy ${body.servedBy}`);
    }
  }
}

// ---- reports ----
const gcCell = (g: DriverGc) => `${g.pauses}, ${g.totalMs} ms, ${f1(g.maxMs)} ms, ${g.over5ms}`;
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "-");
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function regionTable(direct: Outcome[], edgeOut: Outcome[], onlyPeak: boolean): string {
  const head =
    "| region | path | n | p50 ms | p95 ms | p99 ms | cache hit | stale | fallback | origin-order | 5xx |\n|---|---|---|---|---|---|---|---|---|---|---|";
  const lines = [head];
  const d = byRegion(
    direct.filter((o) => !onlyPeak || o.peak),
    regionIds,
  );
  const e = byRegion(
    edgeOut.filter((o) => !onlyPeak || o.peak),
    regionIds,
  );
  const row = (region: string, path: string, s: Summary, isEdge: boolean) =>
    `| ${region} | ${path} | ${s.n} | ${f1(s.p50)} | ${f1(s.p95)} | ${f1(s.p99)} | ${isEdge ? pct(s.hitRatio) : "-"} | ${isEdge ? pct(s.staleRate) : "-"} | ${isEdge ? pct(s.fallbackRate) : "-"} | ${isEdge ? pct(s.originOrderRate) : "-"} | ${s.errors5xx} |`;
  for (const r of [...regionIds, "all"]) {
    const ds = summarise(r === "all" ? [...d.values()].flat() : (d.get(r) ?? []));
    const es = summarise(r === "all" ? [...e.values()].flat() : (e.get(r) ?? []));
    if (direct.length) lines.push(row(r, "origin-direct", ds, false));
    lines.push(row(r, "edge", es, true));
  }
  return lines.join("\n");
}

function hourly(outcomes: Outcome[], f: (o: Outcome[]) => number): number[] {
  const binMs = wallMs / 24;
  const bins: Outcome[][] = Array.from({ length: 24 }, () => []);
  for (const o of outcomes) bins[Math.min(23, Math.floor(o.atMs / binMs))]?.push(o);
  return bins.map(f);
}

const REGION_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

async function peakRun(
  outdir: string,
  originUrl: string,
  direct: Map<string, DelayProxy>,
  pops: Map<string, DelayProxy>,
  originProxy: DelayProxy,
): Promise<number> {
  log(`sim: (a) origin-direct: ${trace.length} requests over ${DURATION_S} s`);
  await fetch(`${originUrl}/_sim/reset`, { method: "POST" });
  const a = await replay(directSender(direct));
  const aOrigin = await originArrivals(originUrl, a.startEpoch);

  log("sim: (b) edge: starting the worker and seeding KV ...");
  await bringUpEdge(outdir, originProxy);
  await warm(pops);
  await fetch(`${originUrl}/_sim/reset`, { method: "POST" });
  log(`sim: (b) edge: ${trace.length} requests over ${DURATION_S} s`);
  const b = await replay(edgeSender(pops));
  const bOrigin = await originArrivals(originUrl, b.startEpoch);

  const peakSeconds = (peakHourTo - peakHourFrom) / 1000;
  const inPeak = (t: number) => t >= peakHourFrom && t < peakHourTo;
  const aPeakRps = aOrigin.at.filter(inPeak).length / peakSeconds;
  const bPeakRps = bOrigin.at.filter(inPeak).length / peakSeconds;
  const reduction = aPeakRps > 0 ? 1 - bPeakRps / aPeakRps : 0;
  const aPeak = summarise(a.outcomes.filter((o) => o.peak));
  const bPeak = summarise(b.outcomes.filter((o) => o.peak));
  const ratio = aPeak.p99 / bPeak.p99;
  const edge5xx = b.outcomes.filter((o) => o.status >= 500 || o.status === 0);
  if (process.env.SIM_DEBUG) {
    const slow = b.outcomes.filter((o) => o.ms > 80).slice(0, 40);
    for (const o of slow) log(`slow: ${JSON.stringify(o)}`);
  }

  const perRegionPeak = regionIds.map((r) => {
    const ap = summarise(a.outcomes.filter((o) => o.peak && o.region === r));
    const bp = summarise(b.outcomes.filter((o) => o.peak && o.region === r));
    return { region: r, directP99: ap.p99, edgeP99: bp.p99, ratio: ap.p99 / bp.p99 };
  });
  const failures: string[] = [];
  if (!(ratio >= TARGETS.p99Ratio))
    failures.push(`edge p99 at peak ${f1(bPeak.p99)} ms is not at most 1/10 of origin-direct p99 ${f1(aPeak.p99)} ms`);
  if (!(reduction >= TARGETS.originReduction))
    failures.push(`origin requests at the peak hour fell by ${pct(reduction)}, target ${pct(TARGETS.originReduction)}`);
  if (edge5xx.length)
    failures.push(`${edge5xx.length} edge answers were 5xx or no answer: ${edge5xx[0]?.error ?? edge5xx[0]?.status}`);

  const load1 = loadavg()[0] as number;
  const tableAll = regionTable(a.outcomes, b.outcomes, false);
  const tablePeak = regionTable(a.outcomes, b.outcomes, true);
  const summary = [
    `Peak-hour simulation: ${trace.length} requests, 24 simulated hours in ${DURATION_S} s per path, peak ${PEAK_RPS} req/s, seed ${SEED}, 1-min load ${load1.toFixed(2)}`,
    `Busiest simulated hour (all regions): ${simHourOf(peakHourFrom).toFixed(2)}-${simHourOf(peakHourTo).toFixed(2)} h UTC`,
    "",
    "At each region's peak (its edge-config peak schedule, local time):",
    tablePeak,
    "",
    "Whole day:",
    tableAll,
    "",
    "| measure | origin-direct | edge | target |",
    "|---|---|---|---|",
    `| p99 at peak, all regions | ${f1(aPeak.p99)} ms | ${f1(bPeak.p99)} ms (${f1(ratio)}x lower) | edge <= 1/10 |`,
    ...perRegionPeak.map(
      (p) =>
        `| p99 at peak, ${p.region} | ${f1(p.directP99)} ms | ${f1(p.edgeP99)} ms (${f1(p.ratio)}x) | (reported) |`,
    ),
    `| origin req/s in the busiest hour | ${aPeakRps.toFixed(1)} | ${bPeakRps.toFixed(2)} (${pct(reduction)} fewer) | >= 95% fewer |`,
    `| origin requests, whole day | ${aOrigin.at.length} | ${bOrigin.at.length} | (reported) |`,
    `| most requests queued at the origin | ${aOrigin.maxQueued} | ${bOrigin.maxQueued} | (reported) |`,
    `| worker time p99 at peak (Server-Timing total) | - | ${f1(bPeak.serverP99)} ms | (reported) |`,
    `| edge 5xx or no answer | - | ${edge5xx.length} | 0 |`,
    `| most requests per user / per device address in any wall minute | ${maxPerMinute(trace, (e) => e.userId)} / ${maxPerMinute(trace, (e) => e.ip)} | | (rate-limit budget) |`,
    `| driver's send lag at peak, p99 / largest (not in the latencies above) | ${f1(aPeak.lagP99)} / ${f1(aPeak.lagMax)} ms | ${f1(bPeak.lagP99)} / ${f1(bPeak.lagMax)} ms | (reported) |`,
    `| driver's largest send lag, whole day | ${f1(a.maxLagMs)} ms | ${f1(b.maxLagMs)} ms | (reported) |`,
    `| driver and proxies' GC pauses, whole day: count, total, largest, over 5 ms | ${gcCell(a.driverGc)} | ${gcCell(b.driverGc)} | (reported) |`,
  ].join("\n");
  console.log(summary);
  for (const x of unexpectedOutcomes(b.outcomes, () => "edge")) console.log(`edge not 2xx: ${JSON.stringify(x)}`);

  const hourMs = wallMs / 24;
  const originHourly = (at: number[]) => binCounts(at, hourMs, wallMs).map((c) => c / (hourMs / 1000));
  const html = page("frontrow peak-hour simulation", [
    pre(summary),
    lineChart(
      "Device requests per second by region (simulated hour, UTC)",
      "simulated hour (UTC)",
      "req/s (wall)",
      24,
      regionIds.map((r, i) => ({
        name: r,
        color: REGION_COLORS[i] as string,
        values: binCounts(
          trace.filter((e) => e.region === r).map((e) => e.atMs),
          hourMs,
          wallMs,
        ).map((c) => c / (hourMs / 1000)),
      })),
    ),
    lineChart("Origin requests per second: origin-direct vs edge", "simulated hour (UTC)", "origin req/s", 24, [
      { name: "origin-direct", color: "#d62728", values: originHourly(aOrigin.at) },
      { name: "edge", color: "#1f77b4", values: originHourly(bOrigin.at) },
    ]),
    barChart(
      "p99 latency at each region's peak (log scale)",
      "ms",
      regionIds,
      [
        { name: "origin-direct p99", color: "#d62728", values: perRegionPeak.map((p) => p.directP99) },
        { name: "edge p99", color: "#1f77b4", values: perRegionPeak.map((p) => p.edgeP99) },
      ],
      true,
    ),
    lineChart("Edge p99 by simulated hour", "simulated hour (UTC)", "ms", 24, [
      {
        name: "origin-direct p99",
        color: "#d62728",
        values: hourly(a.outcomes, (o) =>
          quantile(
            o.map((x) => x.ms),
            0.99,
          ),
        ),
      },
      {
        name: "edge p99",
        color: "#1f77b4",
        values: hourly(b.outcomes, (o) =>
          quantile(
            o.map((x) => x.ms),
            0.99,
          ),
        ),
      },
    ]),
    lineChart(
      "Edge serving tiers (share of answers per simulated hour)",
      "simulated hour (UTC)",
      "share",
      24,
      tierSeries(b.outcomes),
    ),
    ...(failures.length ? [pre(`TARGETS MISSED:\n${failures.join("\n")}`)] : []),
  ]);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "peak.html"), html);
  writeFileSync(
    join(OUT, "peak.json"),
    `${JSON.stringify(
      {
        command: `npm run sim:peak -- --duration ${DURATION_S} --rate ${PEAK_RPS} --seed ${SEED}`,
        load1,
        settings: {
          DAY_START: new Date(DAY_START).toISOString(),
          ORIGIN_RTT,
          POP_RTT,
          REGION_WEIGHT,
          LOAD,
          ACTIVE_DAYS,
          ZIPF_S,
          NEW_USER_SHARE,
          MAX_USER_PER_MINUTE,
        },
        requests: trace.length,
        busiestHourUtc: [simHourOf(peakHourFrom), simHourOf(peakHourTo)],
        atPeak: { direct: aPeak, edge: bPeak, p99Ratio: ratio, perRegion: perRegionPeak },
        wholeDay: {
          direct: Object.fromEntries([...byRegion(a.outcomes, regionIds)].map(([r, o]) => [r, summarise(o)])),
          edge: Object.fromEntries([...byRegion(b.outcomes, regionIds)].map(([r, o]) => [r, summarise(o)])),
        },
        origin: {
          peakRps: { direct: aPeakRps, edge: bPeakRps, reduction },
          total: { direct: aOrigin.at.length, edge: bOrigin.at.length },
          hourlyRps: { direct: originHourly(aOrigin.at), edge: originHourly(bOrigin.at) },
          maxQueued: { direct: aOrigin.maxQueued, edge: bOrigin.maxQueued },
        },
        edge5xx: edge5xx.length,
        edgeTailAtPeak: tailBreakdown(b.outcomes.filter((o) => o.peak)),
        notOk: {
          direct: unexpectedOutcomes(a.outcomes, () => "origin-direct"),
          edge: unexpectedOutcomes(b.outcomes, () => "edge"),
        },
        proxyErrors: {
          direct: [...direct.values()].flatMap((p) =>
            p.errors.filter((x) => x.atEpoch >= a.startEpoch).map((x) => ({ ...x, atMs: x.atEpoch - a.startEpoch })),
          ),
          edge: proxyErrors(b.startEpoch, [...pops.values()], originProxy),
        },
        maxLagMs: { direct: a.maxLagMs, edge: b.maxLagMs },
        driverGc: { direct: a.driverGc, edge: b.driverGc },
        failures,
      },
      null,
      2,
    )}\n`,
  );
  log(`sim: wrote ${join(OUT, "peak.json")} and ${join(OUT, "peak.html")}`);
  if (failures.length) {
    console.log(`\nTARGETS MISSED:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
    return 1;
  }
  console.log("\nAll targets met.");
  return 0;
}

function tierSeries(outcomes: Outcome[]): Series[] {
  const classes = [
    ["hit", "#2ca02c"],
    ["miss", "#1f77b4"],
    ["stale", "#9467bd"],
    ["origin-order", "#ff7f0e"],
    ["fallback", "#d62728"],
  ] as const;
  return classes.map(([c, color]) => ({
    name: c,
    color,
    values: hourly(outcomes, (o) => (o.length ? o.filter((x) => tierClass(x) === c).length / o.length : Number.NaN)),
  }));
}

/**
 * What the slowest 1% of answers were (at or above the p99): counts by tier and cache status, by region, and how
 * many had a worker time (Server-Timing) under 5 ms, i.e. whose time went outside the worker.
 */
function tailBreakdown(outcomes: readonly Outcome[]) {
  const p99 = quantile(
    outcomes.map((o) => o.ms),
    0.99,
  );
  const tail = outcomes.filter((o) => o.ms >= p99);
  const countBy = (key: (o: Outcome) => string) => {
    const m: Record<string, number> = {};
    for (const o of tail) m[key(o)] = (m[key(o)] ?? 0) + 1;
    return m;
  };
  return {
    p99,
    n: tail.length,
    byTier: countBy((o) => `${tierClass(o)}${o.reasons?.some(waitedForOrigin) ? " (origin call)" : ""}`),
    byRegion: countBy((o) => o.region),
    workerUnder5ms: tail.filter((o) => (o.serverMs ?? Number.POSITIVE_INFINITY) < 5).length,
    sendLagOver5ms: tail.filter((o) => o.lagMs > 5).length,
    // Where the tail answers' time went (medians over the tail): the worker's own time (Server-Timing), the
    // worker over HTTP as the PoP proxy saw it, and the proxy's RTT timers running late; the rest is the PoP
    // round trip and the driver's own reading of the answer.
    medianMs: {
      latency: median(tail.map((o) => o.ms)),
      worker: median(finite(tail.map((o) => o.serverMs))),
      upstream: median(finite(tail.map((o) => o.upstreamMs))),
      proxyLate: median(finite(tail.map((o) => o.proxyLateMs))),
    },
    proxyLateOver5ms: tail.filter((o) => (o.proxyLateMs ?? 0) > 5).length,
    upstreamOver20ms: tail.filter((o) => (o.upstreamMs ?? 0) > 20).length,
    // In send order, so answers slowed together (a stall of the one workerd thread) show as a cluster.
    answers: [...tail]
      .sort((x, y) => x.atMs - y.atMs)
      .map((o) => ({
        atMs: Math.round(o.atMs),
        region: o.region,
        ms: +o.ms.toFixed(1),
        upstreamMs: o.upstreamMs ?? null,
        workerMs: o.serverMs ?? null,
        proxyLateMs: o.proxyLateMs ?? null,
      })),
  };
}

/** A `degraded` reason from an origin call the answer waited for (not one left to finish in the background). */
const waitedForOrigin = (r: string) => r.startsWith("origin:") && !r.includes("missWaitMs");

const finite = (v: readonly (number | undefined)[]): number[] =>
  v.filter((x): x is number => x !== undefined && Number.isFinite(x));

/** Every answer that is not 2xx (or no answer at all), with where and when it happened, for the JSON report. */
function unexpectedOutcomes(outcomes: readonly Outcome[], where: (atMs: number) => string) {
  return outcomes
    .filter((o) => o.status < 200 || o.status >= 300)
    .map((o) => ({
      status: o.status,
      error: o.error ?? null,
      path: o.path ?? null,
      body: o.body ?? null,
      region: o.region,
      window: where(o.atMs),
      scheduledMs: +o.atMs.toFixed(1),
      sendLagMs: +o.lagMs.toFixed(1),
      latencyMs: +o.ms.toFixed(1),
    }));
}

/** Upstream failures the delay proxies saw (ms from the start of the replay): the PoPs' and the worker's origin link. */
function proxyErrors(startEpoch: number, pops: readonly DelayProxy[], originProxy: DelayProxy) {
  const list = (p: DelayProxy) =>
    p.errors.filter((x) => x.atEpoch >= startEpoch).map((x) => ({ ...x, atMs: x.atEpoch - startEpoch }));
  return { pops: pops.flatMap(list), origin: list(originProxy) };
}

// ---- faults ----
interface Fault {
  name: string;
  fromMs: number;
  toMs: number;
  /** What an answer affected by this fault shows (its own `degraded` reason, or the corrupt model's version). */
  sign: { description: string; test(o: Outcome): boolean };
  start(): Promise<void>;
  end(): Promise<void>;
}

const reason = (re: RegExp) => (o: Outcome) => (o.reasons ?? []).some((r) => re.test(r));

async function faultRun(
  outdir: string,
  originUrl: string,
  pops: Map<string, DelayProxy>,
  originProxy: DelayProxy,
): Promise<number> {
  const e = await bringUpEdge(outdir, originProxy);
  await warm(pops);
  const modelManifest = JSON.parse(readFileSync("worker/model/manifest.json", "utf8")) as {
    version: string;
    sha256: string;
  };
  const goodModelPointer = await e.kv.get(keys.activeModel);
  const goodConfigPointer = await e.kv.get(configKeys.active);
  const w = (i: number) => FAULT_WINDOWS[i] as Window;
  const faults: Fault[] = [
    {
      name: "origin down (connections refused)",
      sign: {
        description: "an origin connection failure (not a 404, not a timeout)",
        // Not a 404, a timeout, or a peak answer that did not wait (missWaitMs): its fetch failed out of sight.
        test: reason(/^origin: (?!404|timed out|no answer within missWaitMs)/),
      },
      ...w(0),
      start: () => originProxy.down(),
      end: () => originProxy.up(),
    },
    {
      name: "origin slow (3 s, beyond the origin timeout)",
      sign: { description: "an origin timeout", test: reason(/^origin: timed out/) },
      ...w(1),
      start: async () => originProxy.slow(3000),
      end: async () => originProxy.slow(0),
    },
    {
      name: "KV errors (every KV call throws)",
      sign: {
        description: "a KV read failure (cache, profile or config pointer)",
        test: reason(/simulated KV outage/),
      },
      ...w(2),
      start: () => e.setKvFailing(true),
      end: () => e.setKvFailing(false),
    },
    {
      name: "corrupt model published and activated",
      sign: {
        description: "ranked by, or complaining about, the corrupt version",
        test: (o) => o.modelVersion === "sim-corrupt" || reason(/sim-corrupt/)(o),
      },
      ...w(3),
      start: async () => {
        // The CLI would refuse these bytes: written by hand on purpose. The manifest is the real one under a new
        // version, so its sha256 names the real bytes and the corrupt ones cannot match it.
        const bytes = new Uint8Array(readFileSync("worker/model/model.onnx"));
        for (let i = 64; i < bytes.length; i += 97) bytes[i] = (bytes[i] as number) ^ 0xff;
        if ((await sha256Hex(bytes)) === modelManifest.sha256) throw new Error("corruption left the sha256 unchanged");
        const version = "sim-corrupt";
        await e.kv.put(keys.modelBytes(version), bytes.buffer as ArrayBuffer);
        await e.kv.put(keys.modelManifest(version), JSON.stringify({ ...modelManifest, version }));
        await e.kv.put(keys.activeModel, JSON.stringify({ version, activatedAt: new Date().toISOString() }));
      },
      // The operator rolls back: the pointer names the good version again.
      end: async () => e.kv.put(keys.activeModel, goodModelPointer as string),
    },
    {
      name: "bad config published and activated",
      sign: { description: "the bad config's rejection", test: reason(/cfg-sim-bad/) },
      ...w(4),
      start: async () => {
        // Fails the schema (an unknown default region, a negative freshness): the CLI would refuse it.
        const bad = {
          ...cfg,
          version: "cfg-sim-bad",
          defaultRegion: "nowhere",
          policy: { ...cfg.policy, freshSeconds: -1 },
        };
        await e.kv.put(configKeys.version("cfg-sim-bad"), JSON.stringify(bad));
        await e.kv.put(
          configKeys.active,
          JSON.stringify({ version: "cfg-sim-bad", activatedAt: new Date().toISOString(), history: [] }),
        );
      },
      end: async () => e.kv.put(configKeys.active, goodConfigPointer as string),
    },
  ];
  const started = new Set<Fault>();
  const ended = new Set<Fault>();
  log(
    `sim: faults: ${trace.length} requests over ${DURATION_S} s; windows of ${SCHEDULE.windowMs / 1000} s at ${FAULT_WINDOWS.map((x) => `${x.fromMs / 1000}-${x.toMs / 1000}`).join(", ")} s`,
  );
  await fetch(`${originUrl}/_sim/reset`, { method: "POST" });
  const r = await replay(edgeSender(pops), async (elapsed) => {
    for (const f of faults) {
      if (!started.has(f) && elapsed >= f.fromMs) {
        started.add(f);
        log(`  fault on at ${(elapsed / 1000).toFixed(1)} s: ${f.name}`);
        await f.start();
      }
      if (started.has(f) && !ended.has(f) && elapsed >= f.toMs) {
        ended.add(f);
        log(`  fault off at ${(elapsed / 1000).toFixed(1)} s: ${f.name}`);
        await f.end();
      }
    }
  });
  for (const f of faults) if (started.has(f) && !ended.has(f)) await f.end();
  const origin = await originArrivals(originUrl, r.startEpoch);
  const shares = degradedShares(r.outcomes, RECOVERY.binMs, wallMs, 5);
  const simMin = (ms: number) => (ms * compression({ wallMs })) / 60_000;
  const rows = faults.map((f, i) => {
    // The steady state before the first fault: later gaps may still hold an earlier fault's tail.
    const before = r.outcomes.filter((o) => o.atMs < (faults[0] as Fault).fromMs);
    const during = r.outcomes.filter((o) => o.atMs >= f.fromMs && o.atMs < f.toMs);
    // Recovery is judged in this fault's own gap: up to the next fault's start, or the end of the run.
    const gapEnd = faults[i + 1]?.fromMs ?? wallMs;
    const base = summarise(before);
    const s = summarise(during);
    const rec = recoveryMs(shares.slice(0, Math.floor(gapEnd / RECOVERY.binMs)), f.toMs, base.degradedRate, RECOVERY);
    const originDuring = origin.at.filter((t) => t >= f.fromMs && t < f.toMs).length / ((f.toMs - f.fromMs) / 1000);
    // The fault's own sign, by when the request was actually sent: when it showed, how often, when it stopped.
    const sentAt = (o: Outcome) => o.atMs + o.lagMs;
    const signed = r.outcomes.filter((o) => f.sign.test(o));
    const signedDuring = signed.filter((o) => sentAt(o) >= f.fromMs && sentAt(o) < f.toMs);
    const signedAfter = signed.filter((o) => sentAt(o) >= f.toMs);
    return {
      fault: f.name,
      fromMs: f.fromMs,
      toMs: f.toMs,
      simUtc: [simClock(f.fromMs), simClock(f.toMs)],
      baseline: base,
      during: s,
      originRpsDuring: originDuring,
      sign: {
        description: f.sign.description,
        before: signed.filter((o) => sentAt(o) < f.fromMs).length,
        during: signedDuring.length,
        firstAfterStartMs: signedDuring.length ? Math.min(...signedDuring.map(sentAt)) - f.fromMs : null,
        after: signedAfter.length,
        lastAfterEndMs: signedAfter.length ? Math.max(...signedAfter.map(sentAt)) - f.toMs : null,
      },
      recoveryMs: rec,
      gapMs: gapEnd - f.toMs,
    };
  });
  const all = summarise(r.outcomes);
  const where = (t: number): string => {
    const inside = faults.find((f) => t >= f.fromMs && t < f.toMs);
    if (inside) return `during: ${inside.name}`;
    const last = [...faults].reverse().find((f) => t >= f.toMs);
    return last ? `after: ${last.name}` : "before the first fault";
  };
  const notOk = unexpectedOutcomes(r.outcomes, where);
  const secs = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);
  const failures: string[] = [];
  if (all.errors5xx) failures.push(`${all.errors5xx} answers were 5xx or no answer`);
  for (const x of rows) {
    if (x.recoveryMs === null) failures.push(`${x.fault}: did not recover within the ${secs(x.gapMs)} after it`);
  }
  const load1 = loadavg()[0] as number;
  const table = [
    "| fault | window (s) | simulated UTC | n | 5xx | fallback | stale | origin-order | degraded (before -> during) | p99 ms (before -> during) | origin req/s during |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (x) =>
        `| ${x.fault} | ${(x.fromMs / 1000).toFixed(1)}-${(x.toMs / 1000).toFixed(1)} | ${x.simUtc.join("-")} | ${x.during.n} | ${x.during.errors5xx} | ${pct(x.during.fallbackRate)} | ${pct(x.during.staleRate)} | ${pct(x.during.originOrderRate)} | ${pct(x.baseline.degradedRate)} -> ${pct(x.during.degradedRate)} | ${f1(x.baseline.p99)} -> ${f1(x.during.p99)} | ${x.originRpsDuring.toFixed(1)} |`,
    ),
  ].join("\n");
  const recoveryTable = [
    "| fault | the fault's sign in an answer | first, after the start | answers with it (during / after the end) | last, after the end | degraded share back to baseline, after the end | gap after the window |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (x) =>
        `| ${x.fault} | ${x.sign.description} | ${secs(x.sign.firstAfterStartMs)} | ${x.sign.during} / ${x.sign.after} | ${secs(x.sign.lastAfterEndMs)} | ${x.recoveryMs === null ? "not within the gap" : `${secs(x.recoveryMs)} (${simMin(x.recoveryMs).toFixed(0)} sim min)`} | ${secs(x.gapMs)} |`,
    ),
  ].join("\n");
  const summary = [
    `Fault simulation: ${trace.length} edge requests, 24 simulated hours in ${DURATION_S} s, peak ${PEAK_RPS} req/s, seed ${SEED}, 1-min load ${load1.toFixed(2)}`,
    `Whole run: ${all.n} answers, ${all.errors5xx} 5xx, p50 ${f1(all.p50)} ms, p99 ${f1(all.p99)} ms, fallback ${pct(all.fallbackRate)}, stale ${pct(all.staleRate)}, origin-order ${pct(all.originOrderRate)}`,
    `Driver and proxies: largest send lag ${f1(r.maxLagMs)} ms; GC pauses ${gcCell(r.driverGc)} (count, total, largest, over 5 ms)`,
    `Recovery: the first ${RECOVERY.sustainBins} consecutive ${RECOVERY.binMs / 1000}-s bins after the window whose degraded share is each within ${pct(RECOVERY.tolerance)} (absolute) of the share before the first fault`,
    "",
    table,
    "",
    "Recovery of each fault (wall time; the sign is judged by when the request was actually sent):",
    recoveryTable,
  ].join("\n");
  console.log(summary);
  for (const x of notOk) console.log(`not 2xx: ${JSON.stringify(x)}`);
  const html = page("frontrow fault simulation", [
    pre(summary),
    lineChart(
      "Degraded share of edge answers per second (fault windows shaded)",
      "wall seconds",
      "share",
      DURATION_S,
      [{ name: "degraded share", color: "#d62728", values: shares }],
      faults.map((f) => ({ from: f.fromMs / 1000, to: f.toMs / 1000, label: f.name.split(" (")[0] as string })),
    ),
    lineChart(
      "Edge p99 per second (ms)",
      "wall seconds",
      "ms",
      DURATION_S,
      [
        {
          name: "p99",
          color: "#1f77b4",
          values: Array.from({ length: DURATION_S }, (_, i) =>
            quantile(
              r.outcomes.filter((o) => o.atMs >= i * 1000 && o.atMs < (i + 1) * 1000).map((o) => o.ms),
              0.99,
            ),
          ),
        },
      ],
      faults.map((f) => ({ from: f.fromMs / 1000, to: f.toMs / 1000, label: "" })),
    ),
    lineChart(
      "Origin requests per second from the edge",
      "wall seconds",
      "req/s",
      DURATION_S,
      [{ name: "origin req/s", color: "#ff7f0e", values: binCounts(origin.at, 1000, wallMs) }],
      faults.map((f) => ({ from: f.fromMs / 1000, to: f.toMs / 1000, label: "" })),
    ),
    ...(failures.length ? [pre(`FAILED:\n${failures.join("\n")}`)] : []),
  ]);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "faults.html"), html);
  writeFileSync(
    join(OUT, "faults.json"),
    `${JSON.stringify({ command: `npm run sim:faults -- --duration ${DURATION_S} --rate ${PEAK_RPS} --seed ${SEED}`, load1, recoveryRule: { ...RECOVERY, baseline: "degraded share before the first fault" }, whole: all, faults: rows, notOk, proxyErrors: proxyErrors(r.startEpoch, [...pops.values()], originProxy), driverGc: r.driverGc, maxLagMs: r.maxLagMs, failures }, null, 2)}\n`,
  );
  log(`sim: wrote ${join(OUT, "faults.json")} and ${join(OUT, "faults.html")}`);
  if (failures.length) {
    console.log(`\nFAILED:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
    return 1;
  }
  console.log("\nZero 5xx; every fault recovered.");
  return 0;
}

// ---- main ----
let code = 1;
try {
  log(`sim: ${trace.length} requests generated (seed ${SEED}); bundling the worker ...`);
  const outdir = join(work, "bundle");
  bundleWorker(outdir);
  const originUrl = await startOrigin();
  const originBase = new URL(originUrl);
  const direct = new Map<string, DelayProxy>();
  const pops = new Map<string, DelayProxy>();
  // The worker's own origin fetches pay the region's round trip too: the region is in every origin URL it builds.
  const originProxy = new DelayProxy(originBase, (u) => ORIGIN_RTT[u.searchParams.get("region") ?? ""] ?? 100);
  await originProxy.listen();
  proxies.push(originProxy);
  for (const r of regionIds) {
    const d = new DelayProxy(originBase, () => ORIGIN_RTT[r] ?? 100);
    await d.listen();
    direct.set(r, d);
    proxies.push(d);
  }
  for (const r of regionIds) {
    // Forwards to the worker's HTTP port, known once Miniflare is up.
    const p = new DelayProxy(
      () => edgeTarget,
      () => POP_RTT[r] ?? 10,
    );
    await p.listen();
    pops.set(r, p);
    proxies.push(p);
  }
  code = FAULTS
    ? await faultRun(outdir, originUrl, pops, originProxy)
    : await peakRun(outdir, originUrl, direct, pops, originProxy);
} catch (e) {
  console.error(`sim: ${(e as Error).stack ?? e}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
