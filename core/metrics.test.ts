// Ranking metrics against hand-computed values.
import { describe, expect, it } from "vitest";
import { hitRateAtK, mrr, ndcgAtK, precisionAtK, recallAtK } from "./metrics.js";

describe("metrics", () => {
  const rel = new Set([2, 5]);
  it("NDCG@k", () => {
    expect(ndcgAtK([2, 5, 1], rel, 10)).toBe(1);
    expect(ndcgAtK([1, 2, 3], rel, 3)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK([1, 3], rel, 10)).toBe(0);
    expect(ndcgAtK([1], new Set(), 10)).toBe(0);
    expect(ndcgAtK([9, 9, 2], new Set([2]), 2)).toBe(0);
  });
  it("recall, precision, hit rate, MRR", () => {
    expect(recallAtK([2, 1, 3], rel, 3)).toBe(0.5);
    expect(precisionAtK([2, 1, 5, 4], rel, 4)).toBe(0.5);
    expect([hitRateAtK([1, 2], rel, 1), hitRateAtK([1, 2], rel, 2)]).toEqual([0, 1]);
    expect([mrr([1, 3, 5], rel), mrr([1], rel)]).toEqual([1 / 3, 0]);
  });
});
