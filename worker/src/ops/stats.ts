// Ops counters per region: the pure aggregate both the isolate (deltas) and the Durable Object (totals) keep.

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is open-ended. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000,
];

/** How many one-minute request counts the series keeps. */
export const SERIES_MINUTES = 60;

/** Users tracked per region for pre-warming (the most requested; the least requested is evicted first). */
export const HOT_USER_CAPACITY = 200;

/** Counters of one region. */
export interface RegionStats {
  requests: number;
  /** Requests per `cache.status` (hit, stale, miss, stale-if-error, fallback, none). */
  cache: Record<string, number>;
  /** Answers served from a fallback list. */
  fallbacks: number;
  originFetches: number;
  originErrors: number;
  /** Counts per LATENCY_BOUNDS_MS bucket, plus one for anything slower. */
  latency: number[];
  /** Requests per minute (epoch minute -> count), the last SERIES_MINUTES minutes. */
  perMinute: Record<string, number>;
  /** The latest model and config versions seen serving this region. */
  modelVersion: string | null;
  configVersion: string | null;
  lastAt: number;
  /** Requests per user for personal rows, bounded by HOT_USER_CAPACITY (approximate heavy hitters). */
  hotUsers?: Record<string, number>;
}

export type StatsByRegion = Record<string, RegionStats>;

/** One served request, as the recommendations route reports it. */
export interface RequestSample {
  region: string;
  cacheStatus: string;
  fallback: boolean;
  originFetches: number;
  originErrors: number;
  latencyMs: number;
  modelVersion: string | null;
  configVersion: string;
  at: number;
  /** Set for personal rows: counts towards the region's hot users. */
  userId?: string;
}

export function emptyRegion(): RegionStats {
  return {
    requests: 0,
    cache: {},
    fallbacks: 0,
    originFetches: 0,
    originErrors: 0,
    latency: Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
    perMinute: {},
    modelVersion: null,
    configVersion: null,
    lastAt: 0,
  };
}

function regionIn(stats: StatsByRegion, region: string): RegionStats {
  let r = stats[region];
  if (!r) {
    r = emptyRegion();
    stats[region] = r;
  }
  return r;
}

/** Adds one request to `stats`. */
export function addSample(stats: StatsByRegion, s: RequestSample): void {
  const r = regionIn(stats, s.region);
  r.requests++;
  r.cache[s.cacheStatus] = (r.cache[s.cacheStatus] ?? 0) + 1;
  if (s.fallback) r.fallbacks++;
  r.originFetches += s.originFetches;
  r.originErrors += s.originErrors;
  let b = LATENCY_BOUNDS_MS.findIndex((bound) => s.latencyMs <= bound);
  if (b < 0) b = LATENCY_BOUNDS_MS.length;
  r.latency[b] = (r.latency[b] ?? 0) + 1;
  const minute = String(Math.floor(s.at / 60_000));
  r.perMinute[minute] = (r.perMinute[minute] ?? 0) + 1;
  if (s.at >= r.lastAt) {
    r.lastAt = s.at;
    r.modelVersion = s.modelVersion;
    r.configVersion = s.configVersion;
  }
  if (s.userId !== undefined) countUser(r, s.userId, 1);
}

/** Adds an origin request that finished after its answer left (a revalidation or a fill): a fetch, no request. */
export function addOriginFetch(stats: StatsByRegion, region: string, ok: boolean): void {
  const r = regionIn(stats, region);
  r.originFetches++;
  if (!ok) r.originErrors++;
}

/**
 * Adds to a user's count, evicting the least-counted user past capacity. An evicted user that comes back starts
 * over, so a steadily hot user stays while one-off users churn through the bottom.
 */
function countUser(r: RegionStats, user: string, n: number): void {
  const hot = r.hotUsers ?? {};
  r.hotUsers = hot;
  const had = hot[user];
  hot[user] = (had ?? 0) + n;
  // A user already counted adds no entry: only a newcomer can take the table past capacity.
  if (had !== undefined) return;
  const others = Object.keys(hot).filter((id) => id !== user);
  if (others.length < HOT_USER_CAPACITY) return;
  let min = others[0] as string;
  for (const id of others) if ((hot[id] ?? 0) < (hot[min] ?? 0)) min = id;
  delete hot[min];
}

/** The `n` most requested users of a region, most requested first (ties by id, for a stable order). */
export function hottestUsers(stats: StatsByRegion, region: string, n: number): string[] {
  const hot = stats[region]?.hotUsers ?? {};
  return Object.entries(hot)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, n)
    .map(([id]) => id);
}

/** Adds `delta` into `into` (the Durable Object's totals); keeps only the last SERIES_MINUTES minutes. */
export function mergeStats(into: StatsByRegion, delta: StatsByRegion): void {
  for (const [region, d] of Object.entries(delta)) {
    const r = regionIn(into, region);
    r.requests += d.requests;
    for (const [k, v] of Object.entries(d.cache)) r.cache[k] = (r.cache[k] ?? 0) + v;
    r.fallbacks += d.fallbacks;
    r.originFetches += d.originFetches;
    r.originErrors += d.originErrors;
    d.latency.forEach((v, i) => {
      r.latency[i] = (r.latency[i] ?? 0) + v;
    });
    for (const [m, v] of Object.entries(d.perMinute)) r.perMinute[m] = (r.perMinute[m] ?? 0) + v;
    if (d.lastAt >= r.lastAt) {
      r.lastAt = d.lastAt;
      r.modelVersion = d.modelVersion;
      r.configVersion = d.configVersion;
    }
    for (const [user, n] of Object.entries(d.hotUsers ?? {})) countUser(r, user, n);
    const newest = Math.max(...Object.keys(r.perMinute).map(Number));
    for (const m of Object.keys(r.perMinute)) if (Number(m) <= newest - SERIES_MINUTES) delete r.perMinute[m];
  }
}

/** The latency at quantile q (0-1) as the upper bound of its histogram bucket (ms); null without data. */
export function latencyQuantile(r: RegionStats, q: number): number | null {
  const n = r.latency.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < r.latency.length; i++) {
    seen += r.latency[i] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

/** The numbers the ops page shows for one region. */
export interface RegionSummary {
  region: string;
  requests: number;
  hitRatio: number | null;
  staleServes: number;
  originFetches: number;
  originErrors: number;
  fallbackRate: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  cache: Record<string, number>;
  perMinute: [number, number][];
  modelVersion: string | null;
  configVersion: string | null;
}

/** Per-region summary: hit ratio counts fresh hits over all answers; stale serves count both stale kinds. */
export function summarise(stats: StatsByRegion): RegionSummary[] {
  return Object.entries(stats)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, r]) => ({
      region,
      requests: r.requests,
      hitRatio: r.requests ? (r.cache.hit ?? 0) / r.requests : null,
      staleServes: (r.cache.stale ?? 0) + (r.cache["stale-if-error"] ?? 0),
      originFetches: r.originFetches,
      originErrors: r.originErrors,
      fallbackRate: r.requests ? r.fallbacks / r.requests : null,
      latencyP50Ms: latencyQuantile(r, 0.5),
      latencyP99Ms: latencyQuantile(r, 0.99),
      cache: { ...r.cache },
      perMinute: Object.entries(r.perMinute)
        .map(([m, v]) => [Number(m) * 60_000, v] as [number, number])
        .sort((a, b) => a[0] - b[0]),
      modelVersion: r.modelVersion,
      configVersion: r.configVersion,
    }));
}
