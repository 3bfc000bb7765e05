// EASE: the shared generator contract, the closed form on a case worked by hand, and the popular-N restriction.
import { describe, expect, it } from "vitest";
import { EaseGenerator } from "./ease.js";
import { registerGeneratorContract } from "./generator.contract.js";

registerGeneratorContract("ease", () => new EaseGenerator({ lambda: 5 }));
registerGeneratorContract("ease (default lambda)", () => new EaseGenerator());

// Users 1-3 watch titles 1 and 2; user 4 only title 1. Gram = [[4, 3], [3, 3]] + lambda I.
const twoTitles = [
  { userId: 1, itemId: 1 },
  { userId: 1, itemId: 2 },
  { userId: 2, itemId: 1 },
  { userId: 2, itemId: 2 },
  { userId: 3, itemId: 1 },
  { userId: 3, itemId: 2 },
  { userId: 4, itemId: 1 },
];

describe("EaseGenerator", () => {
  it("matches the 2x2 closed form: B[i][j] = G_ij / (G_ii + lambda)", () => {
    const g = new EaseGenerator({ lambda: 1 });
    g.fit(twoTitles);
    expect(g.similar(1, 5)).toEqual([{ itemId: 2, score: Math.fround(3 / 5) }]);
    expect(g.similar(2, 5)).toEqual([{ itemId: 1, score: Math.fround(3 / 4) }]);
    expect(g.recommend(4, 5, new Set([1]))).toEqual([{ itemId: 2, score: Math.fround(3 / 5) }]);
  });

  it("models only the maxItems most-watched titles", () => {
    const g = new EaseGenerator({ lambda: 1, maxItems: 1 });
    g.fit(twoTitles);
    expect(g.covers(1)).toBe(true);
    expect(g.covers(2)).toBe(false);
    expect(g.params).toEqual({ lambda: 1, maxItems: 1, items: 1 });
    expect(g.similar(1, 5)).toEqual([]);
  });

  it("rejects bad hyper-parameters", () => {
    expect(() => new EaseGenerator({ lambda: 0 })).toThrow("ease: lambda must be > 0, got 0");
    expect(() => new EaseGenerator({ maxItems: 2.5 })).toThrow("ease: maxItems must be a positive integer, got 2.5");
  });
});
