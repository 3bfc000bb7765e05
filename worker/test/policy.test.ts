// Edge policy in workerd: the published config is read from KV without a redeploy, and every policy field changes serving.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { keys, POINTER_RETRY_MS } from "../../core/keys.js";
import { signed } from "../../core/signature.js";
import { configContentVersion, configKeys } from "../../edge-config/keys.js";
import type { EdgeConfig } from "../../edge-config/schema.js";
import { ConfigStore, DEFAULT_CONFIG } from "../src/config.js";
import type { RegionSummary } from "../src/ops/stats.js";
import type { HealthResponse } from "../src/routes/health.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import { jitteredFreshSeconds, resolveCandidates } from "../src/serving/candidates.js";
import type { ListStore } from "../src/serving/list-store.js";
import {
  aged,
  DOWN,
  fault,
  faultCounts,
  flakyKv,
  getJson,
  type Harness,
  harness,
  publishModel,
  resetFaultCounts,
  seed,
  seedPopular,
  seedUser,
  trainedModel,
} from "./helpers.js";
import { TEST_SIGNING_KEY } from "./secrets.js";

beforeEach(async () => {
  await reset();
  await resetFaultCounts();
});

type Policy = EdgeConfig["policy"];

/** Stores a document under `config:<version>`, signed with the test key as `npm run config -- publish` signs it. */
async function putConfigDoc(version: string, doc: object): Promise<void> {
  await env.KV.put(configKeys.version(version), JSON.stringify(await signed("edge-config", doc, TEST_SIGNING_KEY)));
}

/**
 * Publishes a config the way `npm run config -- publish` lays it out: the version (named by its content hash,
 * signed), then the pointer. `_label` only names the test's intent; the version is the content's.
 */
async function publishConfig(_label: string, change: (cfg: EdgeConfig) => void = () => {}): Promise<EdgeConfig> {
  const cfg = structuredClone(DEFAULT_CONFIG);
  change(cfg);
  const version = await configContentVersion(cfg);
  cfg.version = version;
  await putConfigDoc(version, cfg);
  await env.KV.put(configKeys.active, JSON.stringify({ version, activatedAt: new Date().toISOString(), history: [] }));
  return cfg;
}

/** A config whose top-picks policy is exactly `policy` over the defaults (no jitter unless asked). */
function withPolicy(version: string, policy: Partial<Policy>): Promise<EdgeConfig> {
  return publishConfig(version, (cfg) => {
    cfg.policy = { ...cfg.policy, ttlJitterPercent: 0, ...policy };
  });
}

/** A harness whose config store checks KV on every request. */
function eager(): Harness {
  const h = harness();
  h.svc.config = new ConfigStore(0);
  return h;
}

const EU = { "x-frontrow-region": "eu-west", "x-frontrow-now": "2026-11-02T12:00:00Z" };

async function rec(h: Harness, user: string, origin: string, headers: Record<string, string> = EU, query = "") {
  return getJson<RecommendationsResponse>(
    await h.call(`/v1/recommendations/${user}?limit=10${query}`, { headers }, { ORIGIN_URL: origin }),
  );
}

async function seedAged(user: string, ageSeconds: number): Promise<string> {
  const key = keys.candidates("top-picks", user, "eu-west");
  const bytes = await seed(key, `/v1/candidates/top-picks?user=${user}&region=eu-west&depth=500`);
  await env.KV.put(key, aged(bytes, ageSeconds));
  return key;
}

describe("the active config comes from KV", () => {
  it("without a published config: the embedded defaults, no complaint", async () => {
    await seedAged("1", 0);
    const body = await rec(eager(), "1", DOWN);
    expect([body.config.version, body.config.profile]).toEqual(["defaults-1", "base"]);
    expect(body.degraded.filter((d) => d.startsWith("config"))).toEqual([]);
  });

  it("a newly activated version applies within the refresh interval, without a redeploy, and shows in /healthz", async () => {
    let now = 1_000_000;
    const h = harness();
    h.svc.config = new ConfigStore(10_000, () => now);
    await seedAged("1", 0);
    const a = await publishConfig("cfg-aaaa", (cfg) => {
      cfg.policy.freshSeconds = 111;
    });
    expect((await rec(h, "1", DOWN)).config.version).toBe(a.version);
    const b = await publishConfig("cfg-bbbb", (cfg) => {
      cfg.policy.freshSeconds = 222;
    });
    expect(b.version).not.toBe(a.version);
    now += 9_999;
    expect((await rec(h, "1", DOWN)).config.version).toBe(a.version);
    now += 1;
    expect((await rec(h, "1", DOWN)).config.version).toBe(b.version);
    const health = await getJson<HealthResponse>(await h.call("/healthz"));
    expect(health.config).toMatchObject({ version: b.version, source: "kv", problem: null });
  });

  it("a bad or missing version keeps the last good config and says so; fixing it clears the complaint", async () => {
    const h = eager();
    await seedAged("1", 0);
    const good = (await publishConfig("cfg-good")).version;
    expect((await rec(h, "1", DOWN)).config.version).toBe(good);
    await putConfigDoc("cfg-bad", {
      ...DEFAULT_CONFIG,
      version: "cfg-bad",
      policy: { ...DEFAULT_CONFIG.policy, freshSeconds: -1 },
    });
    await env.KV.put(configKeys.active, JSON.stringify({ version: "cfg-bad", activatedAt: "", history: [] }));
    const bad = await rec(h, "1", DOWN);
    expect([bad.config.version, bad.items.length]).toEqual([good, 10]);
    expect(bad.degraded[0]).toBe(
      `config: config:cfg-bad rejected (policy.freshSeconds: Too small: expected number to be >=0); serving last good config ${good}`,
    );
    await env.KV.put(configKeys.active, JSON.stringify({ version: "cfg-gone", activatedAt: "", history: [] }));
    expect((await rec(h, "1", DOWN)).degraded[0]).toBe(
      `config: config:cfg-gone rejected (missing); serving last good config ${good}`,
    );
    const health = await getJson<HealthResponse>(await h.call("/healthz"));
    expect([health.status, health.config.version, health.config.source]).toEqual(["degraded", good, "kv"]);
    await env.KV.put(configKeys.active, "not json");
    expect((await rec(h, "1", DOWN)).degraded[0]).toBe(
      `config: config:active unreadable (not JSON); serving last good config ${good}`,
    );
    await publishConfig("cfg-good");
    expect((await rec(h, "1", DOWN)).degraded.filter((d) => d.startsWith("config"))).toEqual([]);
  });

  it("a bad first config falls back to the embedded defaults and says so", async () => {
    await seedAged("1", 0);
    await env.KV.put(configKeys.active, JSON.stringify({ version: "cfg-x", activatedAt: "", history: [] }));
    await putConfigDoc("cfg-x", { version: "cfg-x" });
    const body = await rec(eager(), "1", DOWN);
    expect(body.config.version).toBe("defaults-1");
    expect(body.degraded[0]).toBe(
      "config: config:cfg-x rejected (defaultRegion: Invalid input: expected string, received undefined); serving built-in config defaults-1",
    );
  });
});

describe("freshness, stale-while-revalidate, stale-if-error and the fallback list", () => {
  it("within freshSeconds a hit; past it inside stale-while-revalidate stale with exactly one background refresh", async () => {
    await withPolicy("cfg-1", { freshSeconds: 100, staleWhileRevalidateSeconds: 50 });
    const h = eager();
    await seedAged("2", 95);
    expect((await rec(h, "2", fault("ok"))).cache).toEqual({ status: "hit", ageSeconds: 95 });
    expect((await faultCounts()).ok).toBeUndefined();
    // Fresh isolates from here on: the memory tier would keep serving the copy it already holds.
    const key = await seedAged("2", 140);
    const h2 = eager();
    const answers = await Promise.all([1, 2, 3].map(() => rec(h2, "2", fault("ok"))));
    expect(answers.map((a) => a.cache.status)).toEqual(["stale", "stale", "stale"]);
    expect((await faultCounts()).ok).toBe(1);
    const refreshed = decodeCandidateList((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer);
    expect(Date.now() - refreshed.header.generatedAt).toBeLessThan(60_000);
    // Past freshness + stale-while-revalidate: a miss the request waits for.
    await seedAged("2", 151);
    expect((await rec(eager(), "2", fault("ok"))).cache.status).toBe("miss");
  });

  it("origin down: inside stale-if-error the stale list, past it the fallback lists in their order", async () => {
    await withPolicy("cfg-1", { freshSeconds: 100, staleWhileRevalidateSeconds: 0, staleIfErrorSeconds: 1000 });
    const h = eager();
    await seedPopular();
    await seed(keys.candidates("trending", "3", "eu-west"), "/v1/candidates/trending?region=eu-west&depth=300");
    await seedAged("3", 1100);
    const stale = await rec(h, "3", DOWN);
    expect([stale.servedBy, stale.cache.status, stale.cache.ageSeconds]).toEqual(["stale", "stale-if-error", 1100]);
    await seedAged("3", 1101);
    const popular = await rec(eager(), "3", DOWN);
    expect([popular.servedBy, popular.cache.status]).toEqual(["fallback-popular", "fallback"]);
    expect(popular.degraded).toContain("cached list is 1101 s old, past the stale-if-error window");
    await withPolicy("cfg-2", {
      staleIfErrorSeconds: 0,
      freshSeconds: 0,
      staleWhileRevalidateSeconds: 0,
      fallback: ["trending", "popular"],
    });
    expect((await rec(h, "3", DOWN)).servedBy).toBe("fallback-trending");
    await withPolicy("cfg-3", {
      staleIfErrorSeconds: 0,
      freshSeconds: 0,
      staleWhileRevalidateSeconds: 0,
      fallback: [],
    });
    const none = await rec(h, "3", DOWN);
    expect([none.servedBy, none.items, none.degraded.at(-1)]).toEqual(["empty", [], "no fallback lists configured"]);
  });

  it("TTL jitter spreads freshness per key within +/- the percentage, stable per list", async () => {
    const policy = { ...DEFAULT_CONFIG.policy, freshSeconds: 100, ttlJitterPercent: 50 };
    const values = Array.from({ length: 200 }, (_, i) =>
      jitteredFreshSeconds(`cand:top-picks:user:${i}`, 1_700_000_000_000, policy),
    );
    expect(Math.min(...values)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...values)).toBeLessThanOrEqual(150);
    expect(values.filter((v) => v < 75).length).toBeGreaterThan(20);
    expect(values.filter((v) => v > 125).length).toBeGreaterThan(20);
    expect(jitteredFreshSeconds("k", 1, policy)).toBe(jitteredFreshSeconds("k", 1, policy));
    expect(jitteredFreshSeconds("k", 1, { ...policy, ttlJitterPercent: 0 })).toBe(100);
    // Served: lists aged 120 s are hits exactly for the keys whose jittered freshness reaches 120.
    await withPolicy("cfg-j", { freshSeconds: 100, ttlJitterPercent: 50, staleWhileRevalidateSeconds: 3600 });
    const h = eager();
    const statuses: string[] = [];
    // Each list's jitter depends on its timestamp (now - 120 s), so walk users until both outcomes showed up:
    // every one is checked exactly; P(30% "hit" never occurring in 40 users) is below 1e-6.
    for (let u = 11; u < 51 && new Set(statuses).size < 2; u++) {
      const user = String(u);
      const key = await seedAged(user, 120);
      const generatedAt = decodeCandidateList((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer).header.generatedAt;
      const expected = jitteredFreshSeconds(key, generatedAt, { ...policy }) >= 120 ? "hit" : "stale";
      const status = (await rec(h, user, DOWN)).cache.status;
      expect(status, user).toBe(expected);
      statuses.push(status);
    }
    expect(new Set(statuses)).toEqual(new Set(["hit", "stale"]));
  });
});

describe("kvCacheTtlSeconds", () => {
  it("is the cacheTtl of every KV read of a request: its own list and each fallback list", async () => {
    await seedPopular();
    const reads: [string, number][] = [];
    const store: ListStore = {
      name: "recording",
      get: async (key, opts) => {
        reads.push([key, opts.cacheTtlSeconds]);
        return null;
      },
      put: async () => {},
    };
    const policy = {
      ...DEFAULT_CONFIG.policy,
      kvCacheTtlSeconds: 45,
      fallback: ["trending", "popular"] as Policy["fallback"],
    };
    const deps = { store, originUrl: DOWN, now: Date.now(), waitUntil: () => {}, spent: { kv: 0, origin: 0 } };
    await resolveCandidates(deps, { row: "top-picks", userId: "9", userRef: "u_test", region: "eu-west", policy });
    expect(reads).toEqual([
      ["cand:top-picks:user:9", 45],
      ["cand:trending:region:eu-west", 45],
      ["cand:popular:region:eu-west", 45],
    ]);
  });
});

describe("origin policy: negative cache, retry budget, timeout", () => {
  it("an origin 404 is remembered for negativeCacheSeconds: the next request skips the origin", async () => {
    await withPolicy("cfg-n", { negativeCacheSeconds: 30 });
    const h = eager();
    await seedPopular();
    const first = await rec(h, "4", fault("status/404"));
    expect([first.servedBy, first.degraded[0]]).toEqual([
      "fallback-popular",
      "origin: 404 for /status/404/v1/candidates/top-picks",
    ]);
    const second = await rec(h, "4", fault("status/404"));
    expect(second.servedBy).toBe("fallback-popular");
    expect(second.degraded[0]).toBe(
      "origin: 404 for cand:top-picks:user:4 remembered (30 s left of negativeCacheSeconds)",
    );
    expect((await faultCounts()).status).toBe(1);
    // Turned off: every request asks again.
    await withPolicy("cfg-n0", { negativeCacheSeconds: 0 });
    const h0 = eager();
    await rec(h0, "5", fault("status/404"));
    await rec(h0, "5", fault("status/404"));
    expect((await faultCounts()).status).toBe(3);
  });

  it("the retry budget retries a 5xx, never a timeout", async () => {
    await seedPopular();
    await withPolicy("cfg-r2", { originRetries: 2 });
    const r2 = await rec(eager(), "6", fault("status/503"));
    expect(r2.degraded[0]).toBe("origin: HTTP 503 (after 3 attempts)");
    expect((await faultCounts()).status).toBe(3);
    await resetFaultCounts();
    await withPolicy("cfg-r0", { originRetries: 0 });
    expect((await rec(eager(), "6", fault("status/503"))).degraded[0]).toBe("origin: HTTP 503");
    expect((await faultCounts()).status).toBe(1);
    await withPolicy("cfg-t", { originRetries: 3, originTimeoutMs: 100 });
    expect((await rec(eager(), "7", fault("slow/400"))).degraded[0]).toBe("origin: timed out after 100 ms");
    expect((await faultCounts()).slow).toBe(1);
  });
});

describe("reading the config pointer", () => {
  it("after a KV error it looks again within POINTER_RETRY_MS; after a bad document it waits the interval", async () => {
    let now = 1_000_000;
    const store = new ConfigStore(10_000, () => now);
    const flaky = flakyKv(env.KV);
    const good = (await publishConfig("cfg-good")).version;
    expect((await store.get(flaky.kv, undefined)).version).toBe(good);
    flaky.failing = true;
    now += 10_000;
    await store.get(flaky.kv, undefined);
    const outage = `config: config:active unreadable (KV GET failed: 503 Service Unavailable (injected)); serving last good config ${good}`;
    expect(store.status().problem).toBe(outage);
    flaky.failing = false;
    now += POINTER_RETRY_MS - 1;
    await store.get(flaky.kv, undefined);
    expect(store.status().problem).toBe(outage);
    now += 1;
    expect((await store.get(flaky.kv, undefined)).version).toBe(good);
    expect(store.status().problem).toBeNull();
    // A pointer that is not JSON is an answer, not an outage: re-reading it every second would not fix it.
    const pointer = (await env.KV.get(configKeys.active)) as string;
    await env.KV.put(configKeys.active, "{not json");
    now += 10_000;
    await store.get(flaky.kv, undefined);
    const bad = `config: config:active unreadable (not JSON); serving last good config ${good}`;
    expect(store.status().problem).toBe(bad);
    await env.KV.put(configKeys.active, pointer);
    now += POINTER_RETRY_MS;
    await store.get(flaky.kv, undefined);
    expect(store.status().problem).toBe(bad);
    now += 10_000 - POINTER_RETRY_MS;
    await store.get(flaky.kv, undefined);
    expect(store.status().problem).toBeNull();
  });
});

describe("missWaitMs: the latency budget for a list the edge lacks", () => {
  const late = (ms: number) => `origin: no answer within missWaitMs (${ms} ms); the list is filled in the background`;
  const noModel = "model (none): no active model published";

  it("past the budget the fallback answers; the origin's list lands in the cache for the next request", async () => {
    await seedPopular();
    await withPolicy("cfg-mw", { missWaitMs: 50, originRetries: 0 });
    const h = eager();
    const first = await rec(h, "11", fault("slow/400"));
    expect([first.servedBy, first.cache.status, first.degraded]).toEqual(["fallback-popular", "fallback", [late(50)]]);
    // The fetch finished after the answer left: the ops page still counts it, once, as a fetch, not a request.
    const ops = await h.call("/ops/data", { headers: { authorization: "Bearer t" } }, { OPS_TOKEN: "t" });
    const eu = (await getJson<{ regions: RegionSummary[] }>(ops)).regions.find((r) => r.region === "eu-west");
    expect([eu?.requests, eu?.originFetches, eu?.originErrors]).toEqual([1, 1, 0]);
    // The harness waits for waitUntil, as the runtime does: the slow answer has been written to KV by now.
    expect(await env.KV.get(keys.candidates("top-picks", "11", "eu-west"), "arrayBuffer")).not.toBeNull();
    const second = await rec(h, "11", fault("slow/400"));
    expect([second.servedBy, second.cache.status, second.degraded]).toEqual(["origin-order", "hit", [noModel]]);
    expect((await faultCounts()).slow).toBe(1);
  });

  it("0 never waits: a new user's origin 404 arrives in the background and is remembered", async () => {
    await seedPopular();
    await withPolicy("cfg-mw0", { missWaitMs: 0, negativeCacheSeconds: 30 });
    const h = eager();
    const first = await rec(h, "12", fault("status/404"));
    expect([first.servedBy, first.degraded]).toEqual(["fallback-popular", [late(0)]]);
    const second = await rec(h, "12", fault("status/404"));
    expect([second.servedBy, second.degraded]).toEqual([
      "fallback-popular",
      ["origin: 404 for cand:top-picks:user:12 remembered (30 s left of negativeCacheSeconds)"],
    ]);
    expect((await faultCounts()).status).toBe(1);
  });

  it("a copy inside staleIfErrorSeconds answers before the fallback lists do", async () => {
    await seedPopular();
    await withPolicy("cfg-mw-stale", {
      missWaitMs: 0,
      freshSeconds: 60,
      staleWhileRevalidateSeconds: 60,
      staleIfErrorSeconds: 3600,
    });
    await seedAged("13", 600);
    const body = await rec(eager(), "13", fault("slow/200"));
    expect([body.servedBy, body.cache.status, body.cache.ageSeconds, body.degraded]).toEqual([
      "stale",
      "stale-if-error",
      600,
      [late(0), noModel],
    ]);
  });

  it("with nothing else to serve the request waits for the origin after all", async () => {
    await withPolicy("cfg-mw-none", { missWaitMs: 0 });
    const body = await rec(eager(), "14", fault("slow/100"));
    expect([body.servedBy, body.cache.status, body.degraded]).toEqual(["origin-order", "miss", [noModel]]);
    expect(body.items).toHaveLength(10);
  });

  it("null (the default) waits out the origin's whole budget", async () => {
    await seedPopular();
    await withPolicy("cfg-mw-null", { missWaitMs: null, originRetries: 0 });
    const body = await rec(eager(), "15", fault("slow/200"));
    expect([body.servedBy, body.cache.status, body.degraded]).toEqual(["origin-order", "miss", [noModel]]);
  });
});

describe("peak profile from the region's local time", () => {
  const everyDay = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
  async function peakConfig() {
    await publishConfig("cfg-peak", (cfg) => {
      for (const id of ["eu-west", "us-east"]) {
        const r = cfg.regions[id] as EdgeConfig["regions"][string];
        r.peak = {
          schedules: [{ days: [...everyDay], start: "19:00", end: "23:00" }],
          policy: { candidateDepth: 4 },
          rows: {},
        };
      }
    });
  }
  async function at(h: Harness, region: string, iso: string) {
    const body = await rec(h, "8", DOWN, { "x-frontrow-region": region, "x-frontrow-now": iso });
    return `${body.config.profile}:${body.items.length}`;
  }

  it("switches on and off at local times, per zone, across daylight-saving changes", async () => {
    await peakConfig();
    await seed(
      keys.candidates("top-picks", "8", "eu-west"),
      "/v1/candidates/top-picks?user=8&region=eu-west&depth=500",
    );
    await seed(
      keys.candidates("top-picks", "8", "us-east"),
      "/v1/candidates/top-picks?user=8&region=us-east&depth=500",
    );
    const h = eager();
    // Paris: winter UTC+1, summer (from 29 March 2026) UTC+2. Peak candidateDepth 4 caps the row at 4 items.
    expect(await at(h, "eu-west", "2026-03-28T17:59:00Z")).toBe("base:10"); // 18:59 CET
    expect(await at(h, "eu-west", "2026-03-28T18:00:00Z")).toBe("peak:4"); // 19:00 CET
    expect(await at(h, "eu-west", "2026-03-29T17:00:00Z")).toBe("peak:4"); // 19:00 CEST
    expect(await at(h, "eu-west", "2026-03-29T20:59:00Z")).toBe("peak:4"); // 22:59 CEST
    expect(await at(h, "eu-west", "2026-03-29T21:00:00Z")).toBe("base:10"); // 23:00 CEST
    // New York at the same instants is in its afternoon; its own evening follows its own DST change.
    expect(await at(h, "us-east", "2026-03-29T17:00:00Z")).toBe("base:10");
    expect(await at(h, "us-east", "2026-10-31T23:00:00Z")).toBe("peak:4"); // 19:00 EDT
    expect(await at(h, "us-east", "2026-11-01T23:30:00Z")).toBe("base:10"); // 18:30 EST
    expect(await at(h, "us-east", "2026-11-02T00:00:00Z")).toBe("peak:4"); // 19:00 EST
  });
});

describe("candidateDepth, diversity and originTimeoutMs", () => {
  it("candidateDepth bounds which of the list's candidates are scored and can be served", async () => {
    await withPolicy("cfg-depth", { candidateDepth: 5 });
    const key = await seedAged("3", 10);
    const list = decodeCandidateList((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer);
    const body = await rec(eager(), "3", DOWN);
    // No model in this test: origin order, so exactly the list's first five, in its order.
    expect(body.servedBy).toBe("origin-order");
    expect(body.items.map((i) => i.id)).toEqual([...list.ids.slice(0, 5)]);
  });

  it("diversity caps one primary genre in the first window slots", async () => {
    const key = await seedAged("4", 10);
    const list = decodeCandidateList((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer);
    const genreOf = (id: number) => list.primaryGenre[list.ids.indexOf(id)] as number;
    const maxRepeat = (ids: number[]) =>
      Math.max(...[...new Set(ids.map(genreOf))].map((g) => ids.filter((id) => genreOf(id) === g).length));
    await withPolicy("cfg-div-off", { diversity: { window: 0, maxPerGenre: 1 } });
    const loose = await rec(eager(), "4", DOWN);
    await withPolicy("cfg-div-1", { diversity: { window: 10, maxPerGenre: 1 } });
    const strict = await rec(eager(), "4", DOWN);
    const distinctGenres = new Set(loose.items.map((i) => genreOf(i.id))).size;
    expect(maxRepeat(loose.items.slice(0, 10).map((i) => i.id))).toBeGreaterThan(1);
    expect(maxRepeat(strict.items.slice(0, Math.min(10, distinctGenres)).map((i) => i.id))).toBe(1);
    // Demoted titles wait past the window, so a full row still comes back.
    expect([loose.items.length, strict.items.length]).toEqual([10, 10]);
  });

  it("originTimeoutMs is how long a miss waits for the origin", async () => {
    await seedPopular();
    await withPolicy("cfg-t", { originTimeoutMs: 300, originRetries: 0 });
    const body = await rec(eager(), "5", fault("slow/600"));
    expect([body.servedBy, body.degraded[0]]).toEqual(["fallback-popular", "origin: timed out after 300 ms"]);
  });
});

describe("modelVersion pin", () => {
  const US = { ...EU, "x-frontrow-region": "us-east" };

  it("a region's pin serves that version there once loaded; other regions follow the activation pointer", async () => {
    const active = trainedModel();
    const pinned = { onnx: active.onnx, manifest: { ...active.manifest, version: "pinned-1" } };
    await publishModel(pinned);
    await publishModel(active);
    await seedUser("1", "eu-west");
    await seedUser("1", "us-east");
    const h = eager();
    const before = await rec(h, "1", DOWN);
    expect([before.servedBy, before.model.version]).toEqual(["model", active.manifest.version]);
    const pinCfg = await publishConfig("cfg-pin-eu", (cfg) => {
      const eu = cfg.regions["eu-west"] as NonNullable<(typeof cfg.regions)[string]>;
      eu.policy = { ...(eu.policy ?? {}), modelVersion: "pinned-1" };
    });
    // The pin loads in the background (a request never waits for it) and serves from the next request on.
    const first = await rec(h, "1", DOWN);
    expect([first.config.version, first.servedBy, first.model.version, first.degraded]).toEqual([
      pinCfg.version,
      "model",
      active.manifest.version,
      ["model pinned-1 (pinned by the edge policy): loading"],
    ]);
    const eu = await rec(h, "1", DOWN);
    expect([eu.servedBy, eu.model.version, eu.degraded]).toEqual(["model", "pinned-1", []]);
    const us = await rec(h, "1", DOWN, US);
    expect([us.context.region, us.servedBy, us.model.version, us.degraded]).toEqual([
      "us-east",
      "model",
      active.manifest.version,
      [],
    ]);
  });

  it("a pin naming a version that does not load falls back to the pointer's model and says why", async () => {
    const active = trainedModel();
    await publishModel(active);
    await seedUser("1", "eu-west");
    await publishConfig("cfg-bad-pin", (cfg) => {
      cfg.policy.modelVersion = "missing-9";
    });
    const h = eager();
    await rec(h, "1", DOWN);
    const body = await rec(h, "1", DOWN);
    expect([body.servedBy, body.model.version]).toEqual(["model", active.manifest.version]);
    expect(body.degraded).toEqual(["model missing-9 (pinned by the edge policy): manifest missing"]);
  });
});
