// Tests of the offline evaluation on a hand-built stage with known NDCG, recall and MRR.
import { describe, expect, it } from "vitest";
import type { RankingContext } from "../../core/features.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import { evaluate, formatEvaluation } from "./evaluate.js";
import type { ExampleList, Stage } from "./examples.js";

const ctxA: RankingContext = { region: "eu-west", localHour: 9, weekday: 2, year: 2026, device: "tv" };
const ctxB: RankingContext = { ...ctxA, device: "phone" };
const ids = Uint32Array.from([10, 20, 30, 40]);
const list: ExampleList = {
  userId: 1,
  ids,
  columns: {
    size: 4,
    cfScore: new Float32Array(4),
    popularity: new Float32Array(4),
    genres: new Uint32Array(4),
    tags: new Uint32Array(4),
    year: new Uint16Array(4),
  },
  profile: {
    userId: "1",
    genreAffinity: new Array(19).fill(0),
    tagAffinity: new Array(16).fill(0),
    activity: 1,
    yearMean: null,
    popularityMean: null,
    watched: [5],
    lastWatched: 5,
    updatedAt: 0,
  },
  watched: new Set([5]),
  events: [
    { itemId: 30, ts: 1, context: ctxA },
    { itemId: 99, ts: 2, context: ctxB },
    // A re-watch of a title already seen: never relevant, never ranked.
    { itemId: 5, ts: 3, context: ctxB },
  ],
  relevant: new Set([30, 99]),
  labels: Uint8Array.from([0, 0, 1, 0]),
};
const stage: Stage = {
  lists: [list],
  visible: [],
  counts: new Map([
    [5, 100],
    [40, 50],
    [30, 10],
    [99, 3],
    [10, 2],
    [20, 1],
  ]),
  generator: {} as CandidateGenerator,
};
/** In context A the model puts 30 first; in B it prefers 40, then 30. */
const scorer = (_: ExampleList, ctx: RankingContext) => (ctx.device === "tv" ? [0, 0, 5, 1] : [1, 2, 3, 4]);

const L2 = Math.log2(3);

describe("evaluate", () => {
  const e = evaluate(stage, scorer);

  it("window: one ranking in the first view's context, all held-out titles relevant", () => {
    const ideal = 1 + 1 / L2;
    expect(e.window.origin.ndcg10).toBeCloseTo(0.5 / ideal, 12);
    expect(e.window.model.ndcg10).toBeCloseTo(1 / ideal, 12);
    // Popularity skips the watched title 5: 40, 30, 99, 10.
    expect(e.window.popularity.ndcg10).toBeCloseTo((1 / L2 + 0.5) / ideal, 12);
    expect(e.window.origin.recall10).toBe(0.5);
    expect(e.window.popularity.recall10).toBe(1);
    expect(e.window.origin.mrr).toBeCloseTo(1 / 3, 12);
    expect(e.window.model.count).toBe(1);
  });

  it("next: each view in its own context, earlier views removed, re-watches skipped", () => {
    expect(e.next.model.count).toBe(2);
    expect(e.next.origin.ndcg10).toBeCloseTo((0.5 + 0) / 2, 12);
    expect(e.next.model.ndcg10).toBeCloseTo((1 + 0) / 2, 12);
    // For view 2, 30 was watched by then: popularity reads 40, 99, ... so 99 is second.
    expect(e.next.popularity.ndcg10).toBeCloseTo(1 / L2, 12);
    expect(e.next.model.mrr).toBeCloseTo(0.5, 12);
    expect(e.next.popularity.mrr).toBeCloseTo(0.5, 12);
    expect(e.gain.next.ndcg10).toBeCloseTo(0.25, 12);
    expect(e.gain.next.se).toBeCloseTo(0.25, 12);
  });

  it("formats a table naming each ranker", () => {
    const text = formatEvaluation("t", e);
    expect(text).toContain("origin + re-ranker");
    expect(text).toContain("+0.2500 (100.0%) +/- 0.2500");
  });
});
