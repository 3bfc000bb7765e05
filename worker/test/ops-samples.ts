// One served request as the recommendations route reports it to the ops counters, for the ops tests.
import type { RequestSample } from "../src/ops/stats.js";

/** A cache hit in `region` answered in 3 ms by model m1 under config c1 (fields overridable). */
export const requestSample = (region: string, over: Partial<RequestSample> = {}): RequestSample => ({
  region,
  cacheStatus: "hit",
  fallback: false,
  originFetches: 0,
  originErrors: 0,
  latencyMs: 3,
  modelVersion: "m1",
  configVersion: "c1",
  at: 60_000 * 1000,
  ...over,
});
