// The simulation's statistics: percentiles, per-region summaries, tier classes, time bins and fault recovery.
import { median, quantile } from "../bench/stats.js";

/** Percentiles by nearest rank, the definition every report of the project uses. */
export { median, quantile };

/** What one replayed request came back with. */
export interface Outcome {
  /** Wall-clock offset of the request's scheduled send from the start of the replay, ms. */
  atMs: number;
  region: string;
  /** Latency from the request's actual send to the last byte, ms. */
  ms: number;
  /** How late the driver sent the request after its scheduled moment, ms (the driver's own lag, not the system's). */
  lagMs: number;
  status: number;
  /** Inside its region's peak schedule (edge-config) at the simulated moment. */
  peak: boolean;
  /** Edge answers only: the serving tier and cache status; null on the origin-direct path or a failed request. */
  servedBy: string | null;
  cacheStatus: string | null;
  /** Edge answers only: the response's `degraded` reasons were non-empty. */
  degraded: boolean;
  /** Edge answers only: the `degraded` reasons (when there were any) and the model version that ranked the row. */
  reasons?: string[];
  modelVersion?: string | null;
  /** Edge answers only: the worker's own `Server-Timing` total, ms. */
  serverMs?: number;
  /** From the PoP proxy: how late its RTT timers fired, and the time upstream (the worker over HTTP), ms. */
  proxyLateMs?: number;
  upstreamMs?: number;
  /** A transport error (connection refused, reset) instead of an HTTP answer. */
  error?: string;
  /** For a non-2xx or failed request: the path asked for and the start of the body (for the report). */
  path?: string;
  body?: string;
}

/** The serving classes a response falls in, for rates and charts. */
export type TierClass = "hit" | "miss" | "stale" | "origin-order" | "fallback" | "error";

/** Classifies an edge response: fallback and empty rows first, then model tiers by cache status. */
export function tierClass(o: Pick<Outcome, "status" | "servedBy" | "cacheStatus">): TierClass {
  if (o.status >= 500 || o.status === 0 || o.servedBy === null) return "error";
  if (o.servedBy.startsWith("fallback") || o.servedBy === "empty") return "fallback";
  if (o.servedBy === "stale" || o.cacheStatus === "stale" || o.cacheStatus === "stale-if-error") return "stale";
  if (o.servedBy === "origin-order") return "origin-order";
  return o.cacheStatus === "miss" ? "miss" : "hit";
}

/** True when the answer is not the normal path: a lower tier, an error, or any `degraded` reason. */
export function isDegraded(o: Outcome): boolean {
  const c = tierClass(o);
  return o.degraded || c === "fallback" || c === "origin-order" || c === "error" || o.cacheStatus === "stale-if-error";
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  /** p99 of the worker's own time (Server-Timing `total`), edge answers only; NaN on the origin-direct path. */
  serverP99: number;
  /** The driver's send lag (actual send minus scheduled send): p99 and largest, ms. */
  lagP99: number;
  lagMax: number;
  /** Responses with status >= 500 or no HTTP answer at all. */
  errors5xx: number;
  /** Shares of all answers (edge only; zero on the origin-direct path). */
  hitRatio: number;
  staleRate: number;
  fallbackRate: number;
  originOrderRate: number;
  degradedRate: number;
}

/** Latency percentiles and tier rates of a set of outcomes. */
export function summarise(outcomes: readonly Outcome[]): Summary {
  const n = outcomes.length;
  const count = (f: (o: Outcome) => boolean) => outcomes.reduce((a, o) => a + (f(o) ? 1 : 0), 0);
  const share = (f: (o: Outcome) => boolean) => (n === 0 ? 0 : count(f) / n);
  const ms = outcomes.map((o) => o.ms);
  const edge = outcomes.some((o) => o.servedBy !== null);
  return {
    n,
    p50: quantile(ms, 0.5),
    p95: quantile(ms, 0.95),
    p99: quantile(ms, 0.99),
    serverP99: quantile(
      outcomes.flatMap((o) => (o.serverMs === undefined ? [] : [o.serverMs])),
      0.99,
    ),
    lagP99: quantile(
      outcomes.map((o) => o.lagMs),
      0.99,
    ),
    lagMax: outcomes.reduce((a, o) => Math.max(a, o.lagMs), n ? 0 : Number.NaN),
    errors5xx: count((o) => o.status >= 500 || o.status === 0),
    // Cache hit ratio: answers from a cached copy of the row's own list (fresh or stale) over all answers.
    hitRatio: edge ? share((o) => tierClass(o) === "hit" || tierClass(o) === "stale") : 0,
    staleRate: edge ? share((o) => tierClass(o) === "stale") : 0,
    fallbackRate: edge ? share((o) => tierClass(o) === "fallback") : 0,
    originOrderRate: edge ? share((o) => tierClass(o) === "origin-order") : 0,
    degradedRate: edge ? share(isDegraded) : 0,
  };
}

/** Groups outcomes by region, keeping `order` (regions with no outcomes get an empty list). */
export function byRegion(outcomes: readonly Outcome[], order: readonly string[]): Map<string, Outcome[]> {
  const m = new Map<string, Outcome[]>(order.map((r) => [r, []]));
  for (const o of outcomes) m.get(o.region)?.push(o);
  return m;
}

/** Counts timestamps (ms offsets) into bins of `binMs` covering [0, totalMs). */
export function binCounts(times: readonly number[], binMs: number, totalMs: number): number[] {
  const bins = new Array<number>(Math.ceil(totalMs / binMs)).fill(0);
  for (const t of times) {
    const i = Math.floor(t / binMs);
    if (i >= 0 && i < bins.length) bins[i] = (bins[i] as number) + 1;
  }
  return bins;
}

/** Index of the window of `width` consecutive bins with the largest sum (the first such window on ties). */
export function busiestWindow(bins: readonly number[], width: number): number {
  let best = 0;
  let bestSum = -1;
  let sum = 0;
  for (let i = 0; i < bins.length; i++) {
    sum += bins[i] as number;
    if (i >= width) sum -= bins[i - width] as number;
    if (i >= width - 1 && sum > bestSum) {
      bestSum = sum;
      best = i - width + 1;
    }
  }
  return best;
}

/** One time bin's degraded share of answers (NaN when the bin has too few answers to judge). */
export function degradedShares(outcomes: readonly Outcome[], binMs: number, totalMs: number, minN: number): number[] {
  const n = new Array<number>(Math.ceil(totalMs / binMs)).fill(0);
  const d = new Array<number>(n.length).fill(0);
  for (const o of outcomes) {
    const i = Math.floor(o.atMs / binMs);
    if (i < 0 || i >= n.length) continue;
    n[i] = (n[i] as number) + 1;
    if (isDegraded(o)) d[i] = (d[i] as number) + 1;
  }
  return n.map((c, i) => (c >= minN ? (d[i] as number) / c : Number.NaN));
}

export interface RecoveryRule {
  binMs: number;
  /** Consecutive judged bins that must all be back within tolerance. */
  sustainBins: number;
  /** Allowed excess of the degraded share over the pre-fault baseline (absolute, e.g. 0.02). */
  tolerance: number;
}

/**
 * Time to recover after a fault window ends: the start of the first run of `sustainBins` consecutive bins,
 * beginning at or after `endMs`, whose degraded share is each at most baseline + tolerance, minus `endMs`.
 * Bins too thin to judge (NaN) neither count nor break a run. Null when the run never recovers.
 */
export function recoveryMs(
  shares: readonly number[],
  endMs: number,
  baseline: number,
  rule: RecoveryRule,
): number | null {
  let runStart: number | null = null;
  let run = 0;
  for (let i = Math.ceil(endMs / rule.binMs); i < shares.length; i++) {
    const s = shares[i] as number;
    if (Number.isNaN(s)) continue;
    if (s <= baseline + rule.tolerance) {
      if (runStart === null) runStart = i;
      run++;
      if (run >= rule.sustainBins) return runStart * rule.binMs - endMs;
    } else {
      runStart = null;
      run = 0;
    }
  }
  return null;
}
