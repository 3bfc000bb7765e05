// Benchmark statistics: nearest-rank quantiles and the ratio of medians slice by slice.
import { describe, expect, it } from "vitest";
import { argValues, median, quantile, shuffler, sliceRatios } from "./stats.js";

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

describe("shuffler", () => {
  it("gives each call a new permutation, the same sequence for the same seed", () => {
    const items = ["a", "b", "c", "d", "e"];
    const a = shuffler(7);
    const b = shuffler(7);
    const orders = Array.from({ length: 50 }, () => a(items));
    expect(Array.from({ length: 50 }, () => b(items))).toEqual(orders);
    for (const o of orders) expect([...o].sort()).toEqual(items);
    // Every item leads some round: no fixed predecessor, no fixed first route.
    expect(new Set(orders.map((o) => o[0]))).toEqual(new Set(items));
    expect(new Set(orders.map((o) => o.join(""))).size).toBeGreaterThan(30);
    expect(shuffler(8)(items)).not.toEqual(shuffler(7)(items));
    expect(items).toEqual(["a", "b", "c", "d", "e"]);
  });
});

describe("argValues", () => {
  it("reads every value after a repeated flag, and none for a trailing flag", () => {
    const argv = ["node", "x", "--tree", "a=.", "--rounds", "10", "--tree", "b=../b", "--route"];
    expect(argValues("--tree", argv)).toEqual(["a=.", "b=../b"]);
    expect(argValues("--route", argv)).toEqual([]);
    expect(argValues("--rounds", argv)).toEqual(["10"]);
  });
});
