// Bad requests get a 4xx in the one error shape; re-rank calls; security cases (context spoofing, ids, bodies).
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { keys } from "../../core/keys.js";
import type { ErrorBody } from "../src/errors.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import type { RerankResponse } from "../src/routes/rerank.js";
import {
  DOWN,
  EU_EVENING,
  getJson,
  harness,
  ORIGIN,
  publishModel,
  seed,
  seedPopular,
  seedUser,
  trainedModel,
} from "./helpers.js";

beforeEach(async () => {
  await reset();
});

async function expectError(res: Response, status: number, code: string, message: string | RegExp): Promise<void> {
  const body = await getJson<ErrorBody>(res);
  expect(res.status).toBe(status);
  expect(body.error.code).toBe(code);
  if (typeof message === "string") expect(body.error.message).toBe(message);
  else expect(body.error.message).toMatch(message);
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
}

describe("GET /v1/recommendations: bad input", () => {
  const cases: [string, string, RegExp | string][] = [
    ["limit=0", "/v1/recommendations/1?limit=0", /^query\.limit: Too small/],
    ["limit=abc", "/v1/recommendations/1?limit=abc", /^query\.limit: Invalid input: expected number/],
    ["limit=1e9", "/v1/recommendations/1?limit=1e9", /^query\.limit: Too big/],
    ["limit=2.5", "/v1/recommendations/1?limit=2.5", /^query\.limit: Invalid input: expected int/],
    ["unknown row", "/v1/recommendations/1?row=best-of", /^query\.row: Invalid option/],
    ["bad device", "/v1/recommendations/1?device=fridge", /^query\.device: Invalid option/],
    [
      "user id with bad characters",
      "/v1/recommendations/a%20b",
      "param.userId: must be 1-64 characters of [A-Za-z0-9_-]",
    ],
    [
      "user id too long",
      `/v1/recommendations/${"9".repeat(65)}`,
      "param.userId: must be 1-64 characters of [A-Za-z0-9_-]",
    ],
  ];
  for (const [name, path, message] of cases) {
    it(`${name} -> 400`, async () => {
      await expectError(await harness().call(path), 400, "invalid_request", message);
    });
  }

  it("unknown route -> 404 in the error shape", async () => {
    await expectError(await harness().call("/v2/nothing"), 404, "not_found", "no route for GET /v2/nothing");
  });

  it("unknown region override -> 400 naming the header", async () => {
    const res = await harness().call("/v1/recommendations/1", { headers: { "x-frontrow-region": "mars" } });
    await expectError(res, 400, "invalid_request", 'header x-frontrow-region: unknown region "mars"');
  });

  it("an unknown user is not an error: a new sign-up gets the regional popular row", async () => {
    await publishModel(trainedModel());
    await seedPopular();
    const res = await harness().call(
      "/v1/recommendations/99999999?limit=5",
      { headers: EU_EVENING },
      { ORIGIN_URL: ORIGIN },
    );
    const body = await getJson<RecommendationsResponse>(res);
    expect([res.status, body.servedBy, body.items.length]).toEqual([200, "fallback-popular", 5]);
    expect(body.degraded[0]).toBe("origin: 404 for /v1/candidates/top-picks");
  });
});

describe("POST /v1/rerank", () => {
  async function post(body: unknown, headers: Record<string, string> = {}) {
    return harness().call("/v1/rerank", {
      method: "POST",
      headers: { "content-type": "application/json", ...EU_EVENING, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  it("re-ranks ids-only candidates with catalog features and drops watched titles", async () => {
    const model = trainedModel();
    await publishModel(model);
    await seed(keys.catalog, "/v1/catalog");
    await seedUser("1");
    const list = decodeCandidateList(
      (await env.KV.get(keys.candidates("top-picks", "1", "eu-west"), "arrayBuffer")) as ArrayBuffer,
    );
    const ids = [...list.ids.slice(0, 100)];
    const res = await post({ userId: "1", candidates: ids.map((id) => ({ id })), limit: 10 });
    const body = await getJson<RerankResponse>(res);
    expect([res.status, body.servedBy, body.model.version, body.items.length]).toEqual([
      200,
      "model",
      model.manifest.version,
      10,
    ]);
    for (const item of body.items) expect(ids).toContain(item.id);
    expect(body.items.every((i) => i.title.length > 0)).toBe(true);
  });

  it("re-ranks candidates sent with their own features, without the catalog", async () => {
    await publishModel(trainedModel());
    const candidates = [
      { id: 900001, title: "A", cfScore: 0.9, popularity: 0.2, genres: ["Drama"], year: 2001 },
      {
        id: 900002,
        title: "B",
        cfScore: 0.8,
        popularity: 0.9,
        genres: ["Comedy", "Romance"],
        tags: ["funny"],
        year: 2024,
      },
      { id: 900003, title: "C", cfScore: 0.7, popularity: 0.5, genres: ["Horror"], year: 1985 },
    ];
    const res = await post({ userId: "new-user", candidates });
    const body = await getJson<RerankResponse>(res);
    expect([res.status, body.servedBy]).toEqual([200, "model"]);
    expect(body.items.map((i) => i.id).sort()).toEqual([900001, 900002, 900003]);
    expect(body.items.map((i) => i.rank)).toEqual([1, 2, 3]);
  });

  it("ids unknown to the catalog and sent without features -> 400 naming them", async () => {
    await seed(keys.catalog, "/v1/catalog");
    const res = await post({ userId: "1", candidates: [{ id: 4_000_000_001 }, { id: 4_000_000_002 }] });
    await expectError(
      res,
      400,
      "unknown_items",
      "candidates: 2 id(s) not in the catalog and sent without features: 4000000001, 4000000002",
    );
  });

  it("without a catalog, ids-only candidates keep the caller's order and say why", async () => {
    await publishModel(trainedModel());
    const res = await post({ userId: "1", candidates: [{ id: 3 }, { id: 1 }, { id: 2 }] });
    const body = await getJson<RerankResponse>(res);
    expect([res.status, body.servedBy, body.items.map((i) => i.id)]).toEqual([200, "origin-order", [3, 1, 2]]);
    expect(body.degraded).toEqual(["catalog not published"]);
  });

  it("malformed JSON -> 400 invalid_json", async () => {
    await expectError(await post("{ not json"), 400, "invalid_json", "body is not valid JSON");
  });

  it("10,000 candidates -> 400 too_many_candidates", async () => {
    const res = await post({ userId: "1", candidates: Array.from({ length: 10_000 }, (_, i) => ({ id: i })) });
    await expectError(res, 400, "too_many_candidates", "candidates: 10000 sent, at most 1000 accepted");
  });

  it("an oversized body -> 413", async () => {
    const res = await post({
      userId: "1",
      candidates: [{ id: 1, title: "x".repeat(300) }],
      pad: "y".repeat(600 * 1024),
    });
    await expectError(res, 413, "payload_too_large", "body is larger than 524288 bytes");
  });

  it("missing fields -> 400 naming the field", async () => {
    await expectError(await post({ candidates: [{ id: 1 }] }), 400, "invalid_request", /^json\.userId: /);
    await expectError(
      await post({ userId: "1", candidates: [] }),
      400,
      "invalid_request",
      /^json\.candidates: Too small/,
    );
    await expectError(
      await post({ userId: "1", candidates: [{ id: -1 }] }),
      400,
      "invalid_request",
      /^json\.candidates\.0\.id: Too small/,
    );
  });
});

describe("security", () => {
  it("context override headers are ignored unless the deployment allows them", async () => {
    await publishModel(trainedModel());
    await seedUser("1", "us-west");
    const h = harness();
    const res = await h.call(
      "/v1/recommendations/1?limit=5",
      { headers: { "x-frontrow-region": "us-west", "x-frontrow-now": "2026-11-01T19:30:00Z" } },
      { ALLOW_CONTEXT_OVERRIDE: "false", ORIGIN_URL: DOWN },
    );
    const body = await getJson<RecommendationsResponse>(res);
    // No request.cf in tests: the default region answers, not the one the client claimed.
    expect([res.status, body.context.region]).toEqual([200, "eu-west"]);
  });

  it("a client's request id is echoed only when it is a safe token", async () => {
    const h = harness();
    const ok = await h.call("/v1/ping", { headers: { "x-request-id": "trace-123_abc" } });
    expect(ok.headers.get("x-request-id")).toBe("trace-123_abc");
    const evil = await h.call("/v1/ping", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(evil.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("errors never leak internals: an unknown method on a route is a clean 404", async () => {
    const res = await harness().call("/v1/recommendations/1", { method: "DELETE" });
    await expectError(res, 404, "not_found", "no route for DELETE /v1/recommendations/1");
  });
});
