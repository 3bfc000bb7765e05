// The worker's Hono app: request id, Server-Timing, one error shape, and the route groups.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { timing } from "hono/timing";
import type { AppEnv } from "./env.js";
import { ApiError, onError } from "./errors.js";
import { ipRateLimit } from "./ratelimit.js";
import { healthRoutes } from "./routes/health.js";
import { opsRoutes } from "./routes/ops.js";
import { recommendationsRoutes } from "./routes/recommendations.js";
import { rerankRoutes } from "./routes/rerank.js";
import type { Services } from "./services.js";

/** Builds the app around a set of services (one per isolate in production; fresh ones in tests). */
export function createApp(svc: Services) {
  const app = new Hono<AppEnv>()
    .use(requestId())
    .use(timing({ total: true, totalDescription: "total", crossOrigin: true }))
    // Before any route work, on every path (unknown ones too): a flood from one address costs one limiter call each.
    .use(ipRateLimit())
    .get("/v1/ping", (c) => c.json({ ok: true as const, requestId: c.get("requestId") }, 200))
    .route("/v1/recommendations", recommendationsRoutes(svc))
    .route("/v1/rerank", rerankRoutes(svc))
    .route("/healthz", healthRoutes(svc))
    .route("/ops", opsRoutes(svc));
  app.notFound((c) => {
    throw new ApiError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  });
  app.onError(onError);
  return app;
}

/** The app's type, for Hono's typed RPC client. */
export type AppType = ReturnType<typeof createApp>;
