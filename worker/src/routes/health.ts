// GET /healthz: model and config versions, and whether KV answers.
import { Hono } from "hono";
import { keys } from "../../../core/keys.js";
import type { ConfigStatus } from "../config.js";
import type { AppEnv } from "../env.js";
import type { Services } from "../services.js";

export interface HealthResponse {
  status: "ok" | "degraded";
  model: { version: string | null; problem: string | null };
  /** The config in force, where it came from, and why it is not the published one (if so). */
  config: ConfigStatus;
  kv: { ok: boolean; error: string | null };
  requestId: string;
}

export function healthRoutes(svc: Services) {
  return new Hono<AppEnv>().get("/", async (c) => {
    let kv: HealthResponse["kv"] = { ok: true, error: null };
    try {
      await c.env.KV.get(keys.activeModel);
    } catch (e) {
      kv = { ok: false, error: (e as Error).message };
    }
    await svc.config.get(c.env.KV);
    const config = svc.config.status();
    // Loads the model if this isolate has not yet, so the report is about the model requests would get.
    await svc.models.get(c.env.KV, (p) => c.executionCtx.waitUntil(p));
    const model = svc.models.status();
    const body: HealthResponse = {
      status: kv.ok && model.version && !model.problem && !config.problem ? "ok" : "degraded",
      model,
      config,
      kv,
      requestId: c.get("requestId"),
    };
    return c.json(body, 200);
  });
}
