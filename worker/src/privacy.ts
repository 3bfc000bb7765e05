// Pseudonymous user ids for logs and rate-limit keys (the rule is core/pseudonym.ts), memoised per isolate.
import { type PseudonymNamespace, pseudonymOf } from "../../core/pseudonym.js";

/** Pseudonyms remembered per isolate, so a hot user costs one HMAC per isolate rather than one per request. */
const CACHE_MAX = 10_000;

const caches = new Map<string, Map<string, string>>();
let isolateSecret: string | null = null;

/** Where the hashing key came from: the ID_HASH_KEY secret, or a random key made by this isolate. */
export type IdHashKeySource = "secret" | "per-isolate";

export function idHashKeySource(env: Pick<Env, "ID_HASH_KEY">): IdHashKeySource {
  return env.ID_HASH_KEY ? "secret" : "per-isolate";
}

function secretOf(env: Pick<Env, "ID_HASH_KEY">): string {
  if (env.ID_HASH_KEY) return env.ID_HASH_KEY;
  // No secret configured: a random key still keeps raw ids out of logs; pseudonyms then differ per isolate.
  if (isolateSecret === null) {
    const b = crypto.getRandomValues(new Uint8Array(32));
    isolateSecret = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  }
  return isolateSecret;
}

/** The pseudonym (core/pseudonym.ts) of a value under the isolate's ID_HASH_KEY (or its random key). */
export async function pseudonym(env: Pick<Env, "ID_HASH_KEY">, ns: PseudonymNamespace, value: string): Promise<string> {
  const secret = secretOf(env);
  let cache = caches.get(secret);
  if (!cache) {
    cache = new Map();
    caches.set(secret, cache);
  }
  const id = `${ns}:${value}`;
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const ref = await pseudonymOf(secret, ns, value);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(id, ref);
  return ref;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `text` with every place a user id sits in a KV key or origin URL (`user:<id>`, `profile:<id>`, `user=<id>`,
 * `/profiles/<id>`) showing the pseudonym instead. For log lines only; answers to the user keep their own id.
 */
export function redactUser(text: string, userId: string, ref: string): string {
  if (!userId || !text.includes(userId)) return text;
  const re = new RegExp(`(user:|profile:|user=|profiles/)${escapeRegExp(userId)}(?![A-Za-z0-9_-])`, "g");
  return text.replace(re, `$1${ref}`);
}
