// Faults degrade to the next tier, visibly, never to a 5xx: origin down/slow/500/malformed, corrupt KV, broken models.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { keys } from "../../core/keys.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import {
  aged,
  DOWN,
  EU_EVENING,
  fault,
  getJson,
  harness,
  publishModel,
  resetFaultCounts,
  seedPopular,
  seedUser,
  trainedModel,
} from "./helpers.js";

beforeEach(async () => {
  await reset();
  await resetFaultCounts();
});

async function get(origin: string, user = "1", h = harness()): Promise<[number, RecommendationsResponse]> {
  const res = await h.call(`/v1/recommendations/${user}?limit=10`, { headers: EU_EVENING }, { ORIGIN_URL: origin });
  return [res.status, await getJson<RecommendationsResponse>(res)];
}

describe("origin faults with nothing cached: the regional popular list answers", () => {
  const cases: [string, string, string][] = [
    ["down", DOWN, "origin: "],
    ["slow (past the 800 ms timeout)", fault("slow/1500"), "origin: timed out after 800 ms"],
    ["HTTP 500", fault("status/500"), "origin: HTTP 500"],
    [
      "malformed body",
      fault("malformed"),
      "origin: malformed body (candidate list: checksum mismatch (value truncated or corrupt))",
    ],
    [
      "truncated body",
      fault("truncated"),
      "origin: malformed body (candidate list: checksum mismatch (value truncated or corrupt))",
    ],
  ];
  for (const [name, origin, reason] of cases) {
    it(name, async () => {
      await publishModel(trainedModel());
      await seedPopular();
      const [status, body] = await get(origin);
      expect(status).toBe(200);
      expect([body.servedBy, body.cache.status, body.model.version]).toEqual(["fallback-popular", "fallback", null]);
      expect(body.items).toHaveLength(10);
      expect(body.degraded[0]?.startsWith(reason)).toBe(true);
    });
  }
});

describe("origin faults with a list cached", () => {
  it("inside stale-if-error: the stale list answers, still re-ranked by the model", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seedUser("1");
    const key = keys.candidates("top-picks", "1", "eu-west");
    await env.KV.put(key, aged((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer, 7200));
    const [status, body] = await get(DOWN);
    expect(status).toBe(200);
    expect([body.servedBy, body.cache.status, body.cache.ageSeconds, body.model.version]).toEqual([
      "stale",
      "stale-if-error",
      7200,
      model.manifest.version,
    ]);
    expect(body.items).toHaveLength(10);
  });

  it("past stale-if-error: the popular list answers and says why", async () => {
    await publishModel(trainedModel());
    await seedUser("1");
    await seedPopular();
    const key = keys.candidates("top-picks", "1", "eu-west");
    await env.KV.put(key, aged((await env.KV.get(key, "arrayBuffer")) as ArrayBuffer, 200_000));
    const [status, body] = await get(DOWN);
    expect([status, body.servedBy, body.cache.status]).toEqual([200, "fallback-popular", "fallback"]);
    expect(body.degraded).toContain("cached list is 200000 s old, past the stale-if-error window");
  });

  it("popular fallback still drops watched titles", async () => {
    await publishModel(trainedModel());
    await seedUser("1");
    await env.KV.delete(keys.candidates("top-picks", "1", "eu-west"));
    await seedPopular();
    const profile = (await env.KV.get(keys.profile("1"), "json")) as { watched: number[] };
    const [, body] = await get(DOWN);
    expect(body.servedBy).toBe("fallback-popular");
    for (const item of body.items) expect(profile.watched).not.toContain(item.id);
  });

  it("with no list anywhere and the origin down: 200, an empty row, and the reasons", async () => {
    const [status, body] = await get(DOWN);
    expect([status, body.servedBy, body.cache.status, body.items]).toEqual([200, "empty", "none", []]);
    expect(body.degraded.at(-1)).toBe("no popular list for region eu-west");
  });
});

describe("corrupt KV values", () => {
  it("a corrupt cached list is ignored and refetched from the origin", async () => {
    await publishModel(trainedModel());
    await env.KV.put(
      keys.candidates("top-picks", "1", "eu-west"),
      new Uint8Array([70, 82, 67, 49, 0, 0, 0, 0, 1, 2, 3, 4]),
    );
    const [status, body] = await get(fault("ok"));
    expect([status, body.servedBy, body.cache.status]).toEqual([200, "model", "miss"]);
    expect(body.degraded).toEqual([
      "cache: cand:top-picks:user:1 unreadable (candidate list: checksum mismatch (value truncated or corrupt))",
    ]);
  });

  it("a corrupt profile means a cold user, said, not an error", async () => {
    await publishModel(trainedModel());
    await seedUser("1");
    await env.KV.put(keys.profile("1"), "{not json");
    const [status, body] = await get(DOWN);
    expect([status, body.servedBy]).toEqual([200, "model"]);
    expect(body.degraded).toEqual(["profile corrupt (not JSON)"]);
  });
});

describe("model faults: origin order answers, with the reason", () => {
  it("no model published", async () => {
    await seedUser("1");
    const [status, body] = await get(DOWN);
    expect([status, body.servedBy, body.model.version]).toEqual([200, "origin-order", null]);
    expect(body.degraded).toEqual(["model (none): no active model published"]);
    // Origin order: the list's first titles, minus watched and unavailable ones, in order.
    const scores = body.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("model bytes missing", async () => {
    const model = trainedModel();
    await publishModel(model);
    await env.KV.delete(keys.modelBytes(model.manifest.version));
    await seedUser("1");
    const [, body] = await get(DOWN);
    expect([body.servedBy, body.degraded]).toEqual([
      "origin-order",
      [`model ${model.manifest.version}: ONNX bytes missing`],
    ]);
  });

  it("model bytes corrupt (checksum mismatch)", async () => {
    const model = trainedModel();
    const corrupt = model.onnx.slice();
    corrupt[corrupt.length >> 1] = (corrupt[corrupt.length >> 1] as number) ^ 0xff;
    await publishModel(model, corrupt);
    await seedUser("1");
    const [, body] = await get(DOWN);
    expect(body.servedBy).toBe("origin-order");
    expect(body.degraded[0]).toMatch(
      new RegExp(
        `^model ${model.manifest.version}: checksum mismatch: sha256 [0-9a-f]{64}, manifest says ${model.manifest.sha256}$`,
      ),
    );
  });

  it("manifest invalid", async () => {
    const model = trainedModel();
    await publishModel({ ...model, manifest: { ...model.manifest, sha256: "nope" } });
    await seedUser("1");
    const [, body] = await get(DOWN);
    expect(body.servedBy).toBe("origin-order");
    expect(body.degraded[0]).toBe(
      `model ${model.manifest.version}: manifest invalid at sha256: sha256 must be 64 lowercase hex digits`,
    );
  });

  it("a model that scores NaN", async () => {
    const m = inject("nanModel");
    const nan = {
      onnx: Uint8Array.from(atob(m.onnxBase64), (ch) => ch.charCodeAt(0)),
      manifest: JSON.parse(m.manifestJson),
    };
    await publishModel(nan);
    await seedUser("1");
    const [status, body] = await get(DOWN);
    expect([status, body.servedBy, body.model.version]).toEqual([200, "origin-order", null]);
    expect(body.degraded[0]).toMatch(
      new RegExp(`^model ${nan.manifest.version}: non finite score: score 0 of \\d+ is NaN$`),
    );
  });

  it("a bad new version never replaces the good one already serving", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seedUser("1");
    const h = harness();
    const [, before] = await get(DOWN, "1", h);
    expect(before.model.version).toBe(model.manifest.version);
    const bad = { onnx: model.onnx, manifest: { ...model.manifest, version: "broken-1" } };
    await publishModel(bad, new Uint8Array([1, 2, 3]));
    const pending: Promise<unknown>[] = [];
    await h.svc.models.get(env.KV, (p) => pending.push(p), Date.now() + 11_000);
    await Promise.all(pending);
    const [, after] = await get(DOWN, "1", h);
    expect([after.servedBy, after.model.version]).toEqual(["model", model.manifest.version]);
    expect(h.svc.models.status().problem).toMatch(/^model broken-1: /);
  });
});
