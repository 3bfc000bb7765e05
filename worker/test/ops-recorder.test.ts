// The per-isolate ops recorder against the real OpsStats Durable Object: batched flushes, and no work without it.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OpsRecorder, opsStatsFor } from "../src/ops/recorder.js";
import { requestSample } from "./ops-samples.js";

const sample = (region: string) => requestSample(region, { at: Date.now() });

/** A waitUntil that keeps what it is given, so the test can count and await the flushes. */
function collector() {
  const started: Promise<unknown>[] = [];
  return { started, waitUntil: (p: Promise<unknown>) => void started.push(p) };
}

const totalsOf = async (region: string) => (await opsStatsFor(env.OPS_STATS, region).snapshot())[region];

describe("OpsRecorder", () => {
  it("sends one delta per flushEvery requests to the Durable Object", async () => {
    let now = 0;
    const rec = new OpsRecorder(3, 60_000, () => now);
    const { started, waitUntil } = collector();
    for (let i = 0; i < 7; i++) rec.record(env, sample("rec-batched"), waitUntil);
    // Requests 3 and 6 each start a flush of the three before them; the seventh waits for the next.
    expect(started.length).toBe(2);
    await Promise.all(started);
    expect((await totalsOf("rec-batched"))?.requests).toBe(6);
    now += 1;
    await rec.flush(env);
    expect((await totalsOf("rec-batched"))?.requests).toBe(7);
  });

  it("sends each region's counts to that region's own object", async () => {
    const rec = new OpsRecorder(1_000, 60_000);
    const { waitUntil } = collector();
    for (let i = 0; i < 3; i++) rec.record(env, sample("rec-north"), waitUntil);
    rec.record(env, sample("rec-south"), waitUntil);
    rec.recordOriginFetch(env, "rec-south", false, waitUntil);
    await rec.flush(env);
    const north = await opsStatsFor(env.OPS_STATS, "rec-north").snapshot();
    const south = await opsStatsFor(env.OPS_STATS, "rec-south").snapshot();
    expect(Object.keys(north)).toEqual(["rec-north"]);
    expect(Object.keys(south)).toEqual(["rec-south"]);
    expect([north["rec-north"]?.requests, south["rec-south"]?.requests]).toEqual([3, 1]);
    expect([south["rec-south"]?.originFetches, south["rec-south"]?.originErrors]).toEqual([1, 1]);
  });

  it("keeps nothing and schedules nothing without an OPS_STATS binding", async () => {
    const rec = new OpsRecorder(3, 0);
    const { started, waitUntil } = collector();
    const bare = { ...env, OPS_STATS: undefined } as unknown as Env;
    for (let i = 0; i < 200; i++) rec.record(bare, sample("rec-unbound"), waitUntil);
    rec.recordOriginFetch(bare, "rec-unbound", false, waitUntil);
    expect(started).toEqual([]);
    // Nothing was kept for a later flush either: binding it afterwards sends nothing.
    await rec.flush(env);
    expect(await totalsOf("rec-unbound")).toBeUndefined();
  });
});
