// GET /healthz: model and config versions, and whether KV answers.
import { Hono } from "hono";
import { keys } from "../../../core/keys.js";
import type { ConfigStatus } from "../config.js";
import type { AppEnv } from "../env.js";
import { type IdHashKeySource, idHashKeySource } from "../privacy.js";
import { type RateLimitMode, rateLimitMode } from "../ratelimit.js";
import type { Services } from "../services.js";

export interface HealthResponse {
  status: "ok" | "degraded";
  /** `engine`: what computes the scores (onnxruntime-web, or the dense kernel that reproduces it exactly). */
  model: { version: string | null; engine: string | null; problem: string | null };
  /** The config in force, where it came from, and why it is not the published one (if so). */
  config: ConfigStatus;
  kv: { ok: boolean; error: string | null };
  /** "on" when the worker holds ARTIFACT_SIGNING_KEY and refuses unsigned or wrongly signed models and configs. */
  signatures: "on" | "off";
  /** How the other protections are configured (README "Threat model"); says nothing secret. */
  security: { idHashKey: IdHashKeySource; rateLimits: RateLimitMode; originAuth: "on" | "off" };
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
    await svc.config.get(c.env.KV, c.env.ARTIFACT_SIGNING_KEY);
    const config = svc.config.status();
    // Loads the model if this isolate has not yet, so the report is about the model requests would get.
    await svc.models.get(c.env.KV, (p) => c.executionCtx.waitUntil(p), { signingKey: c.env.ARTIFACT_SIGNING_KEY });
    const model = svc.models.status();
    const body: HealthResponse = {
      status: kv.ok && model.version && !model.problem && !config.problem ? "ok" : "degraded",
      model,
      config,
      kv,
      signatures: c.env.ARTIFACT_SIGNING_KEY ? "on" : "off",
      security: {
        idHashKey: idHashKeySource(c.env),
        rateLimits: rateLimitMode(c.env),
        originAuth: c.env.ORIGIN_TOKEN ? "on" : "off",
      },
      requestId: c.get("requestId"),
    };
    return c.json(body, 200);
  });
}
