// GET /v1/recommendations in workerd against the real origin and a real trained model: the happy paths.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { UserProfileSchema } from "../../core/features.js";
import { keys } from "../../core/keys.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import {
  aged,
  EU_EVENING,
  fault,
  faultCounts,
  getJson,
  harness,
  publishModel,
  resetFaultCounts,
  seed,
  seedUser,
  trainedModel,
} from "./helpers.js";

beforeEach(async () => {
  await reset();
  await resetFaultCounts();
});

describe("happy path", () => {
  it("serves user 1's top-picks re-ranked by the model, with timings and a request id", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seedUser("1");
    const listBytes = await env.KV.get(keys.candidates("top-picks", "1", "eu-west"), "arrayBuffer");
    const list = decodeCandidateList(listBytes as ArrayBuffer);
    const profile = UserProfileSchema.parse(await env.KV.get(keys.profile("1"), "json"));
    const { call } = harness();

    const res = await call("/v1/recommendations/1?row=top-picks&limit=20&device=tv", { headers: EU_EVENING });
    expect(res.status).toBe(200);
    const body = await getJson<RecommendationsResponse>(res);
    expect(body.servedBy).toBe("model");
    expect(body.model.version).toBe(model.manifest.version);
    expect(body.cache.status).toBe("hit");
    expect(body.degraded).toEqual([]);
    expect(body.context).toEqual({ region: "eu-west", timeZone: "Europe/Paris", localHour: 20, device: "tv" });
    expect(body.items).toHaveLength(20);
    expect(body.items.map((i) => i.rank)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const listIds = new Set(list.ids);
    const watched = new Set(profile.watched);
    const regionBit = list.header.regions.indexOf("eu-west");
    for (const item of body.items) {
      expect(listIds.has(item.id)).toBe(true);
      expect(watched.has(item.id)).toBe(false);
      const at = list.ids.indexOf(item.id);
      expect(item.title).toBe(list.title(at));
      expect(((list.regions[at] as number) >>> regionBit) & 1).toBe(1);
    }
    // Diversity: at most 3 of one primary genre in the first 10.
    const genres = body.items.slice(0, 10).map((i) => list.primaryGenre[list.ids.indexOf(i.id)] as number);
    for (const g of new Set(genres)) expect(genres.filter((x) => x === g).length).toBeLessThanOrEqual(3);
    // The model re-ranked: the row is not the origin's order with watched/unavailable titles removed.
    const originOrder = [...list.ids].filter(
      (id, i) => !watched.has(id) && (((list.regions[i] as number) >>> regionBit) & 1) === 1,
    );
    expect(body.items.map((i) => i.id)).not.toEqual(originOrder.slice(0, 20));

    expect(res.headers.get("x-request-id")).toBe(body.requestId);
    const timing = res.headers.get("server-timing") ?? "";
    for (const metric of ["kv", "origin", "features", "model", "total"])
      expect(timing).toMatch(new RegExp(`(^|,)${metric};dur=`));
  });

  it("answers the same for the same request (deterministic scores and ties)", async () => {
    await publishModel(trainedModel());
    await seedUser("2");
    const { call } = harness();
    const a = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/2?limit=30", { headers: EU_EVENING }),
    );
    const b = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/2?limit=30", { headers: EU_EVENING }),
    );
    expect(b.items).toEqual(a.items);
  });

  it("context changes the ranking: the same user on a phone at 8:00 and on a TV at 21:00", async () => {
    await publishModel(trainedModel());
    await seedUser("3");
    const { call } = harness();
    const morning = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/3?limit=20&device=phone", {
        headers: { ...EU_EVENING, "x-frontrow-now": "2026-11-02T07:00:00Z" },
      }),
    );
    const evening = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/3?limit=20&device=tv", {
        headers: { ...EU_EVENING, "x-frontrow-now": "2026-11-01T20:00:00Z" },
      }),
    );
    expect(morning.context.localHour).toBe(8);
    expect(evening.context.localHour).toBe(21);
    expect(morning.items.map((i) => i.id)).not.toEqual(evening.items.map((i) => i.id));
  });

  it("serves trending per region and because-you-watched per user", async () => {
    await publishModel(trainedModel());
    await seed(keys.candidates("trending", "1", "us-east"), "/v1/candidates/trending?user=1&region=us-east&depth=300");
    await seed(
      keys.candidates("because-you-watched", "1", "eu-west"),
      "/v1/candidates/because-you-watched?user=1&region=eu-west&depth=200",
    );
    const { call } = harness();
    const trending = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/1?row=trending&limit=10", {
        headers: { ...EU_EVENING, "x-frontrow-region": "us-east" },
      }),
    );
    expect([trending.servedBy, trending.cache.status, trending.items.length]).toEqual(["model", "hit", 10]);
    const byw = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/1?row=because-you-watched&limit=10", { headers: EU_EVENING }),
    );
    expect([byw.servedBy, byw.cache.status, byw.items.length]).toEqual(["model", "hit", 10]);
  });

  it("fetches a missing list from the origin, answers 'miss', and writes it back to KV", async () => {
    await publishModel(trainedModel());
    const { call } = harness();
    const res = await call("/v1/recommendations/4?limit=5", { headers: EU_EVENING }, { ORIGIN_URL: fault("ok") });
    const body = await getJson<RecommendationsResponse>(res);
    expect([res.status, body.servedBy, body.cache.status, body.items.length]).toEqual([200, "model", "miss", 5]);
    expect((await faultCounts()).ok).toBe(1);
    const written = await env.KV.get(keys.candidates("top-picks", "4", "eu-west"), "arrayBuffer");
    expect(decodeCandidateList(written as ArrayBuffer).header.scope).toBe("user:4");
  });

  it("coalesces concurrent misses for one key into one origin fetch", async () => {
    await publishModel(trainedModel());
    const { call } = harness();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        call("/v1/recommendations/5?limit=5", { headers: EU_EVENING }, { ORIGIN_URL: fault("slow/150") }),
      ),
    );
    const bodies = await Promise.all(results.map((r) => getJson<RecommendationsResponse>(r)));
    expect(bodies.map((b) => b.cache.status)).toEqual(Array(8).fill("miss"));
    expect((await faultCounts()).slow).toBe(1);
  });

  it("past freshness but inside stale-while-revalidate: serves stale and refreshes once in the background", async () => {
    await publishModel(trainedModel());
    const key = keys.candidates("top-picks", "6", "eu-west");
    const bytes = await seed(key, "/v1/candidates/top-picks?user=6&region=eu-west&depth=500");
    await env.KV.put(key, aged(bytes, 600));
    const { call } = harness();
    const first = await getJson<RecommendationsResponse>(
      await call("/v1/recommendations/6?limit=5", { headers: EU_EVENING }, { ORIGIN_URL: fault("ok") }),
    );
    expect([first.servedBy, first.cache.status, first.cache.ageSeconds]).toEqual(["model", "stale", 600]);
    expect((await faultCounts()).ok).toBe(1);
    const refreshed = decodeCandidateList((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer);
    expect(Date.now() - refreshed.header.generatedAt).toBeLessThan(60_000);
  });

  it("picks up a newly activated model version without a restart", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seedUser("7");
    const h = harness();
    const before = await getJson<RecommendationsResponse>(
      await h.call("/v1/recommendations/7?limit=5", { headers: EU_EVENING }),
    );
    expect(before.model.version).toBe(model.manifest.version);
    const next = { onnx: model.onnx, manifest: { ...model.manifest, version: `${model.manifest.version}-b` } };
    await publishModel(next);
    // The registry re-reads the pointer every 10 s; loading happens in the background, then swaps.
    const pending: Promise<unknown>[] = [];
    const stillOld = await h.svc.models.get(env.KV, (p) => pending.push(p), Date.now() + 11_000);
    expect(stillOld.ranker?.version).toBe(model.manifest.version);
    await Promise.all(pending);
    const after = await getJson<RecommendationsResponse>(
      await h.call("/v1/recommendations/7?limit=5", { headers: EU_EVENING }),
    );
    expect(after.model.version).toBe(next.manifest.version);
    expect(after.items).toEqual(before.items);
  });
});

describe("/v1/ping and /healthz", () => {
  it("reports model, config and KV", async () => {
    const model = trainedModel();
    await publishModel(model);
    const { call } = harness();
    const body = await getJson(await call("/healthz"));
    expect(body).toMatchObject({
      status: "ok",
      model: { version: model.manifest.version, problem: null },
      config: { version: "defaults-1" },
      kv: { ok: true, error: null },
    });
  });

  it("says degraded when no model is published", async () => {
    const { call } = harness();
    const body = await getJson(await call("/healthz"));
    expect(body).toMatchObject({
      status: "degraded",
      model: { version: null, problem: "model (none): no active model published" },
    });
  });

  it("ping answers without touching KV", async () => {
    const { call } = harness();
    const res = await call("/v1/ping");
    expect(res.status).toBe(200);
    expect(await getJson(res)).toEqual({ ok: true, requestId: res.headers.get("x-request-id") });
  });
});
