// Ops page in workerd: traffic is counted per region in the OpsStats Durable Object and shown behind the token.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { keys } from "../../core/keys.js";
import type { RegionSummary } from "../src/ops/stats.js";
import {
  aged,
  DOWN,
  fault,
  faultCounts,
  getJson,
  type Harness,
  harness,
  resetFaultCounts,
  seed,
  seedPopular,
} from "./helpers.js";

beforeEach(async () => {
  await reset();
  await resetFaultCounts();
});

const TOKEN = "ops-test-token";
const SG = { "x-frontrow-region": "ap-southeast", "x-frontrow-now": "2026-11-02T04:00:00Z" };

async function data(h: Harness): Promise<RegionSummary | undefined> {
  const res = await h.call("/ops/data", { headers: { authorization: `Bearer ${TOKEN}` } }, { OPS_TOKEN: TOKEN });
  expect(res.status).toBe(200);
  const body = await getJson<{ regions: RegionSummary[] }>(res);
  return body.regions.find((r) => r.region === "ap-southeast");
}

describe("/ops", () => {
  it("needs the token: 401 without or with a wrong one, 404 when the secret is unset", async () => {
    const h = harness();
    expect((await h.call("/ops", {}, { OPS_TOKEN: TOKEN })).status).toBe(401);
    expect((await h.call("/ops?token=nope", {}, { OPS_TOKEN: TOKEN })).status).toBe(401);
    expect((await h.call("/ops", { headers: { authorization: "Bearer nope" } }, { OPS_TOKEN: TOKEN })).status).toBe(
      401,
    );
    const off = await h.call("/ops", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([off.status, (await getJson<{ error: { code: string } }>(off)).error.code]).toEqual([404, "not_found"]);
    expect((await h.call(`/ops?token=${TOKEN}`, {}, { OPS_TOKEN: TOKEN })).status).toBe(200);
  });

  it("counts hits, misses, fallbacks, origin fetches and errors per region, and charts them", async () => {
    const h = harness();
    const before = await data(h);
    await seed(
      keys.candidates("top-picks", "30", "ap-southeast"),
      "/v1/candidates/top-picks?user=30&region=ap-southeast&depth=500",
    );
    await seedPopular("ap-southeast");
    const get = (user: string, origin: string) =>
      h.call(`/v1/recommendations/${user}?limit=5`, { headers: SG }, { ORIGIN_URL: origin });
    for (let i = 0; i < 3; i++) expect((await get("30", DOWN)).status).toBe(200); // hits
    expect((await get("31", fault("ok"))).status).toBe(200); // miss: one origin fetch
    expect((await get("32", DOWN)).status).toBe(200); // fallback: two failed attempts (retry budget 1)
    const after = (await data(h)) as RegionSummary;
    const delta = (k: keyof RegionSummary) => (after[k] as number) - ((before?.[k] as number | undefined) ?? 0);
    const cacheDelta = (k: string) => (after.cache[k] ?? 0) - (before?.cache[k] ?? 0);
    expect([delta("requests"), cacheDelta("hit"), cacheDelta("miss"), cacheDelta("fallback")]).toEqual([5, 3, 1, 1]);
    expect([delta("originFetches"), delta("originErrors")]).toEqual([3, 2]);
    if (!before) {
      expect([after.hitRatio, after.fallbackRate, after.staleServes]).toEqual([0.6, 0.2, 0]);
      expect(after.latencyP50Ms).not.toBeNull();
      expect(after.perMinute.reduce((a, [, n]) => a + n, 0)).toBe(5);
    }
    expect(after.configVersion).toBe("defaults-1");

    const page = await h.call(`/ops?token=${TOKEN}`, {}, { OPS_TOKEN: TOKEN });
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    for (const chart of ["cache", "rates", "origin", "latency", "requests"]) {
      expect(html).toContain(`data-chart="${chart}" data-region="ap-southeast"`);
    }
    expect(html).toContain(`data-series="hit" data-value="${after.cache.hit}"`);
    expect(html).toContain(`data-series="errors" data-value="${after.originErrors}"`);
  });

  it("counts an origin fetch that finished after its answer left (a revalidation)", async () => {
    const h = harness();
    const before = await data(h);
    const key = keys.candidates("top-picks", "33", "ap-southeast");
    const bytes = await seed(key, "/v1/candidates/top-picks?user=33&region=ap-southeast&depth=500");
    // Past freshSeconds (300) but inside staleWhileRevalidateSeconds: served stale while one refresh runs.
    await env.KV.put(key, aged(bytes, 600));
    const res = await h.call("/v1/recommendations/33?limit=5", { headers: SG }, { ORIGIN_URL: fault("ok") });
    expect((await getJson<{ cache: { status: string } }>(res)).cache.status).toBe("stale");
    expect((await faultCounts()).ok).toBe(1);
    const after = (await data(h)) as RegionSummary;
    const delta = (k: keyof RegionSummary) => (after[k] as number) - ((before?.[k] as number | undefined) ?? 0);
    expect([delta("requests"), delta("originFetches"), delta("originErrors")]).toEqual([1, 1, 0]);
  });
});
