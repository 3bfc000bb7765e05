// Secrets the worker reads: set with `wrangler secret put` (or .dev.vars locally), so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token for GET /ops; the page answers 404 while it is unset. */
    OPS_TOKEN?: string;
  }
}
