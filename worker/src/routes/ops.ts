// GET /ops (HTML charts) and /ops/data (JSON): per-region serving health, behind the OPS_TOKEN secret.
import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { renderOpsPage } from "../ops/page.js";
import { OPS_STATS_INSTANCE } from "../ops/recorder.js";
import { type RegionSummary, summarise } from "../ops/stats.js";
import type { Services } from "../services.js";

/** Compares in time independent of where the strings differ. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function opsRoutes(svc: Services) {
  const app = new Hono<AppEnv>();
  // Bearer header for tools; ?token= so a person can open the page in a browser.
  app.use(async (c, next) => {
    const secret = c.env.OPS_TOKEN;
    // Unset secret: the page does not exist on this deployment (and no empty token can open it).
    if (!secret) throw new ApiError("not_found", "the ops page is off: set the OPS_TOKEN secret");
    const header = c.req.header("authorization");
    const given = header?.startsWith("Bearer ") ? header.slice(7) : (c.req.query("token") ?? "");
    if (!given || !sameSecret(given, secret)) throw new ApiError("unauthorized", "missing or wrong ops token");
    await next();
  });
  const load = async (env: Env): Promise<RegionSummary[]> => {
    if (!env.OPS_STATS) throw new ApiError("internal", "no OPS_STATS Durable Object binding");
    await svc.ops.flush(env);
    return summarise(await env.OPS_STATS.get(env.OPS_STATS.idFromName(OPS_STATS_INSTANCE)).snapshot());
  };
  app.get("/", async (c) => {
    await svc.config.get(c.env.KV);
    const html = renderOpsPage({ regions: await load(c.env), now: Date.now(), config: svc.config.status() });
    c.header("cache-control", "no-store");
    return c.html(html);
  });
  app.get("/data", async (c) => {
    c.header("cache-control", "no-store");
    return c.json({ regions: await load(c.env), config: svc.config.status() }, 200);
  });
  return app;
}
