// Benchmark statistics: nearest-rank quantiles and the ratio of medians slice by slice.
import { describe, expect, it } from "vitest";
import { median, quantile, sliceRatios } from "./stats.js";

describe("quantile", () => {
  it("takes the nearest rank", () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(median([2, 1, 4, 3])).toBe(2);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});

describe("sliceRatios", () => {
  it("gives median(num) / median(den) per consecutive slice, ignoring a remainder", () => {
    const den = [1, 1, 1, 2, 2, 2, 4, 4, 4, 9];
    const num = [2, 3, 2, 3, 3, 3, 5, 6, 5, 100];
    expect(sliceRatios(num, den, 3)).toEqual([2, 1.5, 1.25]);
  });
  it("refuses series of different lengths or too few samples", () => {
    expect(() => sliceRatios([1, 2], [1], 1)).toThrow("2 against 1 samples");
    expect(() => sliceRatios([1, 2], [1, 2], 3)).toThrow("2 samples do not make 3 slices");
  });
});
