// Secrets the worker reads: set with `wrangler secret put` (or .dev.vars locally), so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token for GET /ops; the page answers 404 while it is unset. */
    OPS_TOKEN?: string;
    /**
     * HMAC-SHA256 key that published model manifests and edge configs must be signed with (core/signature.ts).
     * Unset: artifacts are checked by checksum only, and /healthz says `signatures: "off"`.
     */
    ARTIFACT_SIGNING_KEY?: string;
    /** Bearer token the worker sends to the origin's list endpoints (the origin's own ORIGIN_TOKEN). */
    ORIGIN_TOKEN?: string;
    /**
     * Key of the HMAC that pseudonymises user ids in logs and rate-limit keys (worker/src/privacy.ts). Unset: a
     * random key per isolate (logs then do not correlate across isolates) and /healthz says so.
     */
    ID_HASH_KEY?: string;
  }
}
