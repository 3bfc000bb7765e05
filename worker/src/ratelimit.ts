// Per-client-IP and per-user request limits on Cloudflare's Workers Rate Limiting bindings (wrangler.toml [[ratelimits]]).
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";
import { pseudonym } from "./privacy.js";

/**
 * The window both bindings count over (wrangler.toml `simple.period`, seconds): what Retry-After says. Cloudflare
 * does not report when a key's window ends, so a client told to wait one whole period is never early.
 */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** `RATE_LIMIT_MODE`: enforce (default), shadow (count and flag, never refuse), off (no limiter calls). */
export type RateLimitMode = "enforce" | "shadow" | "off";

/** Response header naming the limit a request would have hit in shadow mode (`ip` or `user`). */
export const SHADOW_HEADER = "x-frontrow-rate-limit";

export function rateLimitMode(env: Pick<Env, "RATE_LIMIT_MODE">): RateLimitMode {
  const m = env.RATE_LIMIT_MODE;
  // Anything unrecognised enforces: a typo must not switch protection off.
  return m === "shadow" || m === "off" ? m : "enforce";
}

const warned = new Set<string>();
function warnOnce(what: string, detail: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(JSON.stringify({ level: "warn", event: "rate-limit-unavailable", binding: what, detail }));
}

type Which = "ip" | "user";
const BINDING: Record<Which, "IP_RATE_LIMITER" | "USER_RATE_LIMITER"> = {
  ip: "IP_RATE_LIMITER",
  user: "USER_RATE_LIMITER",
};

/**
 * Asks one limiter about `key` (already a pseudonym). Over the limit: 429 in enforce mode, a flag header in shadow
 * mode. A missing binding or a failing limiter lets the request through (logged once per isolate): limits
 * protect serving, they must never be the reason it fails.
 */
async function check(c: Context<AppEnv>, which: Which, key: string): Promise<void> {
  const mode = rateLimitMode(c.env);
  if (mode === "off") return;
  const limiter = c.env[BINDING[which]] as RateLimit | undefined;
  if (!limiter) {
    warnOnce(BINDING[which], "binding missing: requests are not limited");
    return;
  }
  let ok: boolean;
  try {
    ok = (await limiter.limit({ key })).success;
  } catch (e) {
    warnOnce(BINDING[which], `limit() failed: ${(e as Error).message}`);
    return;
  }
  if (ok) return;
  if (mode === "shadow") {
    c.header(SHADOW_HEADER, which, { append: true });
    return;
  }
  c.header("retry-after", String(RATE_LIMIT_PERIOD_SECONDS));
  throw new ApiError(
    "rate_limited",
    `too many requests from this ${which === "ip" ? "address" : "user"}; retry after ${RATE_LIMIT_PERIOD_SECONDS} s`,
  );
}

/**
 * Middleware: limits by the client address Cloudflare puts in `CF-Connecting-IP` (Cloudflare sets it on every
 * request through its network; a client cannot choose it there). No header (local tools calling the app
 * directly): no per-IP limit.
 */
export function ipRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ip = c.req.header("cf-connecting-ip");
    if (ip && rateLimitMode(c.env) !== "off") await check(c, "ip", `ip:${await pseudonym(c.env, "ip", ip)}`);
    await next();
  };
}

/**
 * For routes, once the user id is validated: records the user's pseudonym on the context (logs and onError
 * show it instead of the id), applies the per-user limit to that pseudonym, and returns it.
 */
export async function limitUser(c: Context<AppEnv>, userId: string): Promise<string> {
  const ref = await pseudonym(c.env, "user", userId);
  c.set("user", { id: userId, ref });
  await check(c, "user", `user:${ref}`);
  return ref;
}
