// Property-based fuzzing (fast-check) of every public route inside workerd: never a 5xx, never a hang, one error shape.
import { env, reset } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { GENRES, TAGS } from "../../core/vocab.js";
import { EU_EVENING, harness, ORIGIN, publishModel, seedPopular, seedUser, trainedModel } from "./helpers.js";

/** Fixed seed and run counts: the same cases on every run, a few seconds in all. */
const SEED = 20261125;
const RUNS = 120;
/** Far above any answer's time here; reaching it means the request hung, and fails the property. */
const HANG_MS = 15_000;

const h = harness();

beforeAll(async () => {
  await reset();
  await publishModel(trainedModel());
  await seedUser("1");
  await seedPopular();
  // Degraded answers log on purpose; thousands of them would drown a failure's output.
  for (const level of ["log", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation(() => {});
});

interface Outcome {
  status: number;
  body: string;
  contentType: string;
  requestId: string | null;
}

/** Calls the app; a request that does not answer within HANG_MS rejects (the property then fails). */
async function call(path: string, init: RequestInit, overrides: Partial<Env> = {}): Promise<Outcome> {
  let timer: number | null = null;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${HANG_MS} ms: ${init.method ?? "GET"} ${path}`)),
      HANG_MS,
    );
  });
  try {
    const res = await Promise.race([h.call(path, init, { ORIGIN_URL: ORIGIN, ...overrides }), hang]);
    const body = await Promise.race([res.text(), hang]);
    return {
      status: res.status,
      body,
      contentType: res.headers.get("content-type") ?? "",
      requestId: res.headers.get("x-request-id"),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The properties every answer has: no 5xx; a 4xx is the one JSON error shape with the response's request id. */
/** Statuses seen per property: the test also checks that the fuzzing reached the serving path, not only errors. */
let statuses: number[] = [];

function checkAnswer(o: Outcome, what: string, head = false): void {
  statuses.push(o.status);
  expect(o.status, `${what} -> ${o.status} ${o.body.slice(0, 300)}`).toBeLessThan(500);
  expect(o.requestId, what).toBeTruthy();
  // HEAD answers carry the headers of the GET answer and no body.
  if (head) expect(o.body, what).toBe("");
  else if (o.status >= 400) {
    expect(o.contentType, what).toMatch(/^application\/json/);
    const parsed = JSON.parse(o.body) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
    expect(Object.keys(parsed), what).toEqual(["error"]);
    expect(typeof parsed.error?.code, what).toBe("string");
    expect(typeof parsed.error?.message, what).toBe("string");
    expect(parsed.error?.requestId, what).toBe(o.requestId);
  }
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
/** Header values a client can send: visible ASCII and spaces, no controls. */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});
/** Strings that look like ids, ids that almost are, and anything at all (percent-encoded into the path). */
const userIdish = fc.oneof(
  fc.constantFrom("1", "2", "999999999", "a".repeat(64), "a".repeat(65), "-", "_", "0", "%", "..", "."),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    "top-picks",
    "trending",
    "because-you-watched",
    "tv",
    "phone",
    "1",
    "100",
    "101",
    "0",
    "-1",
    "1e3",
    "",
  ),
  printable,
);
const queryKey = fc.oneof(
  fc.constantFrom("row", "limit", "device", "token", "_"),
  printable.filter((k) => k.length > 0),
);
const headerName = fc.constantFrom(
  "x-device-type",
  "x-request-id",
  "x-frontrow-region",
  "x-frontrow-timezone",
  "x-frontrow-now",
  "cf-connecting-ip",
  "accept",
  "authorization",
  "x-unknown-header",
);

function headersFrom(pairs: readonly (readonly [string, string])[]): Headers | null {
  try {
    const hdrs = new Headers();
    for (const [k, v] of pairs) hdrs.append(k, v);
    return hdrs;
  } catch {
    return null; // not a header a client could send at all
  }
}

describe("fuzzing the public routes", () => {
  it("GET /v1/recommendations/:userId with arbitrary ids, query strings and headers", async () => {
    statuses = [];
    await fc.assert(
      fc.asyncProperty(
        userIdish,
        fc.array(fc.tuple(queryKey, queryValue), { maxLength: 6 }),
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
        fc.boolean(),
        async (id, query, headerPairs, withContext) => {
          const hdrs = headersFrom(headerPairs);
          fc.pre(hdrs !== null);
          if (withContext) for (const [k, v] of Object.entries(EU_EVENING)) hdrs?.set(k, v);
          const qs = new URLSearchParams(query.map(([k, v]) => [k, v])).toString();
          const path = `/v1/recommendations/${encodeURIComponent(id)}${qs ? `?${qs}` : ""}`;
          checkAnswer(await call(path, { headers: hdrs as Headers }), `GET ${path}`);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // The cases reached ranking (200) as well as each kind of refusal.
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(RUNS / 10);
    expect(statuses.filter((x) => x === 400).length).toBeGreaterThanOrEqual(RUNS / 10);
  });

  const candidate = fc.record(
    {
      id: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)),
      cfScore: fc.oneof(fc.double(), fc.integer()),
      popularity: fc.double({ min: -1, max: 2 }),
      genres: fc.array(fc.oneof(fc.constantFrom(...GENRES), fc.string({ maxLength: 8 })), { maxLength: 4 }),
      tags: fc.array(fc.oneof(fc.constantFrom(...TAGS), fc.string({ maxLength: 8 })), { maxLength: 4 }),
      year: fc.integer({ min: 1700, max: 2300 }),
      title: fc.string({ maxLength: 40 }),
    },
    { requiredKeys: ["id"] },
  );
  const validCandidate = fc.record(
    {
      cfScore: fc.double({ min: -10, max: 10, noNaN: true }),
      popularity: fc.double({ min: 0, max: 1, noNaN: true }),
      genres: fc.uniqueArray(fc.constantFrom(...GENRES), { maxLength: 3 }),
      tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
      year: fc.integer({ min: 1900, max: 2030 }),
      title: fc.string({ maxLength: 40 }),
    },
    { requiredKeys: ["genres"] },
  );
  const rerankBody = fc.oneof(
    // Valid requests (any id-only candidate may be unknown to the catalog: a 400 that names it).
    fc
      .record({
        userId: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
        candidates: fc.uniqueArray(
          fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.option(validCandidate, { nil: undefined })),
          { minLength: 1, maxLength: 40, selector: ([id]) => id },
        ),
        limit: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        device: fc.option(fc.constantFrom("tv", "phone", "tablet", "web"), { nil: undefined }),
      })
      .map(({ candidates, ...rest }) =>
        JSON.stringify({ ...rest, candidates: candidates.map(([id, f]) => ({ id, ...(f ?? {}) })) }),
      ),
    // Shaped like a request, with every field liable to be wrong.
    fc
      .record(
        {
          userId: fc.oneof(userIdish, fc.integer(), fc.constant(null)),
          candidates: fc.oneof(fc.array(candidate, { maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })),
          limit: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.double(), fc.string({ maxLength: 4 })),
          device: fc.oneof(fc.constantFrom("tv", "phone", "tablet", "web"), fc.string({ maxLength: 6 })),
          applyRules: fc.oneof(fc.boolean(), fc.string({ maxLength: 4 })),
        },
        { requiredKeys: [] },
      )
      .map((b) => JSON.stringify(b)),
    // Any JSON at all.
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    // Not JSON: text, truncated JSON, raw bytes.
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{"userId":"1","candidates":[{"id":1}', "[", "", "null", '{"__proto__":{"x":1}}', '"\\ud800"'),
    fc.uint8Array({ maxLength: 200 }),
  );

  it("POST /v1/rerank with arbitrary JSON, almost-valid requests and non-JSON bodies", async () => {
    statuses = [];
    await fc.assert(
      fc.asyncProperty(
        rerankBody,
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
          { weight: 1, arbitrary: fc.constantFrom("text/plain", "", "application/x-www-form-urlencoded") },
        ),
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
        async (body, type, headerPairs) => {
          const hdrs = headersFrom(headerPairs);
          fc.pre(hdrs !== null);
          for (const [k, v] of Object.entries(EU_EVENING)) hdrs?.set(k, v);
          if (type) hdrs?.set("content-type", type);
          const what = `POST /v1/rerank (${type || "no type"}) ${typeof body === "string" ? body.slice(0, 200) : `${body.length} bytes`}`;
          checkAnswer(await call("/v1/rerank", { method: "POST", body, headers: hdrs as Headers }), what);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(RUNS / 10);
    expect(new Set(statuses.filter((x) => x >= 400))).toEqual(new Set([400, 415]));
  });

  it("/healthz, /v1/ping, unknown paths and methods, and /ops without or with wrong tokens", async () => {
    const ops = "ops-token-fuzz-0123456789";
    statuses = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
        fc.oneof(
          fc.constantFrom(
            "/healthz",
            "/v1/ping",
            "/ops",
            "/ops/data",
            "/v1/rerank",
            "/v1/recommendations",
            "/",
            "//",
            "/v1/",
          ),
          fc.webPath(),
          printable.map((p) => `/${encodeURIComponent(p)}`),
        ),
        fc.option(fc.oneof(printable, fc.constant(ops.slice(0, -1)), fc.constant(`${ops}x`)), { nil: undefined }),
        fc.boolean(),
        async (method, path, token, asQuery) => {
          const hdrs = new Headers();
          let url = path;
          if (token !== undefined) {
            if (asQuery) url = `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
            else {
              const hh = headersFrom([["authorization", `Bearer ${token}`]]);
              fc.pre(hh !== null);
              hh?.forEach((v, k) => {
                hdrs.set(k, v);
              });
            }
          }
          fc.pre(URL.canParse(url, "http://edge.test"));
          const o = await call(url, { method, headers: hdrs }, { OPS_TOKEN: ops });
          checkAnswer(o, `${method} ${url}`, method === "HEAD");
          // A wrong or missing token never opens the ops page.
          if (/^\/ops(\/data)?\/?(\?|$)/.test(url) && method === "GET") expect([401, 404]).toContain(o.status);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect([...new Set(statuses)]).toEqual(expect.arrayContaining([200, 401, 404]));
  });
});

describe("the guard itself", () => {
  it("reports a request that never answers as a failure, not a pass", async () => {
    const never = new Promise<Response>(() => {});
    const spy = vi.spyOn(h, "call").mockReturnValue(never);
    vi.useFakeTimers();
    try {
      const pending = call("/v1/ping", {});
      vi.advanceTimersByTime(HANG_MS);
      await expect(pending).rejects.toThrow(`no answer within ${HANG_MS} ms: GET /v1/ping`);
    } finally {
      vi.useRealTimers();
      spy.mockRestore();
    }
  });
});

it("the environment the fuzzing ran in had signing and origin auth on", () => {
  expect([Boolean(env.ARTIFACT_SIGNING_KEY), Boolean(env.ORIGIN_TOKEN)]).toEqual([true, true]);
});
