// Candidate resolution: fresh from cache, stale while revalidating, origin on a miss, stale on error, popular last.
import { type CandidateList, decodeCandidateList } from "../../../core/codec.js";
import { keys } from "../../../core/keys.js";
import type { Row } from "../../../core/vocab.js";
import type { Policy } from "../../../edge-config/schema.js";
import type { ListStore } from "./list-store.js";
import { fetchOriginList } from "./origin.js";

/** How the candidate list was obtained, reported as `cache.status`. */
export type CacheStatus = "hit" | "miss" | "stale" | "stale-if-error" | "fallback" | "none";

/** Which candidate tier answered: the row's own list, its stale copy after an origin failure, or popular. */
export type CandidateTier = "row" | "stale" | "fallback-popular" | "none";

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
  /** Wall clock for list ages (never the request's context time, which tests and demos may pin). */
  now: number;
  waitUntil(p: Promise<unknown>): void;
  /** Accumulates milliseconds spent in KV and at the origin, for Server-Timing. */
  spent: { kv: number; origin: number };
}

export interface CandidateRequest {
  row: Row;
  userId: string;
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
  const { freshSeconds, staleWhileRevalidateSeconds, staleIfErrorSeconds } = req.policy;
  if (cached && age !== null && age <= freshSeconds) {
    return { list: cached, tier: "row", status: "hit", ageSeconds: age, degraded };
  }
  const url = originUrl(deps.originUrl, req);
  if (cached && age !== null && age <= freshSeconds + staleWhileRevalidateSeconds) {
    if (!revalidating.has(key)) {
      revalidating.add(key);
      deps.waitUntil(refresh(deps, key, url, req.policy).finally(() => revalidating.delete(key)));
    }
    return { list: cached, tier: "row", status: "stale", ageSeconds: age, degraded };
  }
  const t0 = Date.now();
  const fetched = await fetchOriginList(url, req.policy.originTimeoutMs);
  deps.spent.origin += Date.now() - t0;
  if (fetched.ok) {
    deps.waitUntil(deps.store.put(key, fetched.bytes).catch((e) => logWriteFailure(key, e)));
    return {
      list: fetched.list,
      tier: "row",
      status: "miss",
      ageSeconds: ageSeconds(deps.now, fetched.list),
      degraded,
    };
  }
  degraded.push(fetched.reason);
  if (cached && age !== null && age <= freshSeconds + staleIfErrorSeconds) {
    return { list: cached, tier: "stale", status: "stale-if-error", ageSeconds: age, degraded };
  }
  if (cached) degraded.push(`cached list is ${age} s old, past the stale-if-error window`);
  return popularFallback(deps, req, degraded, fetched.notFound);
}

async function popularFallback(
  deps: CandidateDeps,
  req: CandidateRequest,
  degraded: string[],
  originReachable: boolean,
): Promise<ResolvedCandidates> {
  const key = keys.popular(req.region);
  const popular = await readList(deps, key, req.policy, degraded);
  if (popular) {
    return {
      list: popular,
      tier: "fallback-popular",
      status: "fallback",
      ageSeconds: ageSeconds(deps.now, popular),
      degraded,
    };
  }
  // Ask the origin only when it just answered: after a timeout a second wait would double the latency.
  if (originReachable) {
    const t0 = Date.now();
    const fetched = await fetchOriginList(
      `${trim(deps.originUrl)}/v1/popular?region=${encodeURIComponent(req.region)}`,
      req.policy.originTimeoutMs,
    );
    deps.spent.origin += Date.now() - t0;
    if (fetched.ok) {
      deps.waitUntil(deps.store.put(key, fetched.bytes).catch((e) => logWriteFailure(key, e)));
      return {
        list: fetched.list,
        tier: "fallback-popular",
        status: "fallback",
        ageSeconds: ageSeconds(deps.now, fetched.list),
        degraded,
      };
    }
    degraded.push(fetched.reason);
  }
  degraded.push(`no popular list for region ${req.region}`);
  return { list: null, tier: "none", status: "none", ageSeconds: null, degraded };
}

async function refresh(deps: CandidateDeps, key: string, url: string, policy: Policy): Promise<void> {
  const fetched = await fetchOriginList(url, policy.originTimeoutMs);
  if (fetched.ok) await deps.store.put(key, fetched.bytes).catch((e) => logWriteFailure(key, e));
  else console.warn(JSON.stringify({ level: "warn", event: "revalidate-failed", key, reason: fetched.reason }));
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
  const q = new URLSearchParams({ user: req.userId, region: req.region, depth: String(req.policy.candidateDepth) });
  return `${trim(base)}/v1/candidates/${req.row}?${q}`;
}

const trim = (base: string) => base.replace(/\/+$/, "");

function ageSeconds(now: number, list: CandidateList): number {
  return Math.max(0, Math.round((now - list.header.generatedAt) / 1000));
}

function logWriteFailure(key: string, e: unknown): void {
  console.warn(JSON.stringify({ level: "warn", event: "kv-write-failed", key, error: String(e) }));
}
