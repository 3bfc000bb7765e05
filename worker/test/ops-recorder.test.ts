// The per-isolate ops recorder against the real OpsStats Durable Object: batched flushes, and no work without it.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OPS_STATS_INSTANCE, OpsRecorder } from "../src/ops/recorder.js";
import type { RequestSample } from "../src/ops/stats.js";

const sample = (region: string): RequestSample => ({
  region,
  cacheStatus: "hit",
  fallback: false,
  originFetches: 0,
  originErrors: 0,
  latencyMs: 3,
  modelVersion: "m1",
  configVersion: "c1",
  at: Date.now(),
});

/** A waitUntil that keeps what it is given, so the test can count and await the flushes. */
function collector() {
  const started: Promise<unknown>[] = [];
  return { started, waitUntil: (p: Promise<unknown>) => void started.push(p) };
}

const totalsOf = async (region: string) =>
  (await env.OPS_STATS.get(env.OPS_STATS.idFromName(OPS_STATS_INSTANCE)).snapshot())[region];

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
