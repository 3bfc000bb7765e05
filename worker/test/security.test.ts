// Security controls in workerd: signed artifacts, the config content hash, origin auth, rate limits, strict input.
import { env, reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { keys } from "../../core/keys.js";
import { signed } from "../../core/signature.js";
import { configContentVersion, configKeys } from "../../edge-config/keys.js";
import { ConfigStore, DEFAULT_CONFIG } from "../src/config.js";
import type { ErrorBody } from "../src/errors.js";
import { pseudonym } from "../src/privacy.js";
import { RATE_LIMIT_PERIOD_SECONDS, SHADOW_HEADER } from "../src/ratelimit.js";
import type { HealthResponse } from "../src/routes/health.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import type { RerankResponse } from "../src/routes/rerank.js";
import {
  EU_EVENING,
  getJson,
  type Harness,
  harness,
  ORIGIN,
  publishModel,
  seedPopular,
  seedUser,
  signedManifest,
  type TestModel,
  trainedModel,
} from "./helpers.js";
import { TEST_LIMIT, TEST_SIGNING_KEY } from "./secrets.js";

beforeEach(async () => {
  await reset();
});

async function row(h: Harness, user: string, overrides: Partial<Env> = {}, headers: Record<string, string> = {}) {
  return h.call(`/v1/recommendations/${user}?limit=5`, { headers: { ...EU_EVENING, ...headers } }, overrides);
}

async function health(h: Harness, overrides: Partial<Env> = {}): Promise<HealthResponse> {
  return getJson<HealthResponse>(await h.call("/healthz", {}, overrides));
}

/** The trained model under its own version, its manifest stored as given (signed or not), and activated. */
async function putModel(m: TestModel, manifest: unknown): Promise<void> {
  await env.KV.put(keys.modelBytes(m.manifest.version), m.onnx);
  await env.KV.put(keys.modelManifest(m.manifest.version), JSON.stringify(manifest));
  await env.KV.put(keys.activeModel, JSON.stringify({ version: m.manifest.version, activatedAt: "x" }));
}

function variant(version: string): TestModel {
  const m = trainedModel();
  return { onnx: m.onnx, manifest: { ...m.manifest, version } };
}

describe("signed models", () => {
  it("a model signed with the edge's key serves; /healthz says signatures are on", async () => {
    await seedUser("1");
    await publishModel(trainedModel());
    const h = harness();
    const body = await getJson<RecommendationsResponse>(await row(h, "1"));
    expect([body.servedBy, body.model.version, body.degraded]).toEqual(["model", "test-model-1", []]);
    const hz = await health(h);
    expect([hz.status, hz.signatures, hz.model.problem]).toEqual(["ok", "on", null]);
  });

  for (const [name, manifest, why] of [
    ["unsigned", async (m: TestModel) => m.manifest, "signature: unsigned (the edge requires signed artifacts)"],
    [
      "signed with another key",
      (m: TestModel) => signed("model-manifest", m.manifest, "some-other-key"),
      "signature: signature mismatch (not signed with the edge's key, or changed after signing)",
    ],
    [
      "changed after signing (sha256 swapped for other bytes')",
      async (m: TestModel) => ({ ...(await signedManifest(m.manifest)), sha256: "0".repeat(64) }),
      "signature: signature mismatch (not signed with the edge's key, or changed after signing)",
    ],
    [
      "signed as a config, not as a model",
      (m: TestModel) => signed("edge-config", m.manifest, TEST_SIGNING_KEY),
      "signature: signature mismatch (not signed with the edge's key, or changed after signing)",
    ],
    [
      "carrying a malformed signature",
      async (m: TestModel) => ({ ...m.manifest, signature: "hmac-sha256:xyz" }),
      "signature: signature malformed (expected hmac-sha256:<64 hex>)",
    ],
  ] as const) {
    it(`a model ${name} is refused like a corrupt one: origin order, 200, the reason in degraded and /healthz`, async () => {
      await seedUser("1");
      const m = variant("evil-1");
      await putModel(m, await manifest(m));
      const h = harness();
      const res = await row(h, "1");
      expect(res.status).toBe(200);
      const body = await getJson<RecommendationsResponse>(res);
      expect([body.servedBy, body.model.version, body.items.length]).toEqual(["origin-order", null, 5]);
      expect(body.degraded).toEqual([`model evil-1: ${why}`]);
      const hz = await health(h);
      expect([hz.status, hz.model]).toEqual([
        "degraded",
        { version: null, engine: null, problem: `model evil-1: ${why}` },
      ]);
    });
  }

  it("a bad signature on a new version never replaces the good model serving", async () => {
    await seedUser("1");
    await publishModel(trainedModel());
    const h = harness();
    expect((await getJson<RecommendationsResponse>(await row(h, "1"))).model.version).toBe("test-model-1");
    const evil = variant("evil-2");
    await putModel(evil, evil.manifest);
    const pending: Promise<unknown>[] = [];
    await h.svc.models.get(env.KV, (p) => pending.push(p), { now: Date.now() + 60_000 });
    await Promise.all(pending);
    const body = await getJson<RecommendationsResponse>(await row(h, "1"));
    expect([body.servedBy, body.model.version]).toEqual(["model", "test-model-1"]);
    expect(h.svc.models.status().problem).toBe(
      "model evil-2: signature: unsigned (the edge requires signed artifacts)",
    );
  });

  it("without ARTIFACT_SIGNING_KEY an unsigned model serves as before and /healthz says signatures are off", async () => {
    await seedUser("1");
    const m = variant("plain-1");
    await putModel(m, m.manifest);
    const h = harness();
    const off = { ARTIFACT_SIGNING_KEY: undefined } as Partial<Env>;
    const body = await getJson<RecommendationsResponse>(await row(h, "1", off));
    expect([body.servedBy, body.model.version]).toEqual(["model", "plain-1"]);
    expect((await health(h, off)).signatures).toBe("off");
  });
});

describe("signed, content-addressed configs", () => {
  /** Stores `doc` under `version` and activates it. */
  async function putConfig(version: string, doc: unknown): Promise<void> {
    await env.KV.put(configKeys.version(version), JSON.stringify(doc));
    await env.KV.put(configKeys.active, JSON.stringify({ version, activatedAt: "x", history: [] }));
  }

  function eager(): Harness {
    const h = harness();
    h.svc.config = new ConfigStore(0);
    return h;
  }

  it("the repo's policy as Node's `config publish` stores it (signed there) is accepted under its version", async () => {
    const published = inject("publishedConfig");
    await putConfig(published.version, JSON.parse(published.documentJson));
    await seedUser("1");
    const body = await getJson<RecommendationsResponse>(await row(eager(), "1"));
    expect(body.config.version).toBe(published.version);
    expect(body.degraded.filter((d) => d.startsWith("config"))).toEqual([]);
  });

  /** A valid config whose top-picks freshness differs from the defaults, versioned by its content. */
  async function config(freshSeconds: number) {
    const cfg = structuredClone(DEFAULT_CONFIG);
    cfg.policy.freshSeconds = freshSeconds;
    cfg.version = await configContentVersion(cfg);
    return cfg;
  }

  for (const [name, make, why] of [
    ["unsigned", async () => config(123), () => "unsigned (the edge requires signed artifacts)"],
    [
      "changed after signing",
      async () => ({ ...(await signed("edge-config", await config(123), TEST_SIGNING_KEY)), defaultRegion: "us-east" }),
      () => "signature mismatch (not signed with the edge's key, or changed after signing)",
    ],
    [
      "signed with another key",
      async () => signed("edge-config", await config(123), "some-other-key"),
      () => "signature mismatch (not signed with the edge's key, or changed after signing)",
    ],
    [
      "signed, but whose content is not what its version hashes",
      async () =>
        signed("edge-config", { ...(await config(123)), version: (await config(456)).version }, TEST_SIGNING_KEY),
      async () => `content hashes to ${(await config(123)).version}, not to its version`,
    ],
  ] as const) {
    it(`a config ${name} is refused: the last good one keeps serving, reported in answers, /healthz and /ops/data`, async () => {
      await seedUser("1");
      const good = await config(77);
      await putConfig(good.version, await signed("edge-config", good, TEST_SIGNING_KEY));
      const h = eager();
      expect((await getJson<RecommendationsResponse>(await row(h, "1"))).config.version).toBe(good.version);
      const bad = await make();
      await putConfig(bad.version, bad);
      const problem = `config: config:${bad.version} rejected (${await why()}); serving last good config ${good.version}`;
      const res = await row(h, "1");
      expect(res.status).toBe(200);
      const body = await getJson<RecommendationsResponse>(res);
      expect([body.config.version, body.degraded[0]]).toEqual([good.version, problem]);
      const hz = await health(h);
      expect([hz.status, hz.config.version, hz.config.problem]).toEqual(["degraded", good.version, problem]);
      const ops = await h.call(
        "/ops/data",
        { headers: { authorization: "Bearer ops-token-123456" } },
        {
          OPS_TOKEN: "ops-token-123456",
        },
      );
      expect(((await ops.json()) as { config: { problem: string } }).config.problem).toBe(problem);
    });
  }

  it("without ARTIFACT_SIGNING_KEY an unsigned config is accepted, but its content hash is still checked", async () => {
    await seedUser("1");
    const off = { ARTIFACT_SIGNING_KEY: undefined } as Partial<Env>;
    const cfg = await config(55);
    await putConfig(cfg.version, cfg);
    const h = eager();
    expect((await getJson<RecommendationsResponse>(await row(h, "1", off))).config.version).toBe(cfg.version);
    const changed = { ...cfg, policy: { ...cfg.policy, freshSeconds: 56 } };
    await putConfig(
      cfg.version.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      changed,
    );
    const body = await getJson<RecommendationsResponse>(await row(h, "1", off));
    expect(body.config.version).toBe(cfg.version);
    expect(body.degraded[0]).toMatch(/^config: config:cfg-[0-9a-f]{12} rejected \(document says version "cfg-/);
  });

  it("every reader of the config must name the signing key: an omitted one is a type error, not unsigned reads", async () => {
    const cfg = await config(57);
    await putConfig(cfg.version, cfg);
    // @ts-expect-error the key is a required argument, so a new caller cannot forget it and accept unsigned configs
    const omitted = () => new ConfigStore(0).get(env.KV);
    expect(omitted).toBeTypeOf("function");
    const store = new ConfigStore(0);
    expect((await store.get(env.KV, TEST_SIGNING_KEY)).version).toBe(DEFAULT_CONFIG.version);
    expect(store.status().problem).toBe(
      `config: config:${cfg.version} rejected (unsigned (the edge requires signed artifacts)); serving built-in config ${DEFAULT_CONFIG.version}`,
    );
  });
});

describe("origin auth", () => {
  it("the worker sends ORIGIN_TOKEN: a miss is fetched from the token-guarded origin", async () => {
    await publishModel(trainedModel());
    const body = await getJson<RecommendationsResponse>(await row(harness(), "3", { ORIGIN_URL: ORIGIN }));
    expect([body.servedBy, body.cache.status, body.degraded]).toEqual(["model", "miss", []]);
  });

  it("a wrong token is an origin failure like any other: a fallback tier answers 200, never 5xx", async () => {
    await seedPopular();
    const res = await row(harness(), "4", { ORIGIN_URL: ORIGIN, ORIGIN_TOKEN: "wrong-token" });
    expect(res.status).toBe(200);
    const body = await getJson<RecommendationsResponse>(res);
    // Not retried: a refusal is an answer, a second try gets the same.
    expect([body.servedBy, body.degraded[0]]).toEqual(["fallback-popular", "origin: HTTP 401"]);
  });
});

describe("rate limits", () => {
  /** A harness whose limiters are the small test ones (TEST_LIMIT per minute, real Miniflare limiters). */
  const small = { USER_RATE_LIMITER: env.TEST_USER_LIMIT, IP_RATE_LIMITER: env.TEST_IP_LIMIT } as Partial<Env>;
  let n = 0;
  /** A key nobody else uses in this run (the limiters keep counts for the whole minute). */
  const fresh = (p: string) => `${p}${Date.now().toString(36)}${n++}`;

  /**
   * Runs `attempt` again with fresh keys if a limiter window boundary fell inside it: Miniflare counts in fixed
   * windows aligned to the period, and a window that ends mid-sequence resets the counts being tested.
   */
  async function inOneWindow(attempt: () => Promise<void>): Promise<void> {
    const windowOf = () => Math.floor(Date.now() / (RATE_LIMIT_PERIOD_SECONDS * 1000));
    for (let i = 0; ; i++) {
      const w = windowOf();
      try {
        await attempt();
        return;
      } catch (e) {
        if (i > 0 || windowOf() === w) throw e;
      }
    }
  }

  it(`per user: request ${TEST_LIMIT + 1} in a minute gets 429 in the error shape with Retry-After; others are unaffected`, async () => {
    await seedPopular();
    await inOneWindow(async () => {
      const h = harness();
      const user = fresh("u");
      for (let i = 0; i < TEST_LIMIT; i++) expect((await row(h, user, small)).status).toBe(200);
      const res = await row(h, user, small);
      expect([res.status, res.headers.get("retry-after")]).toEqual([429, String(RATE_LIMIT_PERIOD_SECONDS)]);
      const body = await getJson<ErrorBody>(res);
      expect(body.error).toEqual({
        code: "rate_limited",
        message: `too many requests from this user; retry after ${RATE_LIMIT_PERIOD_SECONDS} s`,
        requestId: res.headers.get("x-request-id"),
      });
      // The same user through POST /v1/rerank shares the limit.
      const rr = await h.call(
        "/v1/rerank",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId: user, candidates: [{ id: 1, genres: ["Drama"] }] }),
        },
        small,
      );
      expect(rr.status).toBe(429);
      expect((await row(h, fresh("other"), small)).status).toBe(200);
    });
  });

  it("per IP (CF-Connecting-IP), on every path, unknown ones included; another address is unaffected", async () => {
    await inOneWindow(async () => {
      const h = harness();
      // An address no other attempt of this run uses (the limiter keeps its counts for the minute).
      const ipHeaders = { "cf-connecting-ip": `2001:db8::${(Date.now() % 0xffff).toString(16)}:${n++}` };
      const paths = ["/v1/ping", "/healthz", "/nowhere", "/v1/ping"];
      const statuses: number[] = [];
      for (const p of paths) statuses.push((await h.call(p, { headers: ipHeaders }, small)).status);
      expect(statuses).toEqual([200, 200, 404, 429]);
      const other = { "cf-connecting-ip": `2001:db8:1::${(Date.now() % 0xffff).toString(16)}:${n++}` };
      expect((await h.call("/v1/ping", { headers: other }, small)).status).toBe(200);
    });
  });

  it("shadow mode serves past the limit and flags it; off mode never asks", async () => {
    await seedPopular();
    await inOneWindow(async () => {
      const h = harness();
      const user = fresh("s");
      const shadow = { ...small, RATE_LIMIT_MODE: "shadow" } as Partial<Env>;
      const flags: (string | null)[] = [];
      for (let i = 0; i <= TEST_LIMIT; i++) {
        const res = await row(h, user, shadow);
        expect(res.status).toBe(200);
        flags.push(res.headers.get(SHADOW_HEADER));
      }
      expect(flags).toEqual([...Array(TEST_LIMIT).fill(null), "user"]);
      const off = { ...small, RATE_LIMIT_MODE: "off" } as Partial<Env>;
      expect((await row(h, user, off)).status).toBe(200);
      expect((await health(h, off)).security.rateLimits).toBe("off");
    });
  });

  it("a missing binding never breaks serving: requests pass and one warning is logged", async () => {
    await seedPopular();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const h = harness();
      const none = { USER_RATE_LIMITER: undefined, IP_RATE_LIMITER: undefined } as unknown as Partial<Env>;
      for (let i = 0; i < TEST_LIMIT + 2; i++) {
        expect((await row(h, "5", none, { "cf-connecting-ip": "198.51.100.7" })).status).toBe(200);
      }
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("rate-limit-unavailable"));
      // Once per binding per isolate (earlier tests in this file may have logged them already).
      expect(lines.length).toBeLessThanOrEqual(2);
    } finally {
      warn.mockRestore();
    }
  });

  it("the limiter key is a keyed hash of the user id, not the id", async () => {
    const seen: string[] = [];
    const spy = {
      limit: async (o: { key: string }) => {
        seen.push(o.key);
        return { success: true };
      },
    } as unknown as RateLimit;
    await seedPopular();
    await row(
      harness(),
      "424242",
      { USER_RATE_LIMITER: spy, IP_RATE_LIMITER: spy },
      { "cf-connecting-ip": "192.0.2.1" },
    );
    const ref = await pseudonym(env, "user", "424242");
    expect(seen).toEqual([`ip:${await pseudonym(env, "ip", "192.0.2.1")}`, `user:${ref}`]);
    expect(ref).toMatch(/^u_[0-9a-f]{16}$/);
    expect(seen.join(" ")).not.toContain("424242");
    expect(seen.join(" ")).not.toContain("192.0.2.1");
  });
});

describe("strict input", () => {
  it("user ids: pattern and length", async () => {
    const h = harness();
    for (const [id, status] of [
      ["a".repeat(64), 200],
      ["a".repeat(65), 400],
      // The URL parser resolves dot segments first: this is /v1/recommendations/, no route.
      ["%2E%2E", 404],
      ["a%20b", 400],
      ["user%3A1", 400],
      ["%E2%9C%93", 400],
    ] as const) {
      const res = await h.call(
        `/v1/recommendations/${id}`,
        { headers: EU_EVENING },
        { ORIGIN_URL: "http://127.0.0.1:9" },
      );
      expect([id, res.status]).toEqual([id, status]);
      if (status === 400) {
        expect((await getJson<ErrorBody>(res)).error.message).toBe(
          "param.userId: must be 1-64 characters of [A-Za-z0-9_-]",
        );
      }
    }
  });

  it("title ids in a rerank body: non-negative 32-bit integers, each at most once", async () => {
    const h = harness();
    const send = (candidates: unknown[]) =>
      h.call("/v1/rerank", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId: "1", candidates }),
      });
    for (const [cands, message] of [
      [[{ id: -1 }], "json.candidates.0.id: Too small: expected number to be >=0"],
      [[{ id: 1.5 }], "json.candidates.0.id: Invalid input: expected int, received number"],
      [[{ id: 2 ** 32 }], "json.candidates.0.id: Too big: expected number to be <=4294967295"],
      [[{ id: "7" }], "json.candidates.0.id: Invalid input: expected number, received string"],
      [
        [
          { id: 7, genres: ["Drama"] },
          { id: 8, genres: ["Drama"] },
          { id: 7, genres: ["Drama"] },
        ],
        "json.candidates.2.id: duplicate id 7 (first at candidates.0)",
      ],
    ] as const) {
      const res = await send([...cands]);
      expect([res.status, (await getJson<ErrorBody>(res)).error.message]).toEqual([400, message]);
    }
    const ok = await send([
      { id: 7, genres: ["Drama"] },
      { id: 8, genres: ["Comedy"] },
    ]);
    expect([ok.status, (await getJson<RerankResponse>(ok)).items.map((i) => i.id).sort()]).toEqual([200, [7, 8]]);
  });

  it("a rerank body that is not declared JSON -> 415 naming the content type", async () => {
    const h = harness();
    const body = JSON.stringify({ userId: "1", candidates: [{ id: 7, genres: ["Drama"] }] });
    for (const [type, shown] of [
      [null, "none"],
      ["text/plain", '"text/plain"'],
      ["application/jsonp", '"application/jsonp"'],
    ] as const) {
      const res = await h.call("/v1/rerank", { method: "POST", body, headers: type ? { "content-type": type } : {} });
      // A string body gets text/plain from fetch when no type is given.
      const sent = type ?? "text/plain;charset=UTF-8";
      expect([res.status, (await getJson<ErrorBody>(res)).error]).toMatchObject([
        415,
        {
          code: "unsupported_media_type",
          message: `content-type must be application/json, got ${type ? shown : `"${sent}"`}`,
        },
      ]);
    }
    const ok = await h.call("/v1/rerank", {
      method: "POST",
      body,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(ok.status).toBe(200);
  });

  it("unknown query parameters are ignored (clients add cache-busters); a repeated known one is refused", async () => {
    await seedPopular();
    const h = harness();
    const ok = await h.call("/v1/recommendations/5?limit=3&_=12345&utm_source=tv", { headers: EU_EVENING });
    expect([ok.status, (await getJson<RecommendationsResponse>(ok)).items.length]).toEqual([200, 3]);
    const twice = await h.call("/v1/recommendations/5?limit=3&limit=50", { headers: EU_EVENING });
    expect([twice.status, (await getJson<ErrorBody>(twice)).error.message]).toEqual([
      400,
      "query.limit: given more than once",
    ]);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
