// Client for the central origin: one fetch per key in flight per isolate, bounded by a timeout.
import { type CandidateList, decodeCandidateList } from "../../../core/codec.js";

export type OriginResult =
  | { ok: true; bytes: Uint8Array; list: CandidateList }
  | {
      ok: false;
      reason: string;
      notFound: boolean;
      /** The origin refused the request itself (4xx, e.g. 401 for a wrong ORIGIN_TOKEN): a retry gets the same. */
      refused?: boolean;
    };

const inflight = new Map<string, Promise<OriginResult>>();

/**
 * The origin URL of a list: a row's candidates (`/v1/candidates/<row>`) or the regional popular list
 * (`/v1/popular`). The one place the worker spells the origin's paths.
 */
export function originListUrl(
  base: string,
  list: string,
  params: { region: string; user?: string | undefined; depth?: number | undefined },
): string {
  const q = new URLSearchParams();
  if (params.user !== undefined) q.set("user", params.user);
  q.set("region", params.region);
  if (params.depth !== undefined) q.set("depth", String(params.depth));
  const path = list === "popular" ? "/v1/popular" : `/v1/candidates/${list}`;
  return `${base.replace(/\/+$/, "")}${path}?${q}`;
}

/** Counts of fetches actually sent, per isolate (coalesced callers do not add to it). */
export const originStats = { fetches: 0, failures: 0 };

/**
 * Fetches an encoded list from the origin (with `token` as a bearer token when given). Concurrent callers for the same URL share one fetch; the shared
 * promise resolves to plain bytes, never to a Response, so no request reads another request's I/O object.
 */
export function fetchOriginList(url: string, timeoutMs: number, token?: string): Promise<OriginResult> {
  const pending = inflight.get(url);
  if (pending) return pending;
  const p = doFetch(url, timeoutMs, token).finally(() => inflight.delete(url));
  inflight.set(url, p);
  return p;
}

async function doFetch(url: string, timeoutMs: number, token: string | undefined): Promise<OriginResult> {
  originStats.fetches++;
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      // The origin's ORIGIN_TOKEN (the worker's secret of the same name), when the deployment sets one.
      headers: token
        ? { accept: "application/vnd.frontrow.candidates", authorization: `Bearer ${token}` }
        : { accept: "application/vnd.frontrow.candidates" },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return fail(`origin: 404 for ${new URL(url).pathname}`, true);
    }
    if (!res.ok) {
      await res.body?.cancel();
      return fail(`origin: HTTP ${res.status}`, false, res.status >= 400 && res.status < 500);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    try {
      return { ok: true, bytes, list: decodeCandidateList(bytes) };
    } catch (e) {
      return fail(`origin: malformed body (${(e as Error).message})`, false);
    }
  } catch (e) {
    const err = e as Error;
    const why =
      err.name === "TimeoutError" || err.name === "AbortError" ? `timed out after ${timeoutMs} ms` : err.message;
    return fail(`origin: ${why}`, false);
  }
}

function fail(reason: string, notFound: boolean, refused = false): OriginResult {
  originStats.failures++;
  return refused ? { ok: false, reason, notFound, refused } : { ok: false, reason, notFound };
}
