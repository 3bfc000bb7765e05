// Pseudonyms for user ids and client addresses in logs and limiter keys: one keyed-hash rule for the edge and the origin.
//
// Why keyed: user ids are small integers (1, 2, 3, ...) or other guessable strings, so an unkeyed hash (even a
// salted one whose salt sits next to the logs) is reversed by hashing every candidate id and looking the result
// up. Without the key (ID_HASH_KEY), a log reader cannot do that.
import { hmacKey } from "./signature.js";

/** Hex digits kept of the HMAC: 64 bits, enough to tell users apart in logs and limiter buckets. */
const REF_HEX = 16;

export type PseudonymNamespace = "user" | "ip";

/**
 * `u_<16 hex>` (user) or `ip_<16 hex>` of HMAC-SHA256(secret, "<ns>:<value>"). Stable for a secret, so one user's
 * log lines line up across requests, isolates and the origin when they share ID_HASH_KEY.
 */
export async function pseudonymOf(secret: string, ns: PseudonymNamespace, value: string): Promise<string> {
  const data = new TextEncoder().encode(`${ns}:${value}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), data));
  let hex = "";
  for (let i = 0; i < REF_HEX / 2; i++) hex += (mac[i] as number).toString(16).padStart(2, "0");
  return `${ns === "user" ? "u" : "ip"}_${hex}`;
}
