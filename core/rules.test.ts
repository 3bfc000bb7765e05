// Business rules: watched and unavailable titles never appear; diversity demotes, never drops.
import { describe, expect, it } from "vitest";
import { applyRules, orderByScore, topByScore } from "./rules.js";

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

  it("says when the order ran out before the row was full", () => {
    expect(applyRules([0, 1], list, { ...base, limit: 2 }).exhausted).toBe(false);
    expect(applyRules([0, 1], list, { ...base, limit: 3 }).exhausted).toBe(true);
    // Full only thanks to demoted titles pulled back in at the end: a longer order could have filled it otherwise.
    const demoted = applyRules([0, 1, 2], list, { ...base, limit: 3, diversity: { window: 3, maxPerGenre: 1 } });
    expect(demoted.indices).toEqual([0, 1, 2]);
    expect(demoted.exhausted).toBe(true);
  });
});

describe("orderByScore", () => {
  it("sorts best first and breaks ties by origin order", () => {
    expect(Array.from(orderByScore([0.1, 0.9, 0.5, 0.9]))).toEqual([1, 3, 2, 0]);
  });

  it("orders negatives, zeros and extremes like a comparator sort", () => {
    const scores = [-0, 0, -1e-30, 1e-30, -3.5, 3.5, -3.4e38, 3.4e38, 0.5, -0.5, 0.5];
    const expected = scores
      .map((_, i) => i)
      .sort((a, b) => Math.fround(scores[b] as number) - Math.fround(scores[a] as number) || a - b);
    expect(Array.from(orderByScore(Float32Array.from(scores)))).toEqual(expected);
  });

  it("matches a comparator sort on 2,000 random float32 scores with ties, and above the packed limit", () => {
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32) * 2 - 1;
    };
    for (const n of [2000, 3000]) {
      const scores = Float32Array.from({ length: n }, () => Math.round(rand() * 300) / 100);
      const expected = Array.from({ length: n }, (_, i) => i).sort(
        (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
      );
      expect(Array.from(orderByScore(scores))).toEqual(expected);
    }
  });
});

describe("topByScore", () => {
  let s = 777;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };

  it("is the head of orderByScore for every k, with ties, sorted and reverse-sorted inputs", () => {
    const inputs = [
      Float32Array.from({ length: 500 }, () => Math.round(rand() * 50) / 10),
      Float32Array.from({ length: 500 }, (_, i) => 1 - i / 500),
      Float32Array.from({ length: 500 }, (_, i) => i / 500),
      new Float32Array(37),
    ];
    for (const scores of inputs) {
      const full = Array.from(orderByScore(scores));
      for (const k of [0, 1, 2, 20, 96, 499, 500, 501]) {
        expect(Array.from(topByScore(scores, k))).toEqual(full.slice(0, k));
      }
    }
  });

  it("is the head of orderByScore above the packed limit", () => {
    const scores = Float32Array.from({ length: 3000 }, () => rand());
    expect(Array.from(topByScore(scores, 50))).toEqual(Array.from(orderByScore(scores)).slice(0, 50));
  });
});
