// The origin's HTTP API through Hono's app.request(): real app, real synthetic data, real EASE fit.
import { describe, expect, it } from "vitest";
import { candidateAt, decodeCandidateList } from "../../core/codec.js";
import { UserProfileSchema } from "../../core/features.js";
import { pseudonymOf } from "../../core/pseudonym.js";
import { CANDIDATES_CONTENT_TYPE, createApp } from "./app.js";
import { EaseGenerator } from "./cf/ease.js";
import { OriginRows } from "./rows.js";
import { generateSynthetic } from "./synthetic.js";

const NOW = 1_800_000_000_000;
const ds = generateSynthetic({ users: 200, items: 300, seed: 3 });
const ease = new EaseGenerator();
ease.fit(ds.interactions);
const rows = new OriginRows(ds, ease, { clock: () => NOW });
const lines: string[] = [];
const app = createApp(rows, { log: (l) => lines.push(l) });
const regionIds = ds.regions.map((r) => r.id);

async function list(path: string) {
  const res = await app.request(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe(CANDIDATES_CONTENT_TYPE);
  return decodeCandidateList(await res.arrayBuffer());
}

async function error(path: string, status: number, code: string, message: string) {
  const res = await app.request(path);
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await res.json()).toEqual({ error: { code, message } });
}

const all = (l: ReturnType<typeof decodeCandidateList>) => Array.from({ length: l.size }, (_, i) => candidateAt(l, i));
const plain = (cands: { cfScore: number; popularity: number }[]) =>
  cands.map((c) => ({ ...c, cfScore: Math.fround(c.cfScore), popularity: Math.fround(c.popularity) }));

describe("origin app", () => {
  it("reports health", async () => {
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      dataset: "synthetic(seed=3,users=200,items=300)",
      users: 200,
      items: 300,
      generator: "ease",
    });
  });

  it("serves top-picks as an encoded list equal to the row builder's", async () => {
    const l = await list("/v1/candidates/top-picks?user=12&depth=40");
    expect(l.header).toEqual({
      row: "top-picks",
      scope: "user:12",
      generatedAt: NOW,
      count: 40,
      regions: regionIds,
      source: "ease",
    });
    expect(all(l)).toEqual(plain(rows.topPicks(12, 40).candidates));
  });

  it("defaults depth to 500 (or as many as exist)", async () => {
    const l = await list("/v1/candidates/trending?region=eu-west");
    expect(l.size).toBe(rows.trending("eu-west", 500).candidates.length);
    expect(l.header.scope).toBe("region:eu-west");
  });

  it("serves because-you-watched with its seed, trending and popular per region", async () => {
    const b = await list("/v1/candidates/because-you-watched?user=5&depth=20");
    expect(b.header.seedItem).toBe(rows.profileFor(5).lastWatched);
    expect(all(b)).toEqual(plain(rows.becauseYouWatched(5, 20).candidates));
    const t = await list("/v1/candidates/trending?region=us-west&depth=1000&user=5");
    expect(all(t)).toEqual(plain(rows.trending("us-west", 1000).candidates));
    const p = await list("/v1/popular?region=ap-southeast&depth=7");
    expect(p.header.row).toBe("popular");
    expect(all(p)).toEqual(plain(rows.popular("ap-southeast", 7).candidates));
  });

  it("serves profiles as JSON and the catalogue as a list", async () => {
    const res = await app.request("/v1/profiles/77");
    expect(res.status).toBe(200);
    const body = UserProfileSchema.parse(await res.json());
    expect(body).toEqual(rows.profileFor(77));
    const c = await list("/v1/catalog");
    expect(c.size).toBe(300);
    expect(c.header.scope).toBe("catalog");
  });

  it("answers bad input with 400 and one error shape", async () => {
    await error(
      "/v1/candidates/sideways?user=1",
      400,
      "bad_request",
      "path row: must be one of top-picks, trending, because-you-watched",
    );
    await error(
      "/v1/candidates/top-picks?user=1&depth=0",
      400,
      "bad_request",
      "query depth: must be an integer in 1..1000",
    );
    await error(
      "/v1/candidates/top-picks?user=1&depth=1001",
      400,
      "bad_request",
      "query depth: must be an integer in 1..1000",
    );
    await error(
      "/v1/candidates/top-picks?user=1&depth=ten",
      400,
      "bad_request",
      "query depth: must be an integer in 1..1000",
    );
    await error("/v1/candidates/top-picks?user=-4", 400, "bad_request", "query user: must be a non-negative integer");
    await error("/v1/candidates/top-picks?user=1&user=2", 400, "bad_request", "query user: must be given once");
    await error("/v1/candidates/top-picks?user=1&colour=red", 400, "bad_request", "query colour: unknown parameter");
    await error("/v1/candidates/top-picks?region=eu-west", 400, "bad_request", "row top-picks needs a user");
    await error("/v1/candidates/trending?user=1", 400, "bad_request", "row trending needs a region");
    await error(
      "/v1/candidates/trending?region=moon",
      400,
      "unknown_region",
      'unknown region "moon" (known: us-east, us-west, eu-west, ap-southeast)',
    );
    await error(
      "/v1/candidates/top-picks?user=1&region=moon",
      400,
      "unknown_region",
      'unknown region "moon" (known: us-east, us-west, eu-west, ap-southeast)',
    );
    await error("/v1/popular", 400, "bad_request", "query region: is required");
    await error("/v1/profiles/abc", 400, "bad_request", "path userId: must be a non-negative integer");
  });

  it("answers unknown users and routes with 404", async () => {
    await error("/v1/candidates/top-picks?user=201", 404, "unknown_user", "unknown user 201");
    await error("/v1/profiles/0", 404, "unknown_user", "unknown user 0");
    await error("/v1/nowhere", 404, "not_found", "no route GET /v1/nowhere");
  });

  it("logs one line per request, with user ids as keyed pseudonyms", async () => {
    lines.length = 0;
    await app.request("/v1/candidates/top-picks?user=3&depth=5");
    await app.request("/v1/profiles/999999");
    await app.request("/v1/candidates/top-picks?user=3&depth=6");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^GET \/v1\/candidates\/top-picks\?user=u_[0-9a-f]{16}&depth=5 200 \d+\.\dms$/);
    expect(lines[1]).toMatch(/^GET \/v1\/profiles\/u_[0-9a-f]{16} 404 \d+\.\dms$/);
    expect(lines.join("\n")).not.toContain("999999");
    // One user, one pseudonym: lines of a user still line up.
    const ref = (l: string) => /user=(u_[0-9a-f]{16})/.exec(l)?.[1];
    expect(ref(lines[2] as string)).toBe(ref(lines[0] as string));
  });
});

describe("request log pseudonyms", () => {
  it("are the edge's (core/pseudonym.ts) under a shared ID_HASH_KEY, so a user's lines line up across both", async () => {
    const seen: string[] = [];
    const keyed = createApp(rows, { log: (l) => seen.push(l), idHashKey: "shared-key" });
    await keyed.request("/v1/candidates/top-picks?user=3&depth=5");
    await keyed.request("/v1/profiles/3");
    const ref = await pseudonymOf("shared-key", "user", "3");
    expect(seen[0]).toMatch(new RegExp(`^GET /v1/candidates/top-picks\\?user=${ref}&depth=5 200 `));
    expect(seen[1]).toMatch(new RegExp(`^GET /v1/profiles/${ref} 200 `));
  });
});

describe("ORIGIN_TOKEN", () => {
  const guarded = createApp(rows, { log: () => {}, token: "origin-secret-0123456789" });
  const get = (path: string, auth?: string) => guarded.request(path, auth ? { headers: { authorization: auth } } : {});

  it("the list endpoints answer 401 in the error shape without the right bearer token", async () => {
    for (const auth of [
      undefined,
      "Bearer wrong",
      "Bearer origin-secret-012345678",
      "Bearer origin-secret-01234567890",
    ]) {
      for (const path of [
        "/v1/candidates/top-picks?user=3",
        "/v1/popular?region=eu-west",
        "/v1/profiles/3",
        "/v1/catalog",
      ]) {
        const res = await get(path, auth);
        expect([path, auth, res.status]).toEqual([path, auth, 401]);
        expect(await res.json()).toEqual({
          error: { code: "unauthorized", message: "missing or wrong bearer token (ORIGIN_TOKEN)" },
        });
      }
    }
  });

  it("the right token gets the lists; /healthz needs none", async () => {
    const ok = await get("/v1/candidates/top-picks?user=3&depth=5", "Bearer origin-secret-0123456789");
    expect([ok.status, ok.headers.get("content-type")]).toEqual([200, CANDIDATES_CONTENT_TYPE]);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("another scheme is a 400 in the error shape (RFC 6750 invalid_request)", async () => {
    const res = await get("/v1/catalog", "Basic origin-secret-0123456789");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "invalid_request", message: "authorization header is not `Bearer <token>` (ORIGIN_TOKEN)" },
    });
  });
});
