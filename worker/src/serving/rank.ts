// Scoring and rules: model scores when the model answers sanely, origin order otherwise, then business rules.
import type { CandidateList } from "../../../core/codec.js";
import {
  type CandidateColumns,
  extractFeatures,
  FEATURE_COUNT,
  type RankingContext,
  type UserProfile,
} from "../../../core/features.js";
import { firstNonFinite, type Ranker } from "../../../core/ranker.js";
import { applyRules, orderByScore, type RuleStats, topByScore } from "../../../core/rules.js";
import { describeModelError } from "./models.js";

/** One ranked title in a response. */
export interface RankedItem {
  id: number;
  title: string;
  score: number;
  rank: number;
}

export interface Scored {
  /** The score reported per candidate index. */
  scores: ArrayLike<number>;
  /** True: rank by `scores`, best first. False: keep the list's own order (origin order, a fallback list). */
  byScore: boolean;
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
  const originOrder = (problem: string | null): Scored => ({
    scores: cols.cfScore,
    byScore: false,
    modelVersion: null,
    problem,
  });
  if (!ranker) return originOrder(null);
  const t0 = performance.now();
  let t1 = t0;
  try {
    // A ranker that extracts for itself (the dense kernel, into its own memory) first; else the matrix here.
    let scores = ranker.scoreList
      ? await ranker.scoreList(cols, profile, ctx, () => {
          t1 = performance.now();
        })
      : null;
    if (scores === null) {
      const buffer = takeBuffer(cols.size * FEATURE_COUNT);
      const features = extractFeatures(cols, profile, ctx, buffer);
      t1 = performance.now();
      scores = await ranker.score(features).finally(() => giveBuffer(buffer));
    }
    spent.features += t1 - t0;
    spent.model += performance.now() - t1;
    if (scores.length !== cols.size)
      return originOrder(`model ${ranker.version}: ${scores.length} scores for ${cols.size} candidates`);
    const bad = firstNonFinite(scores);
    if (bad >= 0) return originOrder(`model ${ranker.version}: non-finite score (${scores[bad]}) at candidate ${bad}`);
    return { scores, byScore: true, modelVersion: ranker.version, problem: null };
  } catch (e) {
    spent.features += t1 - t0;
    spent.model += performance.now() - t1;
    return originOrder(describeModelError(ranker.version, e));
  }
}

// Feature matrices are 68 KB at 500 candidates: reuse a few per isolate instead of allocating one per request.
// A buffer goes back only after scoring has finished with it, so concurrent requests never share one.
const spare: Float32Array[] = [];
const SPARE_MAX = 4;
const SPARE_MAX_FLOATS = 2_000 * FEATURE_COUNT;

function takeBuffer(floats: number): Float32Array {
  const b = spare.pop();
  return b && b.length >= floats ? b : new Float32Array(floats);
}

function giveBuffer(b: Float32Array): void {
  if (spare.length < SPARE_MAX && b.length <= SPARE_MAX_FLOATS) spare.push(b);
}

export interface RuleInput {
  ids: ArrayLike<number>;
  regions: ArrayLike<number>;
  primaryGenre: ArrayLike<number>;
  title(i: number): string;
}

/**
 * Applies business rules and materialises the top `limit` items (titles are decoded only for these). Ranked
 * lists sort only a head a few times the row long; if the rules use it up (many watched or unavailable
 * titles), the whole list is sorted and the rules run again, so the answer is always that of a full sort.
 */
export function finalise(
  list: RuleInput,
  scored: Pick<Scored, "scores" | "byScore">,
  opts: Parameters<typeof applyRules>[2],
): { items: RankedItem[]; stats: RuleStats } {
  const n = scored.scores.length;
  let ruled: ReturnType<typeof applyRules>;
  if (!scored.byScore) {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    ruled = applyRules(order, list, opts);
  } else {
    const head = Math.min(n, HEAD_PER_SLOT * opts.limit + HEAD_SLACK);
    ruled = applyRules(topByScore(scored.scores, head), list, opts);
    if (ruled.exhausted && head < n) ruled = applyRules(orderByScore(scored.scores), list, opts);
  }
  const { indices, stats } = ruled;
  const items = indices.map((i, r) => ({
    id: list.ids[i] as number,
    title: list.title(i),
    score: round(scored.scores[i] as number),
    rank: r + 1,
  }));
  return { items, stats };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
// A head of 4 candidates per slot plus slack covers the usual watched, availability and diversity losses.
const HEAD_PER_SLOT = 4;
const HEAD_SLACK = 16;
