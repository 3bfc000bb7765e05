// Temporal holdout and metric plumbing on a log small enough to check by hand.
import { describe, expect, it } from "vitest";
import type { Interaction } from "../dataset.js";
import { popularityRecommender, scoreRecommender, temporalSplit } from "./evaluate.js";

const x = (userId: number, itemId: number, ts: number): Interaction => ({
  userId,
  itemId,
  ts,
  region: "r",
  device: "tv",
});

describe("temporalSplit", () => {
  it("holds out each user's last 20% by time", () => {
    const log = [
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => x(1, i, 100 - i)), // user 1 watched 10 first, 1 last
      x(2, 1, 5),
      x(2, 2, 6),
      x(2, 3, 7),
      x(2, 4, 8),
    ];
    const s = temporalSplit(log);
    expect(s.test).toEqual(new Map([[1, new Set([2, 1])]]));
    expect(s.seen.get(1)).toEqual(new Set([10, 9, 8, 7, 6, 5, 4, 3]));
    expect(s.seen.get(2)).toEqual(new Set([1, 2, 3, 4]));
    expect(s.train).toHaveLength(12);
    expect(s.train.map((t) => t.ts)).toEqual([...s.train.map((t) => t.ts)].sort((a, b) => a - b));
  });

  it("drops held-out titles the user already has in training, and rejects bad fractions", () => {
    const log = [x(1, 1, 1), x(1, 2, 2), x(1, 3, 3), x(1, 4, 4), x(1, 1, 5)];
    expect(temporalSplit(log).test.size).toBe(0);
    expect(() => temporalSplit(log, 1)).toThrow("holdout fraction must be in (0, 1), got 1");
  });
});

describe("scoreRecommender", () => {
  it("averages NDCG@k and Recall@k over test users", () => {
    const log = [
      x(1, 1, 1),
      x(1, 2, 2),
      x(1, 3, 3),
      x(1, 4, 4),
      x(1, 5, 5),
      x(2, 5, 1),
      x(2, 1, 2),
      x(2, 2, 3),
      x(2, 3, 4),
      x(2, 6, 5),
    ];
    const s = temporalSplit(log);
    // Training counts: 1, 2, 3 twice each, 4 and 5 once. User 1 must find 5; user 2 must find 6.
    const score = scoreRecommender("popularity", popularityRecommender(s.train), s, 2);
    // User 1 (1-4 seen) gets [5]: a hit at rank 1; user 2 (1, 2, 3, 5 seen) gets [4]: a miss.
    expect(score.ndcg).toBe(0.5);
    expect(score.recall).toBe(0.5);
    expect(score.users).toBe(2);
  });
});
