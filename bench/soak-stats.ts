// Pure helpers for the soak: least-squares slope of memory over time, latency percentiles, the flatness verdict.
import type { RssParts } from "./rss-parts.js";
import { quantile } from "./stats.js";

/** One memory reading; `t` is seconds since the soak started, sizes in bytes (null when not read). */
export interface MemorySample {
  t: number;
  phase: "warmup" | "steady";
  rssBytes: number | null;
  /** The RSS split by what holds it (bench/rss-parts.ts); null when not read. */
  parts?: RssParts | null;
  heapUsedBytes: number | null;
  /** ArrayBuffer backing stores outside the JS heap (lists held by the isolate's memory tier, tensors). */
  backingStoreBytes: number | null;
}

/** A post-GC heap reading (a forced full GC, then the heap's used size). */
export interface GcSample {
  t: number;
  phase: "warmup" | "steady";
  heapUsedBytes: number;
}

/** Ordinary least squares of y on x; slope is NaN with fewer than two distinct x. */
export function linearFit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  if (n === 0) return { slope: Number.NaN, intercept: Number.NaN };
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  if (sxx === 0) return { slope: Number.NaN, intercept: my };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

const MIB = 1024 * 1024;

/** Slope in MiB per minute of byte readings taken at `t` seconds; readings that are null are skipped. */
export function slopeMiBPerMin(samples: readonly { t: number; bytes: number | null }[]): number {
  const points = samples.filter((s) => s.bytes !== null).map((s) => ({ x: s.t / 60, y: (s.bytes as number) / MIB }));
  return linearFit(points).slope;
}

/** Latency summary in ms: percentiles by nearest rank (bench/stats.ts `quantile`). */
export function latencySummary(ms: readonly number[]): {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
} {
  if (ms.length === 0)
    return { n: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of ms) {
    if (v > max) max = v;
    sum += v;
  }
  return {
    n: ms.length,
    p50: quantile(ms, 0.5),
    p95: quantile(ms, 0.95),
    p99: quantile(ms, 0.99),
    max,
    mean: sum / ms.length,
  };
}

/** The flatness criterion, fixed before a run: thresholds on the steady part (after warm-up). */
export interface FlatnessCriterion {
  /** Largest allowed least-squares slope of the post-GC JS heap, MiB/min. */
  maxHeapSlopeMiBPerMin: number;
  /** Largest allowed last-minus-first post-GC JS heap, MiB. */
  maxHeapGrowthMiB: number;
  /** Largest allowed least-squares slope of the workerd process's RSS, MiB/min. */
  maxRssSlopeMiBPerMin: number;
}

export interface FlatnessVerdict {
  flat: boolean;
  heapSlopeMiBPerMin: number;
  heapGrowthMiB: number;
  rssSlopeMiBPerMin: number;
  /** Why the verdict is not flat (or could not be judged); empty when flat. */
  reasons: string[];
}

/** Judges the steady part of a soak's memory against the criterion; missing readings are a failure, not a pass. */
export function flatnessVerdict(
  memory: readonly MemorySample[],
  gc: readonly GcSample[],
  criterion: FlatnessCriterion,
): FlatnessVerdict {
  const steadyGc = gc.filter((s) => s.phase === "steady");
  const steadyMem = memory.filter((s) => s.phase === "steady");
  const heapSlope = slopeMiBPerMin(steadyGc.map((s) => ({ t: s.t, bytes: s.heapUsedBytes })));
  const first = steadyGc[0];
  const last = steadyGc[steadyGc.length - 1];
  const heapGrowth =
    first && last && steadyGc.length >= 2 ? (last.heapUsedBytes - first.heapUsedBytes) / MIB : Number.NaN;
  const rssSlope = slopeMiBPerMin(steadyMem.map((s) => ({ t: s.t, bytes: s.rssBytes })));
  const reasons: string[] = [];
  const check = (name: string, value: number, limit: number, unit: string) => {
    if (Number.isNaN(value)) reasons.push(`${name}: not enough readings to judge`);
    else if (value >= limit) reasons.push(`${name} ${value.toFixed(3)} ${unit} >= ${limit} ${unit}`);
  };
  check("post-GC heap slope", heapSlope, criterion.maxHeapSlopeMiBPerMin, "MiB/min");
  check("post-GC heap growth", heapGrowth, criterion.maxHeapGrowthMiB, "MiB");
  check("RSS slope", rssSlope, criterion.maxRssSlopeMiBPerMin, "MiB/min");
  return {
    flat: reasons.length === 0,
    heapSlopeMiBPerMin: heapSlope,
    heapGrowthMiB: heapGrowth,
    rssSlopeMiBPerMin: rssSlope,
    reasons,
  };
}

/** Every `everySeconds`-th reading (the first at or after each multiple), for the report's table. */
export function thinSamples<T extends { t: number }>(samples: readonly T[], everySeconds: number): T[] {
  const out: T[] = [];
  let next = 0;
  for (const s of samples) {
    if (s.t >= next) {
      out.push(s);
      next = (Math.floor(s.t / everySeconds) + 1) * everySeconds;
    }
  }
  return out;
}

/** Groups (second, latency ms) pairs per whole second: count and p50/p99 of each second. */
export function latencyPerSecond(
  responses: readonly { t: number; ms: number }[],
): { second: number; n: number; p50: number; p99: number }[] {
  const by = new Map<number, number[]>();
  for (const r of responses) {
    const s = Math.floor(r.t);
    let list = by.get(s);
    if (!list) {
      list = [];
      by.set(s, list);
    }
    list.push(r.ms);
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, ms]) => ({ second, n: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) }));
}

/**
 * Least-squares slope (MiB/min) of each RSS part over the steady samples that have parts: says which part of
 * the process a growing RSS is in. Informational: the criterion judges the whole RSS.
 */
export function partSlopes(memory: readonly MemorySample[]): Record<keyof RssParts, number> {
  const steady = memory.filter((s) => s.phase === "steady" && s.parts);
  const slope = (k: keyof RssParts) => slopeMiBPerMin(steady.map((s) => ({ t: s.t, bytes: (s.parts as RssParts)[k] })));
  return {
    jsHeaps: slope("jsHeaps"),
    wasm: slope("wasm"),
    code: slope("code"),
    native: slope("native"),
    file: slope("file"),
  };
}

/** The body `wrangler dev`'s ProxyWorker answers when its forward to the worker's runtime fails. */
export const DEV_PROXY_DROP_BODY =
  "Your worker restarted mid-request. Please try sending the request again. Only GET or HEAD requests are retried automatically.";

/**
 * True for an answer made by `wrangler dev`'s local proxy, not by the worker: a 503 with exactly the proxy's
 * text. Its forward to the worker's runtime lost the connection (a keep-alive race between two local workerd
 * processes; cloudflare/workers-sdk#14641); the proxy retries a GET silently and answers a POST with this. The
 * request never reached the worker, and there is no such hop in production.
 */
export function isDevProxyDrop(status: number, body: string): boolean {
  return status === 503 && body === DEV_PROXY_DROP_BODY;
}
