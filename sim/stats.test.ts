// The simulation's statistics: quantiles, tier classes, summaries, busiest window and the recovery rule.
import { describe, expect, it } from "vitest";
import {
  binCounts,
  busiestWindow,
  degradedShares,
  type Outcome,
  quantile,
  recoveryMs,
  summarise,
  tierClass,
} from "./stats.js";

const o = (p: Partial<Outcome>): Outcome => ({
  atMs: 0,
  region: "eu-west",
  ms: 10,
  lagMs: 0,
  status: 200,
  peak: false,
  servedBy: "model",
  cacheStatus: "hit",
  degraded: false,
  ...p,
});

describe("quantile", () => {
  it("is the nearest-rank percentile the benchmarks use", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe("tierClass", () => {
  it("maps servedBy and cache.status to one class", () => {
    expect(tierClass(o({}))).toBe("hit");
    expect(tierClass(o({ cacheStatus: "miss" }))).toBe("miss");
    expect(tierClass(o({ cacheStatus: "stale" }))).toBe("stale");
    expect(tierClass(o({ servedBy: "stale", cacheStatus: "stale-if-error" }))).toBe("stale");
    expect(tierClass(o({ servedBy: "origin-order" }))).toBe("origin-order");
    expect(tierClass(o({ servedBy: "fallback-popular", cacheStatus: "fallback" }))).toBe("fallback");
    expect(tierClass(o({ servedBy: "empty", cacheStatus: "none" }))).toBe("fallback");
    expect(tierClass(o({ status: 503 }))).toBe("error");
    expect(tierClass(o({ status: 0, servedBy: null }))).toBe("error");
  });
});

describe("summarise", () => {
  it("reports rates over all answers and counts 5xx and dropped requests", () => {
    const s = summarise([
      o({ ms: 1 }),
      o({ ms: 2, cacheStatus: "stale" }),
      o({ ms: 3, servedBy: "fallback-popular", cacheStatus: "fallback", degraded: true }),
      o({ ms: 4, servedBy: "origin-order", degraded: true }),
      o({ ms: 5, status: 0, servedBy: null, cacheStatus: null }),
    ]);
    expect(s).toMatchObject({ n: 5, p50: 3, errors5xx: 1, hitRatio: 0.4, staleRate: 0.2, fallbackRate: 0.2 });
    expect(s.originOrderRate).toBe(0.2);
    expect(s.degradedRate).toBe(0.6);
  });
  it("leaves the edge rates at zero on the origin-direct path", () => {
    const s = summarise([
      o({ servedBy: null, cacheStatus: null }),
      o({ servedBy: null, cacheStatus: null, status: 502 }),
    ]);
    expect(s).toMatchObject({ n: 2, errors5xx: 1, hitRatio: 0, fallbackRate: 0, degradedRate: 0 });
  });
});

describe("bins", () => {
  it("counts times into bins and finds the busiest window", () => {
    expect(binCounts([0, 5, 10, 19, 25, 99], 10, 30)).toEqual([2, 2, 1]);
    expect(busiestWindow([1, 5, 1, 4, 4, 0], 2)).toBe(3);
    expect(busiestWindow([3, 3, 3], 2)).toBe(0);
  });
  it("gives each bin's degraded share, NaN where too few answers", () => {
    const shares = degradedShares(
      [o({ atMs: 100 }), o({ atMs: 200, degraded: true }), o({ atMs: 1100 }), o({ atMs: 2500, degraded: true })],
      1000,
      3000,
      2,
    );
    expect(shares[0]).toBe(0.5);
    expect(shares[1]).toBeNaN();
    expect(shares[2]).toBeNaN();
  });
});

describe("recoveryMs", () => {
  const rule = { binMs: 1000, sustainBins: 3, tolerance: 0.02 };
  it("is the start of the first sustained run within tolerance after the window, minus the window's end", () => {
    //            0    1    2    3    4     5     6     7
    const s = [0.01, 0.9, 0.9, 0.5, 0.02, 0.9, 0.01, 0.02, 0.03, 0.0];
    // The window ends at 3.0 s; bin 4 recovers but bin 5 breaks it; 6, 7, 8 hold: 6.0 - 3.0 = 3 s.
    expect(recoveryMs(s, 3000, 0.01, rule)).toBe(3000);
  });
  it("judges only whole bins after the window and skips bins too thin to judge", () => {
    const s = [0.9, 0.9, Number.NaN, 0.0, Number.NaN, 0.0, 0.0];
    expect(recoveryMs(s, 1500, 0, rule)).toBe(1500);
  });
  it("is zero when the mix never left the baseline and null when it never comes back", () => {
    expect(recoveryMs([0, 0, 0, 0], 1000, 0, rule)).toBe(0);
    expect(recoveryMs([0, 0.5, 0.5, 0.5, 0, 0], 1000, 0, rule)).toBeNull();
  });
});
