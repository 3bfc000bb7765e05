// The degraded log line is rate-limited per isolate (region, row, tier), while every response still says why.
import { reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LogThrottle } from "../src/log-throttle.js";
import { DOWN, EU_EVENING, harness, seedPopular } from "./helpers.js";

describe("LogThrottle", () => {
  it("writes the first line of a key, counts the rest of its window, reports them on the next line", () => {
    const t = new LogThrottle(10_000);
    expect(t.admit("a", 0)).toEqual({ write: true, suppressed: 0 });
    expect(t.admit("a", 1)).toEqual({ write: false });
    expect(t.admit("a", 9_999)).toEqual({ write: false });
    expect(t.admit("b", 5_000)).toEqual({ write: true, suppressed: 0 });
    expect(t.admit("a", 10_000)).toEqual({ write: true, suppressed: 2 });
    expect(t.admit("a", 10_001)).toEqual({ write: false });
    expect(t.admit("a", 30_000)).toEqual({ write: true, suppressed: 1 });
    expect(t.admit("a", 50_000)).toEqual({ write: true, suppressed: 0 });
  });

  it("past its key cap it writes every line of a new key rather than drop it unseen", () => {
    const t = new LogThrottle(10_000, 2);
    t.admit("a", 0);
    t.admit("b", 0);
    expect([t.admit("c", 1), t.admit("c", 2), t.admit("a", 3)]).toEqual([
      { write: true, suppressed: 0 },
      { write: true, suppressed: 0 },
      { write: false },
    ]);
  });
});

describe("the degraded line during an outage", () => {
  let warnings: Record<string, unknown>[] = [];

  beforeEach(async () => {
    await reset();
    warnings = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => {
      const event = JSON.parse(String(line)) as Record<string, unknown>;
      if (event.event === "degraded") warnings.push(event);
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("one line per region, row and tier per isolate; every response still lists its reasons", async () => {
    await seedPopular("eu-west");
    await seedPopular("us-east");
    const h = harness();
    const get = (user: string, region: string) =>
      h.call(
        `/v1/recommendations/${user}?limit=5`,
        { headers: { ...EU_EVENING, "x-frontrow-region": region } },
        { ORIGIN_URL: DOWN },
      );
    const bodies: { servedBy: string; degraded: string[] }[] = [];
    for (const user of ["301", "302", "303", "304", "305"]) {
      const res = await get(user, "eu-west");
      expect(res.status).toBe(200);
      bodies.push(await res.json());
    }
    const res = await get("306", "us-east");
    expect(res.status).toBe(200);
    bodies.push(await res.json());
    expect(bodies.map((b) => b.servedBy)).toEqual(Array(6).fill("fallback-popular"));
    // One reason each: the origin's failure after its retry (the fetch error's own text is workerd's).
    for (const b of bodies) expect(b.degraded).toEqual([expect.stringMatching(/^origin: .+ \(after 2 attempts\)$/)]);
    expect(warnings.map((w) => [w.region, w.row, w.servedBy, w.suppressed])).toEqual([
      ["eu-west", "top-picks", "fallback-popular", undefined],
      ["us-east", "top-picks", "fallback-popular", undefined],
    ]);
    // Another row is another key.
    await h.call("/v1/recommendations/301?row=trending&limit=5", { headers: EU_EVENING }, { ORIGIN_URL: DOWN });
    expect(warnings.map((w) => [w.region, w.row])).toEqual([
      ["eu-west", "top-picks"],
      ["us-east", "top-picks"],
      ["eu-west", "trending"],
    ]);
  });
});
