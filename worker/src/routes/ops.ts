// GET /ops (HTML charts) and /ops/data (JSON): per-region serving health, behind the OPS_TOKEN secret.
import { Hono } from "hono";
import { bearerToken, sameSecret } from "../auth.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { renderOpsPage } from "../ops/page.js";
import { opsStatsFor } from "../ops/recorder.js";
import { type RegionSummary, type StatsByRegion, summarise } from "../ops/stats.js";
import type { Services } from "../services.js";

export function opsRoutes(svc: Services) {
  const app = new Hono<AppEnv>();
  // Bearer header for tools; ?token= so a person can open the page in a browser.
  app.use(async (c, next) => {
    const secret = c.env.OPS_TOKEN;
    // Unset secret: the page does not exist on this deployment (and no empty token can open it).
    if (!secret) throw new ApiError("not_found", "the ops page is off: set the OPS_TOKEN secret");
    const given = bearerToken(c.req.header("authorization")) ?? c.req.query("token") ?? "";
    if (!given || !(await sameSecret(given, secret))) throw new ApiError("unauthorized", "missing or wrong ops token");
    await next();
  });
  /** Every configured region's totals, each from its own OpsStats object, read side by side. */
  const load = async (env: Env): Promise<RegionSummary[]> => {
    const ns = env.OPS_STATS;
    if (!ns) throw new ApiError("internal", "no OPS_STATS Durable Object binding");
    const cfg = await svc.config.get(env.KV, env.ARTIFACT_SIGNING_KEY);
    await svc.ops.flush(env);
    const parts = await Promise.all(Object.keys(cfg.regions).map((r) => opsStatsFor(ns, r).snapshot()));
    const all: StatsByRegion = {};
    for (const part of parts) Object.assign(all, part);
    return summarise(all);
  };
  app.get("/", async (c) => {
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
