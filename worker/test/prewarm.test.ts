// Cron pre-warming: the scheduled handler warms exactly the regions whose local peak opens within the lead time.
import { createExecutionContext, createScheduledController, env, reset, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { keys } from "../../core/keys.js";
import { signed } from "../../core/signature.js";
import { configContentVersion, configKeys } from "../../edge-config/keys.js";
import type { EdgeConfig } from "../../edge-config/schema.js";
import { ConfigStore, DEFAULT_CONFIG } from "../src/config.js";
import { handleScheduled, PREWARM_HOT_USERS, PREWARM_KV_BUDGET, prewarm } from "../src/ops/prewarm.js";
import { opsStatsFor } from "../src/ops/recorder.js";
import { DOWN, harness, ORIGIN } from "./helpers.js";
import { TEST_SIGNING_KEY } from "./secrets.js";

beforeEach(async () => {
  await reset();
});

/** Publishes the peak config (content-hash version, signed like `npm run config -- publish`); returns its version. */
async function publishPeaks(): Promise<string> {
  const cfg: EdgeConfig = structuredClone(DEFAULT_CONFIG);
  const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
  for (const [id, start] of [
    ["eu-west", "19:00"],
    ["us-east", "19:30"],
  ] as const) {
    (cfg.regions[id] as EdgeConfig["regions"][string]).peak = {
      schedules: [{ days: [...days], start, end: "23:00" }],
      policy: { candidateDepth: 120 },
      rows: {},
    };
  }
  cfg.version = await configContentVersion(cfg);
  await env.KV.put(configKeys.version(cfg.version), JSON.stringify(await signed("edge-config", cfg, TEST_SIGNING_KEY)));
  await env.KV.put(configKeys.active, JSON.stringify({ version: cfg.version, activatedAt: "", history: [] }));
  return cfg.version;
}

/** What handleScheduled passes from the env: the origin's token and the signing key. */
const SECRETS = { originToken: env.ORIGIN_TOKEN, signingKey: env.ARTIFACT_SIGNING_KEY };

const warmedKeys = async () => (await env.KV.list({ prefix: "cand:" })).keys.map((k) => k.name).sort();

describe("scheduled pre-warming", () => {
  it("the cron handler warms trending and popular of the region whose peak opens within 15 minutes", async () => {
    await publishPeaks();
    const scheduledTime = Date.parse("2026-12-21T17:50:00Z"); // 18:50 Paris, 12:50 New York
    const ctx = createExecutionContext();
    // Without the ops counters there are no hot users: only the regional lists.
    const noStats = { ...env, ORIGIN_URL: ORIGIN, OPS_STATS: undefined } as unknown as Env;
    handleScheduled(
      { config: new ConfigStore(0) },
      createScheduledController({ scheduledTime, cron: "*/15 * * * *" }),
      noStats,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(await warmedKeys()).toEqual([keys.popular("eu-west"), keys.candidates("trending", "", "eu-west")].sort());
    const trending = decodeCandidateList(
      (await env.KV.get(keys.candidates("trending", "", "eu-west"), "arrayBuffer")) as ArrayBuffer,
    );
    expect([trending.header.scope, trending.size]).toEqual(["region:eu-west", 120]);
    expect(Date.now() - trending.header.generatedAt).toBeLessThan(60_000);
  });

  it("acts once per peak: not too early, not once the peak is open; follows each zone and DST", async () => {
    await publishPeaks();
    const run = async (iso: string) => {
      const r = await prewarm(
        { ...SECRETS, kv: env.KV, originUrl: ORIGIN, config: new ConfigStore(0) },
        Date.parse(iso),
      );
      return r.regions.map((x) => `${x.region}@${x.peakAt}`);
    };
    expect(await run("2026-12-21T17:44:00Z")).toEqual([]); // 18:44 Paris: 16 minutes ahead
    expect(await run("2026-12-21T17:45:00Z")).toEqual(["eu-west@2026-12-21T18:00:00.000Z"]);
    expect(await run("2026-12-21T18:00:00Z")).toEqual([]); // open already: requests warm it now
    expect(await run("2026-12-22T00:15:00Z")).toEqual(["us-east@2026-12-22T00:30:00.000Z"]); // 19:15 EST
    // Paris on 29 March 2026 (UTC+2 from 01:00Z): 19:00 local is 17:00Z.
    expect(await run("2026-03-29T16:45:00Z")).toEqual(["eu-west@2026-03-29T17:00:00.000Z"]);
    expect(await run("2026-03-28T16:45:00Z")).toEqual([]); // a day earlier it opens at 18:00Z
  });

  it("counts its KV operations against the per-invocation budget and reports origin failures", async () => {
    const version = await publishPeaks();
    const ok = await prewarm(
      { ...SECRETS, kv: env.KV, originUrl: ORIGIN, config: new ConfigStore(0) },
      Date.parse("2026-12-21T17:50:00Z"),
    );
    expect([ok.kvOps, ok.skipped, ok.lists.every((l) => l.ok), ok.configVersion]).toEqual([4, 0, true, version]);
    expect(ok.kvOps).toBeLessThanOrEqual(PREWARM_KV_BUDGET);
    await reset();
    await publishPeaks();
    const down = await prewarm(
      { ...SECRETS, kv: env.KV, originUrl: DOWN, config: new ConfigStore(0) },
      Date.parse("2026-12-21T17:50:00Z"),
    );
    expect(down.lists.map((l) => l.ok)).toEqual([false, false]);
    expect(down.kvOps).toBe(2);
    expect(await warmedKeys()).toEqual([]);
  });

  it("also warms the top-picks of the region's most requested users, from the ops counters", async () => {
    await publishPeaks();
    const h = harness();
    // Users 150 (3 requests) and 151 (2) and 152 (1) in eu-west; 153 only in us-east.
    for (const [user, region, times] of [
      ["150", "eu-west", 3],
      ["151", "eu-west", 2],
      ["152", "eu-west", 1],
      ["153", "us-east", 4],
    ] as const) {
      for (let i = 0; i < times; i++) {
        await h.call(
          `/v1/recommendations/${user}?limit=3`,
          { headers: { "x-frontrow-region": region } },
          { ORIGIN_URL: DOWN },
        );
      }
    }
    await h.svc.ops.flush(env);
    const hot = await opsStatsFor(env.OPS_STATS, "eu-west").hotUsers("eu-west", PREWARM_HOT_USERS);
    expect(hot.filter((u) => ["150", "151", "152", "153"].includes(u))).toEqual(["150", "151", "152"]);
    const ctx = createExecutionContext();
    handleScheduled(
      { config: new ConfigStore(0) },
      createScheduledController({ scheduledTime: Date.parse("2026-12-21T17:50:00Z"), cron: "*/15 * * * *" }),
      { ...env, ORIGIN_URL: ORIGIN },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const warmed = await warmedKeys();
    for (const user of ["150", "151", "152"]) expect(warmed).toContain(keys.candidates("top-picks", user, "eu-west"));
    expect(warmed).not.toContain(keys.candidates("top-picks", "153", "us-east"));
    const list = decodeCandidateList(
      (await env.KV.get(keys.candidates("top-picks", "150", "eu-west"), "arrayBuffer")) as ArrayBuffer,
    );
    expect([list.header.scope, list.size]).toEqual(["user:150", 120]);
  });
});
