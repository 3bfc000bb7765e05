// Ranking examples from a Dataset: per-user temporal splits, origin CF candidates, labels from held-out views only.
import { localClock } from "../../core/clock.js";
import {
  type CandidateColumns,
  extractFeatures,
  type FeatureMatrix,
  profileFromHistory,
  type RankingContext,
  type UserProfile,
} from "../../core/features.js";
import { sha256Hex } from "../../core/manifest.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import { type Dataset, groupByUser, type Interaction, type Item } from "../../origin/src/dataset.js";
import { Rng } from "./mlp.js";

export interface SplitOptions {
  /** Share of each user's latest interactions held out as test (default 0.2). */
  testFraction?: number;
  /** Share of the remaining (train) part, from its end, held out as validation labels (default 0.2). */
  valFraction?: number;
  /** Users with fewer interactions are never held out: all their history is train (default 5). */
  minInteractions?: number;
}

/** One user's interactions cut in time: fit (oldest) | val | test (newest). */
export interface UserSplit {
  userId: number;
  fit: Interaction[];
  val: Interaction[];
  test: Interaction[];
}

/**
 * Cuts every user's history chronologically (ties broken by item id, so the cut is deterministic). Users below
 * `minInteractions` keep everything in `fit`.
 */
export function temporalSplit(dataset: Dataset, opts: SplitOptions = {}): UserSplit[] {
  const testFraction = opts.testFraction ?? 0.2;
  const valFraction = opts.valFraction ?? 0.2;
  const minInteractions = opts.minInteractions ?? 5;
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`valFraction must be in (0, 1), got ${valFraction}`);
  const byUser = groupByUser(dataset.interactions, dataset.users);
  const out: UserSplit[] = [];
  for (const [userId, all] of [...byUser].sort((a, b) => a[0] - b[0])) {
    const sorted = [...all].sort((a, b) => a.ts - b.ts || a.itemId - b.itemId);
    if (sorted.length < minInteractions) {
      out.push({ userId, fit: sorted, val: [], test: [] });
      continue;
    }
    const nTest = Math.max(1, Math.round(sorted.length * testFraction));
    const train = sorted.slice(0, sorted.length - nTest);
    const nVal = Math.max(1, Math.round(train.length * valFraction));
    out.push({
      userId,
      fit: train.slice(0, train.length - nVal),
      val: train.slice(train.length - nVal),
      test: sorted.slice(sorted.length - nTest),
    });
  }
  return out;
}

/** A held-out view: what was watched, and the moment and device it was watched in. */
export interface HeldOutEvent {
  itemId: number;
  ts: number;
  context: RankingContext;
}

/** One user's candidate list at a cut: origin order, the columns features read, and held-out labels. */
export interface ExampleList {
  userId: number;
  /** Candidate ids in the origin's order (best first). */
  ids: Uint32Array;
  /** Float32 columns exactly as the edge decodes them from a published list. */
  columns: CandidateColumns;
  /** Profile from the visible (pre-cut) history only. */
  profile: UserProfile;
  /** Titles in the visible history (never candidates, never relevant). */
  watched: ReadonlySet<number>;
  /** Held-out views after the cut, oldest first. */
  events: HeldOutEvent[];
  /** Held-out titles not already in the visible history: the relevant set for metrics. */
  relevant: ReadonlySet<number>;
  /** labels[i] = 1 iff ids[i] is in `relevant`. */
  labels: Uint8Array;
}

/** Everything visible at one cut, plus the lists built from it. */
export interface Stage {
  lists: ExampleList[];
  /** Interactions the CF model and popularity were computed from. */
  visible: Interaction[];
  /** Visible view count per title (popularity baseline). */
  counts: Map<number, number>;
  generator: CandidateGenerator;
}

export interface StageOptions {
  /** Candidates per user from the origin (default 500, the edge's top-picks depth). */
  depth?: number;
  /** A fresh, unfitted candidate generator. */
  makeGenerator: () => CandidateGenerator;
}

/** Resolves the ranking context of an interaction: local time in the region it was watched from, and its device. */
export function contextOf(x: Interaction, dataset: Dataset): RankingContext {
  const region =
    dataset.regions.find((r) => r.id === x.region) ??
    dataset.regions.find((r) => r.id === dataset.homeRegion.get(x.userId)) ??
    dataset.regions[0];
  if (!region) throw new Error(`dataset ${dataset.name} has no regions`);
  const clock = localClock(x.ts, region.timeZone);
  return { region: region.id, localHour: clock.hour, weekday: clock.weekday, year: clock.year, device: x.device };
}

/**
 * Fits the CF model on `visible` only and builds one list per user with held-out interactions: the origin's
 * top `depth` titles excluding what the user watched in `visible`, labelled by `heldOut`. Popularity is
 * log1p(count) / log1p(max count) over `visible`, as the origin would have published it at the cut.
 */
export function buildStage(
  dataset: Dataset,
  visible: Interaction[],
  heldOut: Map<number, Interaction[]>,
  opts: StageOptions,
): Stage {
  const depth = opts.depth ?? 500;
  const itemById = new Map<number, Item>(dataset.items.map((it) => [it.id, it]));
  const generator = opts.makeGenerator();
  generator.fit(visible);
  const counts = new Map<number, number>();
  for (const x of visible) counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
  const history = groupByUser(visible);
  let maxCount = 0;
  for (const c of counts.values()) maxCount = Math.max(maxCount, c);
  const logMax = Math.log1p(maxCount);
  const lists: ExampleList[] = [];
  for (const [userId, events] of [...heldOut].sort((a, b) => a[0] - b[0])) {
    if (events.length === 0) continue;
    const past = [...(history.get(userId) ?? [])].sort((a, b) => a.ts - b.ts || a.itemId - b.itemId);
    const watched = new Set(past.map((x) => x.itemId));
    const recs = generator.recommend(userId, depth, watched);
    const n = recs.length;
    const ids = new Uint32Array(n);
    const cfScore = new Float32Array(n);
    const popularity = new Float32Array(n);
    const genres = new Uint32Array(n);
    const tags = new Uint32Array(n);
    const year = new Uint16Array(n);
    recs.forEach((r, i) => {
      const item = itemById.get(r.itemId);
      if (!item) throw new Error(`candidate generator ${generator.name} returned unknown title ${r.itemId}`);
      ids[i] = r.itemId;
      cfScore[i] = r.score;
      popularity[i] = logMax > 0 ? Math.log1p(counts.get(r.itemId) ?? 0) / logMax : 0;
      genres[i] = item.genres;
      tags[i] = item.tags;
      year[i] = item.year;
    });
    const profileItems = past.map((x) => {
      const item = itemById.get(x.itemId);
      return {
        id: x.itemId,
        genres: item?.genres ?? 0,
        tags: item?.tags ?? 0,
        year: item?.year ?? 0,
        popularity: logMax > 0 ? Math.log1p(counts.get(x.itemId) ?? 0) / logMax : 0,
      };
    });
    const profile = profileFromHistory(
      String(userId),
      profileItems,
      past.length ? (past[past.length - 1] as Interaction).ts : 0,
    );
    const relevant = new Set<number>();
    for (const x of events) if (!watched.has(x.itemId)) relevant.add(x.itemId);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = relevant.has(ids[i] as number) ? 1 : 0;
    lists.push({
      userId,
      ids,
      columns: { size: n, cfScore, popularity, genres, tags, year },
      profile,
      watched,
      events: events.map((x) => ({ itemId: x.itemId, ts: x.ts, context: contextOf(x, dataset) })),
      relevant,
      labels,
    });
  }
  return { lists, visible, counts, generator };
}

/**
 * The train cut: CF on each user's fit part, labels = their val slice. `back` = k > 0 moves the cut k val-slice
 * lengths earlier (labels = the k-th slice before val, visible = everything before it): more training lists
 * from the same history, never touching val or test of the k = 0 cut's future.
 */
export function trainStage(dataset: Dataset, splits: UserSplit[], opts: StageOptions, back = 0): Stage {
  if (!Number.isInteger(back) || back < 0) throw new RangeError(`back must be a non-negative integer, got ${back}`);
  const visible: Interaction[] = [];
  const heldOut = new Map<number, Interaction[]>();
  for (const s of splits) {
    const train = [...s.fit, ...s.val];
    const width = s.val.length;
    const end = train.length - back * width;
    const start = end - width;
    if (width === 0 || start < 1) {
      // Too short to cut this far back: the whole prefix stays visible, nothing is held out.
      visible.push(...train.slice(0, Math.max(0, end)));
      continue;
    }
    visible.push(...train.slice(0, start));
    heldOut.set(s.userId, train.slice(start, end));
  }
  return buildStage(dataset, visible, heldOut, opts);
}

/** The test cut: CF on fit + val, labels = the test slice. */
export function testStage(dataset: Dataset, splits: UserSplit[], opts: StageOptions): Stage {
  const visible = splits.flatMap((s) => [...s.fit, ...s.val]);
  const heldOut = new Map(splits.filter((s) => s.test.length).map((s) => [s.userId, s.test]));
  return buildStage(dataset, visible, heldOut, opts);
}

/** Features of a list in a context, through the shared core extractor (the edge runs the same call). */
export function listFeatures(list: ExampleList, context: RankingContext, out?: Float32Array): FeatureMatrix {
  return extractFeatures(list.columns, list.profile, context, out);
}

/**
 * sha256 of a canonical serialisation of interactions (sorted by user, time, item; one
 * `user,item,ts,region,device,rating` line each): equal data gives an equal fingerprint whatever its order.
 */
export async function fingerprintInteractions(interactions: readonly Interaction[]): Promise<string> {
  const sorted = [...interactions].sort((a, b) => a.userId - b.userId || a.ts - b.ts || a.itemId - b.itemId);
  const lines = sorted.map((x) => `${x.userId},${x.itemId},${x.ts},${x.region},${x.device},${x.rating ?? ""}\n`);
  return sha256Hex(new TextEncoder().encode(lines.join("")));
}

/** A per-user random split: each user's held-out titles, oldest first, and everything else. */
export interface RandomSplit {
  train: Interaction[];
  test: Map<number, Interaction[]>;
}

/**
 * The public tables' protocol: per user, a seeded random `testFraction` of the interactions held out (rounded,
 * at least one), the rest visible. Users with fewer than 2 interactions stay wholly visible.
 */
export function randomSplit(dataset: Dataset, seed: number, testFraction = 0.25): RandomSplit {
  const byUser = groupByUser(dataset.interactions);
  const rng = new Rng(seed ^ 0x7a11);
  const train: Interaction[] = [];
  const test = new Map<number, Interaction[]>();
  for (const userId of [...byUser.keys()].sort((a, b) => a - b)) {
    const xs = [...(byUser.get(userId) as Interaction[])].sort((a, b) => a.ts - b.ts || a.itemId - b.itemId);
    if (xs.length < 2) {
      train.push(...xs);
      continue;
    }
    rng.shuffle(xs);
    const nTest = Math.max(1, Math.round(xs.length * testFraction));
    const held = xs.slice(0, nTest).sort((a, b) => a.ts - b.ts || a.itemId - b.itemId);
    train.push(...xs.slice(nTest));
    test.set(userId, held);
  }
  train.sort((a, b) => a.ts - b.ts || a.userId - b.userId || a.itemId - b.itemId);
  return { train, test };
}
