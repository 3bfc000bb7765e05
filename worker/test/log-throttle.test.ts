// The degraded log line is rate-limited per isolate (region, row, tier), while every response still says why.
import { reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LogThrottle } from "../src/log-throttle.js";
import { type DegradedKey, degradedKeyOf } from "../src/services.js";
import { DOWN, EU_EVENING, harness, seedPopular } from "./helpers.js";

/** A manual clock for the throttle: `at(t)` sets the time its next call reads. */
function manualClock(): { now: () => number; at: (t: number) => void } {
  let t = 0;
  return { now: () => t, at: (v) => (t = v) };
}

/** Test details name their key by their first letter: "a2" is key a's third line. */
const byLetter = (detail: string) => detail.charAt(0);

/** A throttle of 10 s windows over test details, on a manual clock starting at 0. */
function throttled(): { t: LogThrottle<string>; clock: ReturnType<typeof manualClock> } {
  const clock = manualClock();
  return { t: new LogThrottle<string>(byLetter, 10_000, 1_000, clock.now), clock };
}

describe("LogThrottle", () => {
  it("writes the first line of a key, counts the rest of its window, reports them on the next line", () => {
    const { t, clock } = throttled();
    const at = (ms: number, key: string) => {
      clock.at(ms);
      return t.admit(key);
    };
    expect(at(0, "a")).toEqual({ write: true, suppressed: 0 });
    expect(at(1, "a")).toEqual({ write: false });
    expect(at(9_999, "a")).toEqual({ write: false });
    expect(at(5_000, "b")).toEqual({ write: true, suppressed: 0 });
    expect(at(10_000, "a")).toEqual({ write: true, suppressed: 2 });
    expect(at(10_001, "a")).toEqual({ write: false });
    expect(at(30_000, "a")).toEqual({ write: true, suppressed: 1 });
    expect(at(50_000, "a")).toEqual({ write: true, suppressed: 0 });
  });

  it("past its key cap it writes every line of a new key rather than drop it unseen", () => {
    const t = new LogThrottle<string>(byLetter, 10_000, 2, () => 0);
    t.admit("a");
    t.admit("b");
    expect([t.admit("c"), t.admit("c"), t.admit("a")]).toEqual([
      { write: true, suppressed: 0 },
      { write: true, suppressed: 0 },
      { write: false },
    ]);
  });

  it("drain() owes the skips of a key quiet for a window after its own, once, and forgets quiet keys", () => {
    const { t, clock } = throttled();
    t.admit("a0");
    t.admit("b0");
    clock.at(2_000);
    t.admit("a1");
    t.admit("a2");
    clock.at(6_000);
    t.admit("c0");
    clock.at(12_000);
    t.admit("c1");
    // a's and b's windows ended at 10,000; within the grace window after it a line of their own may still come.
    clock.at(19_999);
    expect(t.drain()).toEqual([]);
    expect(t.size).toBe(3);
    // a owes two lines (the last skipped was a2), b none; c's window runs to 16,000, its grace to 26,000.
    clock.at(20_000);
    expect(t.drain()).toEqual([{ detail: "a2", suppressed: 2 }]);
    expect(t.size).toBe(1);
    expect(t.drain()).toEqual([]);
    // A forgotten key starts afresh: its skips were already reported, so its next line owes none.
    expect(t.admit("a3")).toEqual({ write: true, suppressed: 0 });
    clock.at(26_000);
    expect(t.drain()).toEqual([{ detail: "c1", suppressed: 1 }]);
    clock.at(40_000);
    expect(t.drain()).toEqual([]);
    expect(t.size).toBe(0);
  });

  it("a key's skips reported by its next line are not owed again by drain()", () => {
    const { t, clock } = throttled();
    t.admit("a0");
    t.admit("a1");
    clock.at(10_000);
    expect(t.admit("a2")).toEqual({ write: true, suppressed: 1 });
    expect(t.drain()).toEqual([]);
    clock.at(30_000);
    expect(t.drain()).toEqual([]);
    expect(t.size).toBe(0);
  });
});

describe("the degraded line during an outage", () => {
  let warnings: Record<string, unknown>[] = [];
  let summaries: Record<string, unknown>[] = [];

  beforeEach(async () => {
    await reset();
    warnings = [];
    summaries = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => {
      const event = JSON.parse(String(line)) as Record<string, unknown>;
      if (event.event === "degraded") warnings.push(event);
      if (event.event === "degraded-suppressed") summaries.push(event);
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

  it("the skips of a window its key never reports are written once, by a later request", async () => {
    await seedPopular("eu-west");
    await seedPopular("us-east");
    const h = harness();
    const clock = manualClock();
    h.svc.degradedLog = new LogThrottle<DegradedKey>(degradedKeyOf, 10_000, 1_000, clock.now);
    const get = async (user: string, region: string) => {
      const res = await h.call(
        `/v1/recommendations/${user}?limit=5`,
        { headers: { ...EU_EVENING, "x-frontrow-region": region } },
        { ORIGIN_URL: DOWN },
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as { servedBy: string }).servedBy).toBe("fallback-popular");
    };
    for (const user of ["311", "312", "313"]) await get(user, "eu-west");
    expect(warnings.map((w) => [w.region, w.suppressed])).toEqual([["eu-west", undefined]]);
    expect(summaries).toEqual([]);
    // eu-west's window ends with two lines skipped and eu-west stays quiet for another window: the next request,
    // for another key, writes what it owes.
    clock.at(20_000);
    await get("314", "us-east");
    expect(warnings.map((w) => [w.region, w.suppressed])).toEqual([
      ["eu-west", undefined],
      ["us-east", undefined],
    ]);
    expect(summaries).toEqual([
      {
        level: "warn",
        event: "degraded-suppressed",
        region: "eu-west",
        row: "top-picks",
        servedBy: "fallback-popular",
        suppressed: 2,
      },
    ]);
    // Reported once: eu-west's next line starts afresh, and nothing more is owed.
    clock.at(35_000);
    await get("315", "eu-west");
    expect(warnings.map((w) => [w.region, w.suppressed])).toEqual([
      ["eu-west", undefined],
      ["us-east", undefined],
      ["eu-west", undefined],
    ]);
    expect(summaries).toHaveLength(1);
  });
});
