// Tests for the soak's pure helpers: slope fit, percentiles, the flatness verdict and the per-second grouping.
import { describe, expect, it } from "vitest";
import {
  DEV_PROXY_DROP_BODY,
  type FlatnessCriterion,
  flatnessVerdict,
  type GcSample,
  isDevProxyDrop,
  latencyPerSecond,
  latencySummary,
  linearFit,
  type MemorySample,
  partSlopes,
  slopeMiBPerMin,
  thinSamples,
} from "./soak-stats.js";

const MIB = 1024 * 1024;
const criterion: FlatnessCriterion = { maxHeapSlopeMiBPerMin: 1, maxHeapGrowthMiB: 2, maxRssSlopeMiBPerMin: 4 };

const mem = (t: number, rssMiB: number | null, phase: MemorySample["phase"] = "steady"): MemorySample => ({
  t,
  phase,
  rssBytes: rssMiB === null ? null : rssMiB * MIB,
  heapUsedBytes: null,
  backingStoreBytes: null,
});
const gc = (t: number, heapMiB: number, phase: GcSample["phase"] = "steady"): GcSample => ({
  t,
  phase,
  heapUsedBytes: heapMiB * MIB,
});

describe("linearFit", () => {
  it("recovers an exact line", () => {
    expect(linearFit([0, 1, 2, 3].map((x) => ({ x, y: 3 * x + 2 })))).toEqual({ slope: 3, intercept: 2 });
  });

  it("fits noisy points by least squares", () => {
    // (0,1) (1,3) (2,2) (3,4): mean x 1.5, mean y 2.5, sxy 4, sxx 5: slope 0.8, intercept 2.5 - 0.8 * 1.5.
    const fit = linearFit([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 2 },
      { x: 3, y: 4 },
    ]);
    expect(fit.slope).toBeCloseTo(0.8, 12);
    expect(fit.intercept).toBeCloseTo(1.3, 12);
  });

  it("has no slope without two distinct x", () => {
    expect(linearFit([]).slope).toBeNaN();
    const one = linearFit([
      { x: 2, y: 5 },
      { x: 2, y: 7 },
    ]);
    expect(one.slope).toBeNaN();
    expect(one.intercept).toBe(6);
  });
});

describe("slopeMiBPerMin", () => {
  it("converts bytes over seconds to MiB per minute and skips missing readings", () => {
    const samples = [0, 30, 60, 90].map((t) => ({ t, bytes: (100 + t / 30) * MIB }));
    // +1 MiB every 30 s is 2 MiB/min; a null reading in between changes nothing.
    expect(slopeMiBPerMin([...samples, { t: 45, bytes: null }])).toBeCloseTo(2, 12);
  });
});

describe("latencySummary", () => {
  it("takes nearest-rank percentiles, max and mean", () => {
    const ms = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, shuffled order does not matter
    expect(latencySummary(ms)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it("is NaN, not zero, for no samples", () => {
    const s = latencySummary([]);
    expect(s.n).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.p99).toBeNaN();
  });
});

describe("flatnessVerdict", () => {
  it("passes flat memory and ignores warm-up growth", () => {
    const memory = [
      mem(0, 100, "warmup"),
      mem(10, 180, "warmup"),
      ...[20, 30, 40, 50, 60, 70, 80].map((t) => mem(t, 200 + (t % 20 === 0 ? 0.5 : -0.5))),
    ];
    const gcs = [gc(10, 5, "warmup"), gc(20, 9), gc(40, 9.2), gc(60, 8.9), gc(80, 9.1)];
    const v = flatnessVerdict(memory, gcs, criterion);
    expect(v.flat).toBe(true);
    expect(v.reasons).toEqual([]);
    expect(v.heapGrowthMiB).toBeCloseTo(0.1, 12);
    expect(Math.abs(v.rssSlopeMiBPerMin)).toBeLessThan(1);
  });

  it("fails a heap that keeps growing after GC", () => {
    // +1 MiB every 20 s after GC: 3 MiB/min, 3 MiB over the minute.
    const gcs = [20, 40, 60, 80].map((t, i) => gc(t, 10 + i));
    const v = flatnessVerdict(
      [20, 50, 80].map((t) => mem(t, 200)),
      gcs,
      criterion,
    );
    expect(v.flat).toBe(false);
    expect(v.heapSlopeMiBPerMin).toBeCloseTo(3, 12);
    expect(v.heapGrowthMiB).toBe(3);
    expect(v.reasons).toEqual([
      "post-GC heap slope 3.000 MiB/min >= 1 MiB/min",
      "post-GC heap growth 3.000 MiB >= 2 MiB",
    ]);
  });

  it("fails a growing RSS even when the heap is flat", () => {
    const memory = [20, 30, 40, 50, 60, 70, 80].map((t) => mem(t, 200 + (t - 20) / 6)); // 10 MiB/min
    const v = flatnessVerdict(memory, [gc(20, 9), gc(80, 9)], criterion);
    expect(v.flat).toBe(false);
    expect(v.rssSlopeMiBPerMin).toBeCloseTo(10, 12);
    expect(v.reasons).toEqual(["RSS slope 10.000 MiB/min >= 4 MiB/min"]);
  });

  it("treats missing readings as a failure to judge, never as a pass", () => {
    const v = flatnessVerdict([mem(20, null), mem(30, null)], [gc(20, 9)], criterion);
    expect(v.flat).toBe(false);
    expect(v.reasons).toEqual([
      "post-GC heap slope: not enough readings to judge",
      "post-GC heap growth: not enough readings to judge",
      "RSS slope: not enough readings to judge",
    ]);
  });

  it("fails at exactly the threshold (the criterion is strictly below)", () => {
    const gcs = [gc(0, 10), gc(60, 11)]; // slope exactly 1 MiB/min
    const v = flatnessVerdict([mem(0, 200), mem(60, 200)], gcs, criterion);
    expect(v.reasons).toEqual(["post-GC heap slope 1.000 MiB/min >= 1 MiB/min"]);
  });
});

describe("thinSamples", () => {
  it("keeps the first reading at or after each multiple", () => {
    const samples = [0.01, 1.02, 9.9, 10.03, 11, 19.99, 20.5, 35].map((t) => ({ t }));
    expect(thinSamples(samples, 10).map((s) => s.t)).toEqual([0.01, 10.03, 20.5, 35]);
  });
});

describe("latencyPerSecond", () => {
  it("groups by whole second in order", () => {
    const rows = latencyPerSecond([
      { t: 1.9, ms: 4 },
      { t: 0.1, ms: 1 },
      { t: 0.5, ms: 3 },
      { t: 1.2, ms: 2 },
      { t: 0.7, ms: 2 },
    ]);
    expect(rows).toEqual([
      { second: 0, n: 3, p50: 2, p99: 3 },
      { second: 1, n: 2, p50: 2, p99: 4 },
    ]);
  });
});

describe("partSlopes", () => {
  const parts = (native: number, jsHeaps: number) => ({
    jsHeaps: jsHeaps * MIB,
    wasm: 5 * MIB,
    code: 0,
    native: native * MIB,
    file: 60 * MIB,
  });
  it("fits each part over the steady samples that have parts", () => {
    const samples: MemorySample[] = [
      { ...mem(0, 100, "warmup"), parts: parts(0, 500) },
      { ...mem(60, 100), parts: parts(100, 40) },
      { ...mem(90, 100), parts: null },
      { ...mem(120, 100), parts: parts(103, 40) },
      { ...mem(180, 100), parts: parts(106, 40) },
    ];
    expect(partSlopes(samples)).toEqual({ jsHeaps: 0, wasm: 0, code: 0, native: 3, file: 0 });
  });
});

describe("isDevProxyDrop", () => {
  it("is wrangler dev's own 503 text only, never the worker's answers", () => {
    expect(isDevProxyDrop(503, DEV_PROXY_DROP_BODY)).toBe(true);
    expect(isDevProxyDrop(500, DEV_PROXY_DROP_BODY)).toBe(false);
    expect(isDevProxyDrop(503, `${DEV_PROXY_DROP_BODY} `)).toBe(false);
    expect(isDevProxyDrop(503, '{"error":{"code":"unavailable","message":"x","requestId":"r"}}')).toBe(false);
  });
});
