// Offline evaluation of popularity, origin order and a re-ranker on held-out views (NDCG@10, Recall@10, MRR).
import type { RankingContext } from "../../core/features.js";
import { hitRateAtK, mrr, ndcgAtK, recallAtK } from "../../core/metrics.js";
import { orderByScore } from "../../core/rules.js";
import type { ExampleList, Stage } from "./examples.js";

export interface Metrics {
  ndcg10: number;
  recall10: number;
  /** Share of rankings with a relevant title in the top 10. */
  hit10: number;
  mrr: number;
  /** Lists (window protocol) or views (next protocol) averaged over. */
  count: number;
}

export type Method = "popularity" | "origin" | "model";

/**
 * The two protocols:
 * - window: one ranking per user in the context of their first held-out view; every held-out title is relevant.
 * - next: one ranking per held-out view in that view's own context, with earlier held-out views removed as
 *   watched; only that view's title is relevant. This is where context features can show.
 */
export interface Evaluation {
  window: Record<Method, Metrics>;
  next: Record<Method, Metrics>;
  /** Model minus origin order, NDCG@10, averaged over the same rankings, with its standard error. */
  gain: Record<"window" | "next", { ndcg10: number; se: number }>;
}

/** Scores a list's candidates (origin order) in a context; higher is better. */
export type ListScorer = (list: ExampleList, context: RankingContext) => ArrayLike<number>;

const K = 10;

class Acc {
  readonly perRanking: number[] = [];
  ndcg = 0;
  recall = 0;
  hit = 0;
  rr = 0;
  n = 0;
  add(ranked: ArrayLike<number>, relevant: ReadonlySet<number>): void {
    const ndcg = ndcgAtK(ranked, relevant, K);
    this.perRanking.push(ndcg);
    this.ndcg += ndcg;
    this.recall += recallAtK(ranked, relevant, K);
    this.hit += hitRateAtK(ranked, relevant, K);
    this.rr += mrr(ranked, relevant);
    this.n++;
  }
  get metrics(): Metrics {
    const d = this.n || 1;
    return { ndcg10: this.ndcg / d, recall10: this.recall / d, hit10: this.hit / d, mrr: this.rr / d, count: this.n };
  }
}

/** Titles by visible view count, most first, ties by id: the popularity baseline's global order. */
function popularityOrder(counts: Map<number, number>): number[] {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
}

function topUnseen(order: readonly number[], exclude: (id: number) => boolean, depth: number): number[] {
  const out: number[] = [];
  for (const id of order) {
    if (out.length >= depth) break;
    if (!exclude(id)) out.push(id);
  }
  return out;
}

function rankedIds(list: ExampleList, order: ArrayLike<number>, exclude: (id: number) => boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < order.length; r++) {
    const id = list.ids[order[r] as number] as number;
    if (!exclude(id)) out.push(id);
  }
  return out;
}

/**
 * Evaluates the three rankers over `lists` (a subset of `stage.lists` may be given, e.g. held-out users).
 * Watched titles are removed from every ranking before it is scored.
 */
export function evaluate(stage: Stage, scorer: ListScorer, lists: readonly ExampleList[] = stage.lists): Evaluation {
  const depth = Math.max(1, ...lists.map((l) => l.ids.length));
  const popOrder = popularityOrder(stage.counts);
  const acc = {
    window: { popularity: new Acc(), origin: new Acc(), model: new Acc() },
    next: { popularity: new Acc(), origin: new Acc(), model: new Acc() },
  };
  for (const list of lists) {
    if (list.relevant.size === 0 || list.events.length === 0) continue;
    const first = list.events[0] as ExampleList["events"][number];
    const inWatched = (id: number) => list.watched.has(id);
    const identity = Uint32Array.from({ length: list.ids.length }, (_, i) => i);
    acc.window.popularity.add(topUnseen(popOrder, inWatched, depth), list.relevant);
    acc.window.origin.add(rankedIds(list, identity, inWatched), list.relevant);
    acc.window.model.add(rankedIds(list, orderByScore(scorer(list, first.context)), inWatched), list.relevant);

    const earlier = new Set<number>();
    for (const ev of list.events) {
      if (list.watched.has(ev.itemId) || earlier.has(ev.itemId)) continue;
      const relevant = new Set([ev.itemId]);
      const excluded = (id: number) => list.watched.has(id) || earlier.has(id);
      acc.next.popularity.add(topUnseen(popOrder, excluded, depth), relevant);
      acc.next.origin.add(rankedIds(list, identity, excluded), relevant);
      acc.next.model.add(rankedIds(list, orderByScore(scorer(list, ev.context)), excluded), relevant);
      earlier.add(ev.itemId);
    }
  }
  const done = (a: Record<Method, Acc>): Record<Method, Metrics> => ({
    popularity: a.popularity.metrics,
    origin: a.origin.metrics,
    model: a.model.metrics,
  });
  return {
    window: done(acc.window),
    next: done(acc.next),
    gain: {
      window: pairedGain(acc.window.model, acc.window.origin),
      next: pairedGain(acc.next.model, acc.next.origin),
    },
  };
}

/** Mean and standard error of the per-ranking difference a - b (the same rankings, in the same order). */
function pairedGain(a: Acc, b: Acc): { ndcg10: number; se: number } {
  const n = a.perRanking.length;
  if (n === 0) return { ndcg10: 0, se: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (a.perRanking[i] as number) - (b.perRanking[i] as number);
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += ((a.perRanking[i] as number) - (b.perRanking[i] as number) - mean) ** 2;
  return { ndcg10: mean, se: n > 1 ? Math.sqrt(sq / (n - 1) / n) : 0 };
}

/** A fixed-width text table of an evaluation, for the CLI. */
export function formatEvaluation(title: string, e: Evaluation): string {
  const names: Record<Method, string> = {
    popularity: "popularity",
    origin: "origin order",
    model: "origin + re-ranker",
  };
  const lines = [title];
  for (const protocol of ["next", "window"] as const) {
    const m = e[protocol];
    lines.push(
      protocol === "next"
        ? `  next: each held-out view ranked in its own context (${m.model.count} views)`
        : `  window: one ranking per user in the first held-out view's context, all held-out titles relevant (${m.model.count} users)`,
    );
    lines.push(
      `    ${"ranker".padEnd(20)} ${"NDCG@10".padStart(8)} ${"Recall@10".padStart(10)} ${"Hit@10".padStart(8)} ${"MRR".padStart(8)}`,
    );
    for (const method of ["popularity", "origin", "model"] as const) {
      const r = m[method];
      lines.push(
        `    ${names[method].padEnd(20)} ${r.ndcg10.toFixed(4).padStart(8)} ${r.recall10.toFixed(4).padStart(10)} ${r.hit10.toFixed(4).padStart(8)} ${r.mrr.toFixed(4).padStart(8)}`,
      );
    }
    const g = e.gain[protocol];
    const rel = m.origin.ndcg10 > 0 ? ` (${((100 * g.ndcg10) / m.origin.ndcg10).toFixed(1)}%)` : "";
    lines.push(
      `    re-ranker - origin NDCG@10: ${g.ndcg10 >= 0 ? "+" : ""}${g.ndcg10.toFixed(4)}${rel} +/- ${g.se.toFixed(4)} (paired s.e.)`,
    );
  }
  return lines.join("\n");
}
