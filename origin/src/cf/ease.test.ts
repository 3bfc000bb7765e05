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
    expect(g.params).toEqual({ lambda: 1, maxItems: 1, items: 1, sessionWeight: 2, sessionMs: 300_000 });
    expect(g.similar(1, 5)).toEqual([]);
  });

  it("rejects bad hyper-parameters", () => {
    expect(() => new EaseGenerator({ lambda: 0 })).toThrow("ease: lambda must be > 0, got 0");
    expect(() => new EaseGenerator({ maxItems: 2.5 })).toThrow("ease: maxItems must be a positive integer, got 2.5");
    expect(() => new EaseGenerator({ sessionWeight: -1 })).toThrow(
      "ease: sessionWeight must be a finite number >= 0, got -1",
    );
    expect(() => new EaseGenerator({ sessionWeight: Number.NaN })).toThrow(
      "ease: sessionWeight must be a finite number >= 0, got NaN",
    );
    expect(() => new EaseGenerator({ sessionMs: 1 })).toThrow("ease: sessionMs must be an integer >= 2, got 1");
  });

  it("leaves session settings out of params when session rows are off", () => {
    expect(new EaseGenerator({ sessionWeight: 0 }).params).toEqual({ lambda: 300, maxItems: 2500, items: 0 });
  });
});

describe("EaseGenerator session rows", () => {
  // User 1 watches titles 1 and 2 a second apart (one session), user 2 ten days apart (two), user 3 only title 1.
  const DAY = 86_400_000;
  const sessions = [
    { userId: 1, itemId: 1, ts: 0 },
    { userId: 1, itemId: 2, ts: 1_000 },
    { userId: 2, itemId: 1, ts: 0 },
    { userId: 2, itemId: 2, ts: 10 * DAY },
    { userId: 3, itemId: 1, ts: 0 },
  ];

  it("stacks weighted session rows under the user rows: Gram [[3,2],[2,2]] + [[6,2],[2,4]] + lambda I", () => {
    const g = new EaseGenerator({ lambda: 1, sessionWeight: 2 });
    g.fit(sessions);
    // G + I = [[10, 4], [4, 7]]; with two titles B[i][j] = G_ij / (G_ii + lambda).
    expect(g.similar(1, 5)).toEqual([{ itemId: 2, score: Math.fround(4 / 10) }]);
    expect(g.similar(2, 5)).toEqual([{ itemId: 1, score: Math.fround(4 / 7) }]);
  });

  it("is plain EASE with sessionWeight 0, and with interactions that carry no time", () => {
    const off = new EaseGenerator({ lambda: 1, sessionWeight: 0 });
    off.fit(sessions);
    // Gram [[3, 2], [2, 2]] + I.
    expect(off.similar(1, 5)).toEqual([{ itemId: 2, score: Math.fround(2 / 4) }]);
    const untimed = new EaseGenerator({ lambda: 1, sessionWeight: 2 });
    untimed.fit(sessions.map(({ userId, itemId }) => ({ userId, itemId })));
    expect(untimed.similar(2, 5)).toEqual([{ itemId: 1, score: Math.fround(2 / 3) }]);
  });

  it("pairs two views either side of a window edge through the half-shifted binning, at half the weight", () => {
    const g = new EaseGenerator({ lambda: 1, sessionWeight: 2, sessionMs: 300_000 });
    // 299.5 s and 300.5 s: apart in the binning at offset 0, together in the one at 150 s.
    g.fit([
      { userId: 1, itemId: 1, ts: 299_500 },
      { userId: 1, itemId: 2, ts: 300_500 },
      { userId: 2, itemId: 1, ts: 0 },
    ]);
    // Users [[2,1],[1,1]] + sessions [[4,1],[1,2]] + I = [[7,2],[2,4]].
    expect(g.similar(1, 5)).toEqual([{ itemId: 2, score: Math.fround(2 / 7) }]);
    expect(g.similar(2, 5)).toEqual([{ itemId: 1, score: Math.fround(2 / 4) }]);
  });

  it("does not depend on input order or repeated views within a session", () => {
    const a = new EaseGenerator({ lambda: 1 });
    a.fit(sessions);
    const b = new EaseGenerator({ lambda: 1 });
    b.fit([...sessions].reverse().concat([{ userId: 1, itemId: 2, ts: 2_000 }]));
    expect(b.similar(1, 5)).toEqual(a.similar(1, 5));
    expect(b.similar(2, 5)).toEqual(a.similar(2, 5));
  });
});
