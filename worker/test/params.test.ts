// The recommendations route's plain-request fast path against its zod schemas: same answers, or it steps aside.
import fc from "fast-check";
import { getQueryParams } from "hono/utils/url";
import { describe, expect, it } from "vitest";
import { Params, plainParam, plainQuery, Query } from "../src/routes/params.js";

const BASE = "http://edge.test/v1/recommendations/1";

/** What the zod validator sees for a URL's query: Hono's parse, one value where a key came once (as hono/validator). */
function zodQuery(url: string) {
  const all = getQueryParams(url) as Record<string, string[]>;
  return Query.safeParse(
    Object.fromEntries(Object.entries(all).map(([k, v]) => (v.length === 1 ? [k, v[0]] : [k, v]))),
  );
}

describe("plainQuery: well-formed queries", () => {
  const cases: [string, ReturnType<typeof plainQuery>][] = [
    ["", { row: "top-picks", limit: 20 }],
    ["?", { row: "top-picks", limit: 20 }],
    ["?row=trending&limit=5&device=tv", { row: "trending", limit: 5, device: "tv" }],
    ["?limit=1", { row: "top-picks", limit: 1 }],
    ["?limit=100&row=because-you-watched", { row: "because-you-watched", limit: 100 }],
    ["?utm_source=tv&cb=123&limit=7", { row: "top-picks", limit: 7 }],
    ["?&limit=9&&", { row: "top-picks", limit: 9 }],
    ["?other=1&other=2&device=phone", { row: "top-picks", limit: 20, device: "phone" }],
  ];
  for (const [query, expected] of cases) {
    it(`"${query}" -> ${JSON.stringify(expected)}, as zod reads it`, () => {
      expect(plainQuery(`${BASE}${query}`)).toEqual(expected);
      const z = zodQuery(`${BASE}${query}`);
      expect(z.success && z.data).toEqual(expected);
    });
  }
});

describe("plainQuery: everything else is left to zod", () => {
  const declined = [
    "?limit=05", // zod reads 5
    "?limit=1e1", // zod reads 10
    "?limit=0x10", // zod reads 16
    "?limit=%35", // zod reads 5 (percent-encoded)
    "?limit=+5", // "+" is a space to Hono
    "?limit=101",
    "?limit=0",
    "?limit=2.5",
    "?limit=",
    "?limit",
    "?row=",
    "?row=best-of",
    "?device=TV",
    "?limit=5&limit=6",
    "?row=trending&row=trending",
    "?device=tv&device=tv",
    "?q=a%20b&limit=5",
    "?limit=5#top",
  ];
  for (const query of declined) {
    it(`"${query}" -> null`, () => {
      expect(plainQuery(`${BASE}${query}`)).toBeNull();
    });
  }
});

describe("plainParam", () => {
  it("takes a user id the schema takes and declines the rest", () => {
    expect(plainParam("user_1-A")).toEqual({ userId: "user_1-A" });
    expect(plainParam("9".repeat(64))).toEqual({ userId: "9".repeat(64) });
    for (const bad of ["", "a b", "9".repeat(65), "ü", "1/2", undefined]) expect(plainParam(bad)).toBeNull();
  });

  it("accepts only what Params accepts, with the same output (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,66}$/)), (id) => {
        const fast = plainParam(id);
        const z = Params.safeParse({ userId: id });
        expect(fast).toEqual(z.success ? z.data : null);
      }),
      { seed: 20261206, numRuns: 2000 },
    );
  });
});

describe("plainQuery against Query (property)", () => {
  const key = fc.constantFrom("row", "limit", "device", "Row", "utm", "", "lim%69t", "device+");
  const value = fc.oneof(
    fc.constantFrom("top-picks", "trending", "because-you-watched", "tv", "phone", "tablet", "web", "TV", ""),
    fc.integer({ min: -5, max: 130 }).map(String),
    fc.constantFrom("05", "1e1", "0x10", " 5", "5 ", "2.5", "%35", "+5", "1%2B1", "100", "101", "Infinity", "NaN"),
    fc.string({ maxLength: 6 }),
  );
  const pair = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
    key,
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}=x`),
  );

  it("whenever the fast path answers, zod accepts the same query with the same output", () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), fc.boolean(), (pairs, fragment) => {
        const url = `${BASE}?${pairs.join("&")}${fragment ? "#x" : ""}`;
        const fast = plainQuery(url);
        if (fast === null) return;
        answered++;
        const z = zodQuery(url);
        expect(z.success).toBe(true);
        expect(z.success && z.data).toEqual(fast);
      }),
      { seed: 20261206, numRuns: 3000 },
    );
    // The property reached the fast path's answers, not only its refusals.
    expect(answered).toBeGreaterThan(300);
  });
});
