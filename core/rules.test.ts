// Business rules: watched and unavailable titles never appear; diversity demotes, never drops.
import { describe, expect, it } from "vitest";
import { applyRules, orderByScore } from "./rules.js";

const list = {
  ids: [10, 11, 12, 13, 14, 15, 16],
  regions: [0b01, 0b01, 0b10, 0b01, 0b01, 0b01, 0b01],
  primaryGenre: [1, 1, 1, 1, 2, 255, 255],
};
const base = { watched: new Set<number>(), regionBit: null, diversity: { window: 0, maxPerGenre: 1 }, limit: 10 };

describe("applyRules", () => {
  it("drops watched titles", () => {
    const r = applyRules([0, 1, 2, 3], list, { ...base, watched: new Set([11, 13]) });
    expect(r.indices).toEqual([0, 2]);
    expect(r.stats).toEqual({ watched: 2, unavailable: 0, demoted: 0 });
  });

  it("drops titles unavailable in the region", () => {
    expect(applyRules([0, 1, 2, 3], list, { ...base, regionBit: 0 }).indices).toEqual([0, 1, 3]);
    expect(applyRules([0, 1, 2, 3], list, { ...base, regionBit: 1 }).indices).toEqual([2]);
  });

  it("caps one genre in the window and puts the demoted titles right after it", () => {
    const r = applyRules([0, 1, 2, 3, 4, 5, 6], list, { ...base, diversity: { window: 3, maxPerGenre: 2 } });
    // Window of 3: genre 1 twice (0, 1), then genre 2 (4); 2 and 3 wait, then come before 5 and 6.
    expect(r.indices).toEqual([0, 1, 4, 2, 3, 5, 6]);
    expect(r.stats.demoted).toBe(2);
  });

  it("fills the row with demoted titles when nothing else is left", () => {
    const r = applyRules([0, 1, 2, 3], list, { ...base, diversity: { window: 4, maxPerGenre: 1 } });
    expect(r.indices).toEqual([0, 1, 2, 3]);
  });

  it("never exceeds the limit", () => {
    expect(applyRules([0, 1, 2, 3, 4, 5, 6], list, { ...base, limit: 2 }).indices).toEqual([0, 1]);
  });
});

describe("orderByScore", () => {
  it("sorts best first and breaks ties by origin order", () => {
    expect(Array.from(orderByScore([0.1, 0.9, 0.5, 0.9]))).toEqual([1, 3, 2, 0]);
  });
});
