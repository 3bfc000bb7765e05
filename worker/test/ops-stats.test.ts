// Ops counters: samples add up per region, deltas merge, quantiles come from the histogram, the series keeps an hour.
import { describe, expect, it } from "vitest";
import {
  addOriginFetch,
  addSample,
  HOT_USER_CAPACITY,
  hottestUsers,
  latencyQuantile,
  mergeStats,
  type RequestSample,
  type StatsByRegion,
  summarise,
} from "../src/ops/stats.js";
import { requestSample } from "./ops-samples.js";

const sample = (over: Partial<RequestSample>): RequestSample =>
  requestSample(over.region ?? "eu-west", { latencyMs: 4, ...over });

describe("ops stats", () => {
  it("p50 and p99 are the bounds of the buckets holding those ranks", () => {
    const s: StatsByRegion = {};
    for (let i = 0; i < 98; i++) addSample(s, sample({ latencyMs: 4 }));
    addSample(s, sample({ latencyMs: 180 }));
    addSample(s, sample({ latencyMs: 9000 }));
    const r = s["eu-west"];
    if (!r) throw new Error("no region");
    expect([
      latencyQuantile(r, 0.5),
      latencyQuantile(r, 0.98),
      latencyQuantile(r, 0.99),
      latencyQuantile(r, 1),
    ]).toEqual([5, 5, 200, Number.POSITIVE_INFINITY]);
  });

  it("deltas merge into totals; the latest versions win; minutes older than an hour drop out", () => {
    const totals: StatsByRegion = {};
    const a: StatsByRegion = {};
    addSample(a, sample({ cacheStatus: "miss", originFetches: 2, originErrors: 1, at: 0 }));
    addSample(a, sample({ region: "us-east", cacheStatus: "fallback", fallback: true }));
    mergeStats(totals, a);
    const b: StatsByRegion = {};
    addSample(b, sample({ at: 61 * 60_000, modelVersion: "m2", configVersion: "c2" }));
    mergeStats(totals, b);
    const [eu, us] = summarise(totals);
    expect(eu).toMatchObject({
      region: "eu-west",
      requests: 2,
      hitRatio: 0.5,
      originFetches: 2,
      originErrors: 1,
      fallbackRate: 0,
      modelVersion: "m2",
      configVersion: "c2",
      perMinute: [[61 * 60_000, 1]],
    });
    expect(us).toMatchObject({ region: "us-east", requests: 1, fallbackRate: 1, hitRatio: 0 });
  });

  it("a background origin fetch counts as a fetch (and an error when it failed), never as a request", () => {
    const totals: StatsByRegion = {};
    const d: StatsByRegion = {};
    addSample(d, sample({ cacheStatus: "stale" }));
    addOriginFetch(d, "eu-west", true);
    addOriginFetch(d, "eu-west", false);
    addOriginFetch(d, "us-west", true);
    mergeStats(totals, d);
    const [eu, usWest] = summarise(totals);
    expect(eu).toMatchObject({ region: "eu-west", requests: 1, originFetches: 2, originErrors: 1 });
    expect(usWest).toMatchObject({ region: "us-west", requests: 0, originFetches: 1, originErrors: 0 });
  });

  it("hot users: most requested first, bounded, merged across deltas", () => {
    const totals: StatsByRegion = {};
    const delta: StatsByRegion = {};
    for (const [user, n] of [
      ["a", 3],
      ["b", 5],
      ["c", 1],
    ] as const) {
      for (let i = 0; i < n; i++) addSample(delta, sample({ userId: user }));
    }
    addSample(delta, sample({})); // a non-personal row: no user
    mergeStats(totals, delta);
    mergeStats(totals, delta);
    expect(hottestUsers(totals, "eu-west", 2)).toEqual(["b", "a"]);
    expect(totals["eu-west"]?.hotUsers).toEqual({ a: 6, b: 10, c: 2 });
    const many: StatsByRegion = {};
    for (let i = 0; i < 3; i++) addSample(many, sample({ userId: "steady" }));
    for (let i = 0; i < HOT_USER_CAPACITY * 2; i++) addSample(many, sample({ userId: `once-${i}` }));
    expect(Object.keys(many["eu-west"]?.hotUsers ?? {})).toHaveLength(HOT_USER_CAPACITY);
    expect(hottestUsers(many, "eu-west", 1)).toEqual(["steady"]);
    expect(hottestUsers(many, "us-east", 5)).toEqual([]);
  });
});
