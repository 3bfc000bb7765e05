// Candidate resolution: fresh from cache, stale while revalidating, origin on a miss, stale on error, fallback lists last.
import { type CandidateList, decodeCandidateList } from "../../../core/codec.js";
import { keys } from "../../../core/keys.js";
import type { Row } from "../../../core/vocab.js";
import type { FallbackList, Policy } from "../../../edge-config/schema.js";
import { redactUser } from "../privacy.js";
import type { ListStore } from "./list-store.js";
import { fetchOriginList, type OriginResult, originListUrl } from "./origin.js";

/** How the candidate list was obtained, reported as `cache.status`. */
export type CacheStatus = "hit" | "miss" | "stale" | "stale-if-error" | "fallback" | "none";

/** Which candidate tier answered: the row's own list, its stale copy after an origin failure, or a fallback list. */
export type CandidateTier = "row" | "stale" | `fallback-${FallbackList}` | "none";

export interface ResolvedCandidates {
  list: CandidateList | null;
  tier: CandidateTier;
  status: CacheStatus;
  ageSeconds: number | null;
  /** Why a lower tier answered; empty on the happy path. */
  degraded: string[];
}

export interface CandidateDeps {
  store: ListStore;
  originUrl: string;
  /** Bearer token for the origin's list endpoints (the ORIGIN_TOKEN secret); none when unset. */
  originToken?: string | undefined;
  /** Wall clock for list ages (never the request's context time, which tests and demos may pin). */
  now: number;
  waitUntil(p: Promise<unknown>): void;
  /** Accumulates milliseconds spent in KV and at the origin, for Server-Timing. */
  spent: { kv: number; origin: number };
  /** Counts origin requests sent on the request path and how many failed, for the ops page. */
  counts?: { originFetches: number; originErrors: number };
  /**
   * Counts an origin request that finished after the answer left (a revalidation, a fill past `missWaitMs`),
   * for the ops page, which would not see it in the request's counts; none when absent.
   */
  countBackground?: (ok: boolean) => void;
  /** Origin 404s remembered per isolate (policy `negativeCacheSeconds`); none when absent. */
  negative?: NegativeCache;
}

/** Keys the origin recently answered 404 for, each until a deadline (isolate memory, bounded). */
export class NegativeCache {
  private readonly until = new Map<string, number>();
  constructor(private readonly maxEntries = 10_000) {}
  /** Seconds left for `key` at `now`, or 0 when it is not (or no longer) negative. */
  remaining(key: string, now: number): number {
    const t = this.until.get(key);
    if (t === undefined) return 0;
    if (t <= now) {
      this.until.delete(key);
      return 0;
    }
    return Math.ceil((t - now) / 1000);
  }
  remember(key: string, now: number, seconds: number): void {
    if (seconds <= 0) return;
    this.until.delete(key);
    this.until.set(key, now + seconds * 1000);
    if (this.until.size > this.maxEntries) this.until.delete(this.until.keys().next().value as string);
  }
}

/**
 * Freshness of one list after jitter: `freshSeconds` scaled by a factor in [1 - p, 1 + p] (p = percent / 100)
 * that is stable for a key and list version, so one list never flips between fresh and stale across requests
 * while lists published together spread their expiry.
 */
export function jitteredFreshSeconds(key: string, generatedAt: number, policy: Policy): number {
  if (policy.ttlJitterPercent === 0 || policy.freshSeconds === 0) return policy.freshSeconds;
  let h = 0x811c9dc5;
  const s = `${key}@${generatedAt}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  const unit = (h >>> 0) / 0xffffffff; // [0, 1]
  const factor = 1 + ((2 * unit - 1) * policy.ttlJitterPercent) / 100;
  return Math.round(policy.freshSeconds * factor);
}

export interface CandidateRequest {
  row: Row;
  userId: string;
  /** The user's pseudonym (worker/src/privacy.ts): what log lines show instead of the id. */
  userRef: string;
  region: string;
  policy: Policy;
}

const revalidating = new Set<string>();

// The memory tier hands back the same buffer on every hit: decode (and checksum) each buffer once.
const decoded = new WeakMap<ArrayBuffer, CandidateList>();
function decodeOnce(bytes: ArrayBuffer): CandidateList {
  let list = decoded.get(bytes);
  if (!list) {
    list = decodeCandidateList(bytes);
    decoded.set(bytes, list);
  }
  return list;
}

/** Resolves the candidate list for one row request through the tiers, never throwing. */
export async function resolveCandidates(deps: CandidateDeps, req: CandidateRequest): Promise<ResolvedCandidates> {
  const degraded: string[] = [];
  const key = keys.candidates(req.row, req.userId, req.region);
  const cached = await readList(deps, key, req.policy, degraded);
  const age = cached ? ageSeconds(deps.now, cached) : null;
  const { staleWhileRevalidateSeconds, staleIfErrorSeconds } = req.policy;
  const freshSeconds = cached ? jitteredFreshSeconds(key, cached.header.generatedAt, req.policy) : 0;
  if (cached && age !== null && age <= freshSeconds) {
    return { list: cached, tier: "row", status: "hit", ageSeconds: age, degraded };
  }
  const url = originUrl(deps.originUrl, req);
  if (cached && age !== null && age <= freshSeconds + staleWhileRevalidateSeconds) {
    if (!revalidating.has(key)) {
      revalidating.add(key);
      deps.waitUntil(refresh(deps, key, url, req).finally(() => revalidating.delete(key)));
    }
    return { list: cached, tier: "row", status: "stale", ageSeconds: age, degraded };
  }
  const negativeLeft = deps.negative?.remaining(key, deps.now) ?? 0;
  if (negativeLeft > 0) {
    degraded.push(`origin: 404 for ${key} remembered (${negativeLeft} s left of negativeCacheSeconds)`);
    return fallbackLists(deps, req, degraded, false);
  }
  const tally = { detached: false };
  const fetching = fetchWithRetries(deps, url, req.policy, tally);
  const early = await answerWithinMissBudget(deps, req, key, fetching, cached, age, freshSeconds, degraded, tally);
  if (early) return early;
  const fetched = await fetching;
  if (fetched.ok) {
    deps.waitUntil(deps.store.put(key, fetched.bytes).catch((e) => logWriteFailure(logKey(key, req), e)));
    return {
      list: fetched.list,
      tier: "row",
      status: "miss",
      ageSeconds: ageSeconds(deps.now, fetched.list),
      degraded,
    };
  }
  degraded.push(fetched.reason);
  if (fetched.notFound) deps.negative?.remember(key, deps.now, req.policy.negativeCacheSeconds);
  if (cached && age !== null && age <= freshSeconds + staleIfErrorSeconds) {
    return { list: cached, tier: "stale", status: "stale-if-error", ageSeconds: age, degraded };
  }
  if (cached) degraded.push(`cached list is ${age} s old, past the stale-if-error window`);
  return fallbackLists(deps, req, degraded, fetched.notFound);
}

/**
 * The policy's latency budget for a list the edge lacks (`missWaitMs`): when the origin has not answered
 * within it, the request answers from the stale copy (inside staleIfErrorSeconds) or a fallback list in KV,
 * and the origin's answer fills the cache in the background for the next request. Null when the request
 * should wait for the origin instead: no budget set, the origin answered in time, or nothing else to serve.
 */
async function answerWithinMissBudget(
  deps: CandidateDeps,
  req: CandidateRequest,
  key: string,
  fetching: Promise<OriginResult>,
  cached: CandidateList | null,
  age: number | null,
  freshSeconds: number,
  degraded: string[],
  tally: { detached: boolean },
): Promise<ResolvedCandidates | null> {
  const budget = req.policy.missWaitMs;
  if (budget === null) return null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), budget);
  });
  const first = budget === 0 ? null : await Promise.race([fetching, expired]);
  clearTimeout(timer);
  if (first) return null;
  const late = `origin: no answer within missWaitMs (${budget} ms); the list is filled in the background`;
  let answer: ResolvedCandidates | null = null;
  if (cached && age !== null && age <= freshSeconds + req.policy.staleIfErrorSeconds) {
    answer = { list: cached, tier: "stale", status: "stale-if-error", ageSeconds: age, degraded: [...degraded, late] };
  } else {
    const tried = await fallbackLists(deps, req, [...degraded, late], false);
    if (tried.list) answer = tried;
  }
  // Nothing to serve instead: the request waits for the origin after all, and fills the cache itself.
  if (!answer) return null;
  // Attempts that finish from here on are counted as background fetches, not in this request's counts.
  tally.detached = true;
  deps.waitUntil(fetching.then((r) => settle(deps, key, req, r, "fill-failed")));
  return answer;
}

/**
 * An origin answer that arrives after its request was answered (a fill past `missWaitMs`, a revalidation):
 * a list goes into the cache, a 404 is remembered (negativeCacheSeconds), any other failure is logged.
 */
async function settle(
  deps: CandidateDeps,
  key: string,
  req: CandidateRequest,
  r: OriginResult,
  event: "fill-failed" | "revalidate-failed",
): Promise<void> {
  if (r.ok) return deps.store.put(key, r.bytes).catch((e) => logWriteFailure(logKey(key, req), e));
  if (r.notFound) deps.negative?.remember(key, Date.now(), req.policy.negativeCacheSeconds);
  else {
    const reason = redactUser(r.reason, req.userId, req.userRef);
    console.warn(JSON.stringify({ level: "warn", event, key: logKey(key, req), reason }));
  }
}

/**
 * One origin request with the policy's retry budget: retried after a 5xx, a refused connection or a
 * malformed body; never after a 4xx (an answer: a 404, or a 401 for a wrong token) or a timeout (the time is
 * spent).
 */
async function fetchWithRetries(
  deps: CandidateDeps,
  url: string,
  policy: Policy,
  tally: { detached: boolean },
): Promise<OriginResult> {
  let attempts = 0;
  for (;;) {
    const t0 = Date.now();
    const r = await fetchOriginList(url, policy.originTimeoutMs, deps.originToken);
    if (tally.detached) deps.countBackground?.(r.ok);
    else {
      deps.spent.origin += Date.now() - t0;
      count(deps, r.ok);
    }
    attempts++;
    if (r.ok || r.notFound || r.refused || r.reason.includes("timed out") || attempts > policy.originRetries) {
      return r.ok || attempts === 1 ? r : { ...r, reason: `${r.reason} (after ${attempts} attempts)` };
    }
  }
}

/** The policy's fallback lists, in order: KV first, then the origin if it answered at all just now. */
async function fallbackLists(
  deps: CandidateDeps,
  req: CandidateRequest,
  degraded: string[],
  originReachable: boolean,
): Promise<ResolvedCandidates> {
  for (const name of req.policy.fallback) {
    const key = name === "popular" ? keys.popular(req.region) : keys.candidates(name, req.userId, req.region);
    const tier = `fallback-${name}` as const;
    const list = await readList(deps, key, req.policy, degraded);
    if (list) return { list, tier, status: "fallback", ageSeconds: ageSeconds(deps.now, list), degraded };
    // Ask the origin only when it just answered: after a timeout a second wait would double the latency.
    if (originReachable) {
      const t0 = Date.now();
      const url = originListUrl(deps.originUrl, name, { region: req.region });
      const fetched = await fetchOriginList(url, req.policy.originTimeoutMs, deps.originToken);
      deps.spent.origin += Date.now() - t0;
      count(deps, fetched.ok);
      if (fetched.ok) {
        deps.waitUntil(deps.store.put(key, fetched.bytes).catch((e) => logWriteFailure(logKey(key, req), e)));
        return {
          list: fetched.list,
          tier,
          status: "fallback",
          ageSeconds: ageSeconds(deps.now, fetched.list),
          degraded,
        };
      }
      degraded.push(fetched.reason);
    }
    degraded.push(`no ${name} list for region ${req.region}`);
  }
  if (req.policy.fallback.length === 0) degraded.push("no fallback lists configured");
  return { list: null, tier: "none", status: "none", ageSeconds: null, degraded };
}

function count(deps: CandidateDeps, ok: boolean): void {
  if (!deps.counts) return;
  deps.counts.originFetches++;
  if (!ok) deps.counts.originErrors++;
}

async function refresh(deps: CandidateDeps, key: string, url: string, req: CandidateRequest): Promise<void> {
  const fetched = await fetchOriginList(url, req.policy.originTimeoutMs, deps.originToken);
  deps.countBackground?.(fetched.ok);
  await settle(deps, key, req, fetched, "revalidate-failed");
}

/** A KV key as logs may show it: a per-user key names the user's pseudonym, never the id. */
function logKey(key: string, req: CandidateRequest): string {
  return redactUser(key, req.userId, req.userRef);
}

/** Reads and decodes a list; a corrupt value counts as absent (and is said), a KV error too. */
async function readList(
  deps: CandidateDeps,
  key: string,
  policy: Policy,
  degraded: string[],
): Promise<CandidateList | null> {
  const t0 = Date.now();
  try {
    const bytes = await deps.store.get(key, { cacheTtlSeconds: policy.kvCacheTtlSeconds });
    if (!bytes) return null;
    return decodeOnce(bytes);
  } catch (e) {
    degraded.push(`cache: ${key} unreadable (${(e as Error).message})`);
    return null;
  } finally {
    deps.spent.kv += Date.now() - t0;
  }
}

function originUrl(base: string, req: CandidateRequest): string {
  return originListUrl(base, req.row, { user: req.userId, region: req.region, depth: req.policy.candidateDepth });
}

function ageSeconds(now: number, list: CandidateList): number {
  return Math.max(0, Math.round((now - list.header.generatedAt) / 1000));
}

function logWriteFailure(key: string, e: unknown): void {
  console.warn(JSON.stringify({ level: "warn", event: "kv-write-failed", key, error: String(e) }));
}
