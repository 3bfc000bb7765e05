// GET /healthz: model and config versions, and whether KV answers.
import { Hono } from "hono";
import { keys } from "../../../core/keys.js";
import { activeConfig } from "../config.js";
import type { AppEnv } from "../env.js";
import type { Services } from "../services.js";

export interface HealthResponse {
  status: "ok" | "degraded";
  model: { version: string | null; problem: string | null };
  config: { version: string };
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
    // Loads the model if this isolate has not yet, so the report is about the model requests would get.
    await svc.models.get(c.env.KV, (p) => c.executionCtx.waitUntil(p));
    const model = svc.models.status();
    const body: HealthResponse = {
      status: kv.ok && model.version && !model.problem ? "ok" : "degraded",
      model,
      config: { version: activeConfig().version },
      kv,
      requestId: c.get("requestId"),
    };
    return c.json(body, 200);
  });
}
