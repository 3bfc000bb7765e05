// The OpsStats Durable Object: deltas add up at once, and the totals reach storage behind them on one alarm.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addSample, type StatsByRegion } from "../src/ops/stats.js";
import { OPS_PERSIST_MS, type OpsStats } from "../src/ops/stats-object.js";
import { requestSample } from "./ops-samples.js";

const delta = (region: string, requests: number): StatsByRegion => {
  const d: StatsByRegion = {};
  for (let i = 0; i < requests; i++) {
    addSample(d, requestSample(region));
  }
  return d;
};

const fresh = (name: string) => env.OPS_STATS.get(env.OPS_STATS.idFromName(`${name}-${crypto.randomUUID()}`));
const stored = (stub: DurableObjectStub<OpsStats>) =>
  runInDurableObject(stub, (_, state) => state.storage.get<StatsByRegion>("totals"));

describe("OpsStats", () => {
  it("counts a delta at once and writes the totals on the alarm, within OPS_PERSIST_MS", async () => {
    const stub = fresh("persist");
    const before = Date.now();
    await stub.record(delta("eu-west", 4));
    expect((await stub.snapshot())["eu-west"]?.requests).toBe(4);
    expect(await stored(stub)).toBeUndefined();
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeGreaterThanOrEqual(before + OPS_PERSIST_MS);
    expect(alarm as number).toBeLessThanOrEqual(Date.now() + OPS_PERSIST_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stored(stub))?.["eu-west"]?.requests).toBe(4);
  });

  it("writes several deltas with one alarm, and schedules the next after it ran", async () => {
    const stub = fresh("batch");
    await stub.record(delta("eu-west", 2));
    await stub.record(delta("eu-west", 3));
    await stub.record(delta("us-east", 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // One alarm covered all three deltas: none is left.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    const written = await stored(stub);
    expect([written?.["eu-west"]?.requests, written?.["us-east"]?.requests]).toEqual([5, 1]);
    await stub.record(delta("eu-west", 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stored(stub))?.["eu-west"]?.requests).toBe(6);
  });

  it("an instance that starts again reads the written totals back", async () => {
    const stub = fresh("reload");
    await stub.record(delta("ap-south", 7));
    await runDurableObjectAlarm(stub);
    // Drop the in-memory copy, as a restart does: the next read comes from storage.
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { totals: StatsByRegion | null }).totals = null;
    });
    expect((await stub.snapshot())["ap-south"]?.requests).toBe(7);
  });
});
