// Scoring and rules: model scores when the model answers sanely, origin order otherwise, then business rules.
import type { CandidateList } from "../../../core/codec.js";
import {
  type CandidateColumns,
  extractFeatures,
  type RankingContext,
  type UserProfile,
} from "../../../core/features.js";
import { firstNonFinite, type Ranker } from "../../../core/ranker.js";
import { applyRules, orderByScore, type RuleStats } from "../../../core/rules.js";
import { describeModelError } from "./models.js";

/** One ranked title in a response. */
export interface RankedItem {
  id: number;
  title: string;
  score: number;
  rank: number;
}

export interface Scored {
  /** Candidate indices, best first, before rules. */
  order: ArrayLike<number>;
  /** The score reported per candidate index. */
  scores: ArrayLike<number>;
  /** Version of the model that scored, or null when origin order was kept. */
  modelVersion: string | null;
  problem: string | null;
}

/** The first `depth` candidates of a list, as feature columns. */
export function head(list: CandidateList, depth: number): CandidateColumns {
  const n = Math.min(depth, list.size);
  return {
    size: n,
    cfScore: list.cfScore.subarray(0, n),
    popularity: list.popularity.subarray(0, n),
    genres: list.genres.subarray(0, n),
    tags: list.tags.subarray(0, n),
    year: list.year.subarray(0, n),
  };
}

/**
 * Scores with the ranker; any failure (throw, wrong length, NaN/Inf) falls back to origin order with the
 * reason, so a broken model costs ranking quality, never an answer.
 */
export async function score(
  cols: CandidateColumns,
  profile: UserProfile | null,
  ctx: RankingContext,
  ranker: Ranker | null,
  spent: { features: number; model: number },
): Promise<Scored> {
  const originOrder = (problem: string | null): Scored => {
    const order = new Uint32Array(cols.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return { order, scores: cols.cfScore, modelVersion: null, problem };
  };
  if (!ranker) return originOrder(null);
  const t0 = performance.now();
  const features = extractFeatures(cols, profile, ctx);
  const t1 = performance.now();
  spent.features += t1 - t0;
  try {
    const scores = await ranker.score(features);
    spent.model += performance.now() - t1;
    if (scores.length !== cols.size)
      return originOrder(`model ${ranker.version}: ${scores.length} scores for ${cols.size} candidates`);
    const bad = firstNonFinite(scores);
    if (bad >= 0) return originOrder(`model ${ranker.version}: non-finite score (${scores[bad]}) at candidate ${bad}`);
    return { order: orderByScore(scores), scores, modelVersion: ranker.version, problem: null };
  } catch (e) {
    spent.model += performance.now() - t1;
    return originOrder(describeModelError(ranker.version, e));
  }
}

export interface RuleInput {
  ids: ArrayLike<number>;
  regions: ArrayLike<number>;
  primaryGenre: ArrayLike<number>;
  title(i: number): string;
}

/** Applies business rules and materialises the top `limit` items (titles are decoded only for these). */
export function finalise(
  list: RuleInput,
  scored: Pick<Scored, "order" | "scores">,
  opts: Parameters<typeof applyRules>[2],
): { items: RankedItem[]; stats: RuleStats } {
  const { indices, stats } = applyRules(scored.order, list, opts);
  const items = indices.map((i, r) => ({
    id: list.ids[i] as number,
    title: list.title(i),
    score: round(scored.scores[i] as number),
    rank: r + 1,
  }));
  return { items, stats };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
