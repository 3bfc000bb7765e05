// The fault schedule leaves every fault a measurable recovery: gaps and the tail at least minGapMs, no overlap.
import { describe, expect, it } from "vitest";
import { faultSchedule, minScheduleMs } from "./schedule.js";

const base = { faults: 5, leadMs: 15_000, windowMs: 12_000, minGapMs: 18_000 };

describe("faultSchedule", () => {
  it("places the windows after the lead-in and shares the spare time among the gaps", () => {
    expect(faultSchedule({ ...base, wallMs: 180_000 })).toEqual([
      { fromMs: 15_000, toMs: 27_000 },
      { fromMs: 48_000, toMs: 60_000 },
      { fromMs: 81_000, toMs: 93_000 },
      { fromMs: 114_000, toMs: 126_000 },
      { fromMs: 147_000, toMs: 159_000 },
    ]);
  });

  it("leaves at least minGapMs after every window, the last one included", () => {
    for (const wallMs of [165_000, 166_999, 180_000, 240_000, 601_000]) {
      const w = faultSchedule({ ...base, wallMs });
      const ends = [...w.slice(1).map((x) => x.fromMs), wallMs];
      w.forEach((x, i) => {
        expect(x.toMs - x.fromMs).toBe(base.windowMs);
        expect((ends[i] as number) - x.toMs).toBeGreaterThanOrEqual(base.minGapMs);
      });
      expect(w[0]?.fromMs).toBe(base.leadMs);
    }
  });

  it("refuses a replay too short to see every recovery", () => {
    expect(minScheduleMs(base)).toBe(165_000);
    expect(() => faultSchedule({ ...base, wallMs: 164_999 })).toThrow(/needs at least 165 s/);
    expect(() => faultSchedule({ ...base, wallMs: 120_000 })).toThrow(RangeError);
  });
});
