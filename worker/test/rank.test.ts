// finalise: ranking a short head of the list must give exactly the answer of sorting the whole list.
import { describe, expect, it } from "vitest";
import { applyRules, orderByScore } from "../../core/rules.js";
import { finalise } from "../src/serving/rank.js";

const n = 500;
let seed = 99;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const scores = Float32Array.from({ length: n }, () => Math.round(rand() * 1000) / 1000);
const list = {
  ids: Uint32Array.from({ length: n }, (_, i) => 1000 + i),
  regions: Uint32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0b10 : 0b11)),
  primaryGenre: Uint8Array.from({ length: n }, (_, i) => i % 5),
  title: (i: number) => `title ${i}`,
};
const byScore = Array.from(orderByScore(scores));
const diversity = { window: 10, maxPerGenre: 2 };

function fullSortAnswer(opts: Parameters<typeof applyRules>[2]) {
  return applyRules(byScore, list, opts).indices.map((i) => list.ids[i]);
}

describe("finalise", () => {
  it("answers like a full sort when the head is enough", () => {
    const opts = { watched: new Set<number>(), regionBit: 0, diversity, limit: 20 };
    const { items } = finalise(list, { scores, byScore: true }, opts);
    expect(items.map((x) => x.id)).toEqual(fullSortAnswer(opts));
    expect(items.map((x) => x.rank)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(items[0]?.score).toBe(Math.round((scores[byScore[0] as number] as number) * 1e6) / 1e6);
  });

  it("falls back to the whole list when watched titles use up the head", () => {
    // The 150 best-scoring titles are all watched: far more than the head of 4 per slot plus slack.
    const watched = new Set(byScore.slice(0, 150).map((i) => list.ids[i] as number));
    const opts = { watched, regionBit: 1, diversity, limit: 20 };
    const { items, stats } = finalise(list, { scores, byScore: true }, opts);
    expect(items).toHaveLength(20);
    expect(items.map((x) => x.id)).toEqual(fullSortAnswer(opts));
    expect(stats.watched).toBe(150);
  });

  it("keeps the list's own order when not ranking by score", () => {
    const opts = { watched: new Set([1000, 1002]), regionBit: null, diversity, limit: 5 };
    const { items } = finalise(list, { scores, byScore: false }, opts);
    expect(items.map((x) => x.id)).toEqual([1001, 1003, 1004, 1005, 1006]);
  });
});
