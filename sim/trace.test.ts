// The trace generator: diurnal shape, each region's evening peak in its own time zone, Zipf rank-frequency, limits.
import { describe, expect, it } from "vitest";
import {
  diurnal,
  generateTrace,
  maxPerMinute,
  PEAK_LOCAL_HOUR,
  sampleCdf,
  type TraceEvent,
  type TraceOptions,
  zipfCdf,
} from "./trace.js";

const DAY = Date.UTC(2026, 10, 4); // a Wednesday, standard time everywhere below
const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const REGIONS = [
  { id: "us-east", timeZone: "America/New_York", weight: 0.35, users: users(1, 200) },
  { id: "us-west", timeZone: "America/Los_Angeles", weight: 0.15, users: users(201, 200) },
  { id: "eu-west", timeZone: "Europe/Paris", weight: 0.3, users: users(401, 200) },
  { id: "ap-southeast", timeZone: "Asia/Singapore", weight: 0.2, users: users(601, 200) },
];
const base: TraceOptions = {
  seed: 7,
  regions: REGIONS,
  dayStart: DAY,
  wallMs: 86_400,
  peakRps: 1500,
  zipfS: 1,
  newUserShare: 0.01,
  maxUserPerMinute: 1_000_000,
};

function countsByUtcHour(events: readonly TraceEvent[], region: string): number[] {
  const c = new Array<number>(24).fill(0);
  for (const e of events) {
    const h = new Date(e.simTime).getUTCHours();
    if (e.region === region) c[h] = (c[h] as number) + 1;
  }
  return c;
}

describe("diurnal", () => {
  it("peaks at 1 in the evening and wraps around midnight", () => {
    expect(diurnal(PEAK_LOCAL_HOUR)).toBeCloseTo(1, 12);
    expect(diurnal(0.5)).toBeCloseTo(diurnal(24.5), 12);
    expect(diurnal(4.75)).toBeLessThan(0.1);
    expect(diurnal(12.5)).toBeGreaterThan(diurnal(9));
    for (let h = 0; h < 24; h += 0.25) expect(diurnal(h)).toBeLessThanOrEqual(1);
  });
});

describe("zipf sampling", () => {
  it("builds the normalised cumulative 1/k^s weights", () => {
    const cdf = zipfCdf(4, 1);
    const h = 1 + 1 / 2 + 1 / 3 + 1 / 4;
    expect([...cdf].map((v) => +v.toFixed(12))).toEqual(
      [1 / h, 1.5 / h, (1.5 + 1 / 3) / h, 1].map((v) => +v.toFixed(12)),
    );
  });
  it("picks the first rank whose cumulative weight reaches u", () => {
    const cdf = zipfCdf(4, 1);
    expect(sampleCdf(cdf, 0)).toBe(0);
    expect(sampleCdf(cdf, 0.48)).toBe(0);
    expect(sampleCdf(cdf, 0.49)).toBe(1);
    expect(sampleCdf(cdf, 0.999)).toBe(3);
  });
});

describe("generateTrace", () => {
  const trace = generateTrace(base);

  it("is deterministic under its seed", () => {
    const again = generateTrace(base);
    expect(again.length).toBe(trace.length);
    expect(again.slice(0, 50)).toEqual(trace.slice(0, 50));
    expect(generateTrace({ ...base, seed: 8 }).slice(0, 50)).not.toEqual(trace.slice(0, 50));
  });

  it("puts each region's busiest hour at 20:00-21:00 local, i.e. its own UTC hour", () => {
    // Standard time on 4 Nov 2026: New York UTC-5, Los Angeles UTC-8, Paris UTC+1, Singapore UTC+8.
    const expected: Record<string, number> = { "us-east": 1, "us-west": 4, "eu-west": 19, "ap-southeast": 12 };
    for (const r of REGIONS) {
      const c = countsByUtcHour(trace, r.id);
      expect(c.indexOf(Math.max(...c)), r.id).toBe(expected[r.id]);
    }
  });

  it("keeps the events in time order, inside the replay, with the simulated time scaled from the wall time", () => {
    for (let i = 1; i < trace.length; i++) expect(trace[i]?.atMs).toBeGreaterThanOrEqual(trace[i - 1]?.atMs as number);
    const last = trace.at(-1) as TraceEvent;
    expect(last.atMs).toBeLessThan(base.wallMs);
    expect(last.simTime).toBe(DAY + Math.round(last.atMs * 1000));
  });

  it("draws users with a Zipf(1) rank-frequency shape within a region", () => {
    const freq = new Map<string, number>();
    for (const e of trace) if (e.region === "us-east" && !e.newUser) freq.set(e.userId, (freq.get(e.userId) ?? 0) + 1);
    const byRank = REGIONS[0]?.users.map((u) => freq.get(String(u)) ?? 0) as number[];
    // Least-squares slope of log frequency on log rank over the top 50 ranks.
    const xs = byRank.slice(0, 50).map((_, i) => Math.log(i + 1));
    const ys = byRank.slice(0, 50).map((f) => Math.log(f));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope =
      xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(slope).toBeGreaterThan(-1.1);
    expect(slope).toBeLessThan(-0.9);
    expect((byRank[0] as number) / (byRank[1] as number)).toBeGreaterThan(1.8);
    expect((byRank[0] as number) / (byRank[1] as number)).toBeLessThan(2.2);
  });

  it("sends the asked share of requests from new sign-ups, ids outside the catalog", () => {
    const fresh = trace.filter((e) => e.newUser);
    expect(fresh.length / trace.length).toBeGreaterThan(0.008);
    expect(fresh.length / trace.length).toBeLessThan(0.012);
    expect(fresh.every((e) => Number(e.userId) >= 900_000)).toBe(true);
  });

  it("gives every user and device its own stable address", () => {
    const ipOf = new Map<string, string>();
    for (const e of trace) {
      const k = `${e.userId}/${e.device}`;
      expect(ipOf.get(k) ?? e.ip).toBe(e.ip);
      ipOf.set(k, e.ip);
    }
    expect(new Set(ipOf.values()).size).toBe(ipOf.size);
  });
});

describe("per-user rate", () => {
  it("never sends one user more than maxUserPerMinute requests in a wall minute", () => {
    const capped = generateTrace({ ...base, wallMs: 600_000, peakRps: 40, maxUserPerMinute: 30 });
    expect(maxPerMinute(capped, (e) => e.userId)).toBeLessThanOrEqual(30);
    const uncapped = generateTrace({ ...base, wallMs: 600_000, peakRps: 40 });
    expect(maxPerMinute(uncapped, (e) => e.userId)).toBeGreaterThan(30);
  });

  it("fails clearly when the rate cannot be spread over the users", () => {
    const tiny = [{ ...REGIONS[0], users: [1] }] as TraceOptions["regions"];
    expect(() => generateTrace({ ...base, regions: tiny, wallMs: 600_000, peakRps: 40, maxUserPerMinute: 5 })).toThrow(
      /every drawn user is at 5 requests per minute/,
    );
  });

  it("counts the busiest sliding minute exactly", () => {
    const ev = (atMs: number, userId: string) => ({ atMs, userId }) as TraceEvent;
    const list = [ev(0, "a"), ev(59_999, "a"), ev(60_000, "a"), ev(61_000, "a"), ev(10, "b")];
    expect(maxPerMinute(list, (e) => e.userId)).toBe(3);
  });
});
