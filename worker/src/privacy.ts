// Pseudonymous user ids for logs and rate-limit keys: a keyed hash (HMAC-SHA256 under ID_HASH_KEY), never the raw id.
//
// Why keyed: user ids are small integers (1, 2, 3, ...) or other guessable strings, so an unkeyed hash (even a
// salted one whose salt sits next to the logs) is reversed by hashing every candidate id and looking the
// result up. Without the key, a log reader cannot do that.

/** Hex digits kept of the HMAC: 64 bits, enough to tell users apart in logs and limiter buckets. */
const REF_HEX = 16;
/** Pseudonyms remembered per isolate, so a hot user costs one HMAC per isolate rather than one per request. */
const CACHE_MAX = 10_000;

interface Hasher {
  key: Promise<CryptoKey>;
  cache: Map<string, string>;
}

const hashers = new Map<string, Hasher>();
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

function hasher(secret: string): Hasher {
  let h = hashers.get(secret);
  if (!h) {
    const key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    h = { key, cache: new Map() };
    hashers.set(secret, h);
  }
  return h;
}

/**
 * The pseudonym of a value in a namespace (`user`, `ip`): `<ns>_<16 hex>` of HMAC-SHA256(key, "<ns>:<value>").
 * Stable for a key, so one user's log lines and limiter bucket line up across requests (and across isolates when
 * ID_HASH_KEY is set).
 */
export async function pseudonym(env: Pick<Env, "ID_HASH_KEY">, ns: "user" | "ip", value: string): Promise<string> {
  const h = hasher(secretOf(env));
  const id = `${ns}:${value}`;
  const hit = h.cache.get(id);
  if (hit !== undefined) return hit;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await h.key, new TextEncoder().encode(id)));
  let hex = "";
  for (let i = 0; i < REF_HEX / 2; i++) hex += (mac[i] as number).toString(16).padStart(2, "0");
  const ref = `${ns === "user" ? "u" : "ip"}_${hex}`;
  if (h.cache.size >= CACHE_MAX) h.cache.delete(h.cache.keys().next().value as string);
  h.cache.set(id, ref);
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
