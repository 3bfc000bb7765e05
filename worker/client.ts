// Typed client for device apps and services: Hono's RPC client over the worker's exported app type.
import { hc } from "hono/client";
import type { AppType } from "./src/app.js";

/** A client whose paths, query parameters, bodies and JSON responses are typed from the worker's routes. */
export function createFrontrowClient(baseUrl: string, init?: Parameters<typeof hc>[1]) {
  return hc<AppType>(baseUrl, init);
}

export type { HealthResponse } from "./src/routes/health.js";
export type { RecommendationsResponse, ServedBy } from "./src/routes/recommendations.js";
export type { RerankResponse } from "./src/routes/rerank.js";
