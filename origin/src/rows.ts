// Row builders: turn a data set and a fitted CF model into the candidate lists and profiles the edge consumes.
import { type CandidateInput, type CandidateListHeader, encodeCandidateList } from "../../core/codec.js";
import { profileFromHistory, type UserProfile } from "../../core/features.js";
import type { Row } from "../../core/vocab.js";
import type { CandidateGenerator, Scored } from "./cf/types.js";
import type { Dataset, Item } from "./dataset.js";

/** The deepest list the origin builds. */
export const MAX_DEPTH = 1000;

/** A candidate list before encoding. */
export interface RowList {
  header: Omit<CandidateListHeader, "count">;
  candidates: CandidateInput[];
}

/** Why a row could not be built; `code` maps to the HTTP status in app.ts. */
export class OriginError extends Error {
  override name = "OriginError";
  constructor(
    readonly code: "unknown_user" | "unknown_region" | "bad_request",
    message: string,
  ) {
    super(message);
  }
}

export interface RowsOptions {
  /** Half-life of an interaction's weight in the trending score, in days. */
  trendingHalfLifeDays?: number;
  /** The moment trending is computed for (epoch ms); interactions after it are ignored. Default: the last one. */
  asOf?: number;
  /** Wall clock for `generatedAt` / `updatedAt` (the edge's freshness rules read them). */
  clock?: () => number;
}

export const DEFAULT_TRENDING_HALF_LIFE_DAYS = 7;

interface RegionLists {
  popular: number[];
  popularScore: Map<number, number>;
  trending: number[];
  trendingScore: Map<number, number>;
}

/** Encodes a RowList with the shared codec. */
export function encodeRowList(list: RowList): Uint8Array {
  return encodeCandidateList(list.header, list.candidates);
}

/**
 * Builds every list the origin serves from one data set and one fitted generator. Construction precomputes the
 * regional rankings; per-user rows are computed on demand (a CF query each).
 */
export class OriginRows {
  readonly dataset: Dataset;
  readonly generator: CandidateGenerator;
  /** Region ids in availability-bit order: header.regions of every list. */
  readonly regionIds: string[];
  readonly halfLifeDays: number;
  readonly asOf: number;
  private readonly clock: () => number;
  private readonly items = new Map<number, Item>();
  private readonly popularity = new Map<number, number>();
  private readonly histories = new Map<number, number[]>();
  private readonly regions = new Map<string, RegionLists>();

  constructor(dataset: Dataset, generator: CandidateGenerator, opts: RowsOptions = {}) {
    this.dataset = dataset;
    this.generator = generator;
    this.regionIds = dataset.regions.map((r) => r.id);
    this.halfLifeDays = opts.trendingHalfLifeDays ?? DEFAULT_TRENDING_HALF_LIFE_DAYS;
    if (!(this.halfLifeDays > 0)) throw new RangeError(`trending half-life must be > 0 days, got ${this.halfLifeDays}`);
    this.clock = opts.clock ?? Date.now;
    const last = dataset.interactions.at(-1);
    this.asOf = opts.asOf ?? (last ? last.ts : 0);
    for (const item of dataset.items) this.items.set(item.id, item);
    for (const u of dataset.users) this.histories.set(u, []);

    const counts = new Map<number, number>();
    const regional = new Map<string, { count: Map<number, number>; decayed: Map<number, number> }>();
    for (const id of this.regionIds) regional.set(id, { count: new Map(), decayed: new Map() });
    const halfLifeMs = this.halfLifeDays * 86_400_000;
    for (const x of dataset.interactions) {
      counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
      this.histories.get(x.userId)?.push(x.itemId);
      const r = regional.get(x.region);
      if (!r) continue;
      r.count.set(x.itemId, (r.count.get(x.itemId) ?? 0) + 1);
      if (x.ts <= this.asOf) {
        r.decayed.set(x.itemId, (r.decayed.get(x.itemId) ?? 0) + 2 ** (-(this.asOf - x.ts) / halfLifeMs));
      }
    }
    let maxCount = 0;
    for (const c of counts.values()) maxCount = Math.max(maxCount, c);
    const logMax = Math.log1p(maxCount);
    for (const item of dataset.items) {
      this.popularity.set(item.id, logMax > 0 ? Math.log1p(counts.get(item.id) ?? 0) / logMax : 0);
    }

    this.regionIds.forEach((id, bit) => {
      const r = regional.get(id) as { count: Map<number, number>; decayed: Map<number, number> };
      const available = dataset.items.filter((it) => (it.regions >>> bit) & 1).map((it) => it.id);
      // Ties (and titles nobody in the region watched) fall back to global counts, then id, so lists are total.
      const order = (score: Map<number, number>) =>
        [...available].sort(
          (a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0) || (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a - b,
        );
      this.regions.set(id, {
        popular: order(r.count),
        popularScore: r.count,
        trending: order(r.decayed),
        trendingScore: r.decayed,
      });
    });
  }

  hasUser(userId: number): boolean {
    return this.histories.has(userId);
  }

  hasRegion(region: string): boolean {
    return this.regions.has(region);
  }

  /** Throws OriginError("unknown_region") unless the region is known. */
  requireRegion(region: string): void {
    this.regionLists(region);
  }

  /** The list of a row for a user (personal rows) or a region (trending). */
  row(row: Row, target: { userId?: number | undefined; region?: string | undefined }, depth: number): RowList {
    if (row === "trending") {
      if (target.region === undefined) throw new OriginError("bad_request", "row trending needs a region");
      return this.trending(target.region, depth);
    }
    if (target.userId === undefined) throw new OriginError("bad_request", `row ${row} needs a user`);
    return row === "top-picks" ? this.topPicks(target.userId, depth) : this.becauseYouWatched(target.userId, depth);
  }

  /** Personalised CF candidates, excluding everything the user watched. */
  topPicks(userId: number, depth: number): RowList {
    checkDepth(depth);
    const watched = new Set(this.history(userId));
    const recs = this.generator.recommend(userId, depth, watched);
    return this.list("top-picks", `user:${userId}`, this.generator.name, recs);
  }

  /**
   * CF neighbours of the user's most recent title the model covers (header.seedItem), excluding watched titles.
   * A user none of whose titles the model covers gets an empty list without a seed.
   */
  becauseYouWatched(userId: number, depth: number): RowList {
    checkDepth(depth);
    const history = this.history(userId);
    const watched = new Set(history);
    let seed: number | undefined;
    for (let i = history.length - 1; i >= 0; i--) {
      if (this.generator.covers(history[i] as number)) {
        seed = history[i] as number;
        break;
      }
    }
    const recs =
      seed === undefined
        ? []
        : this.generator
            .similar(seed, depth + watched.size)
            .filter((s) => !watched.has(s.itemId))
            .slice(0, depth);
    return this.list("because-you-watched", `user:${userId}`, this.generator.name, recs, seed);
  }

  /** Regional popularity with exponential time decay: each view weighs 2^(-age / half-life). */
  trending(region: string, depth: number): RowList {
    checkDepth(depth);
    const r = this.regionLists(region);
    const recs = r.trending.slice(0, depth).map((id) => ({ itemId: id, score: r.trendingScore.get(id) ?? 0 }));
    return this.list("trending", `region:${region}`, `trending-decay-${this.halfLifeDays}d`, recs);
  }

  /** All-time regional view counts: the edge's last-resort list. cfScore is the regional count. */
  popular(region: string, depth: number): RowList {
    checkDepth(depth);
    const r = this.regionLists(region);
    const recs = r.popular.slice(0, depth).map((id) => ({ itemId: id, score: r.popularScore.get(id) ?? 0 }));
    return this.list("popular", `region:${region}`, "popularity", recs);
  }

  /** The profile the edge reads for a user (core profileFromHistory over the user's titles, oldest first). */
  profileFor(userId: number): UserProfile {
    const history = this.history(userId).map((id) => ({
      ...(this.items.get(id) as Item),
      popularity: this.popularity.get(id) ?? 0,
    }));
    return profileFromHistory(String(userId), history, this.clock());
  }

  /**
   * Every title, ascending by id (so the edge can binary-search ids), with cfScore = popularity: the features
   * source for re-ranking a caller's own ids.
   */
  catalogList(): RowList {
    const candidates = [...this.dataset.items]
      .sort((a, b) => a.id - b.id)
      .map((it) => this.candidate(it.id, this.popularity.get(it.id) ?? 0));
    return { header: this.header("catalog", "catalog", "catalog"), candidates };
  }

  private history(userId: number): number[] {
    const h = this.histories.get(userId);
    if (!h) throw new OriginError("unknown_user", `unknown user ${userId}`);
    return h;
  }

  private regionLists(region: string): RegionLists {
    const r = this.regions.get(region);
    if (!r) throw new OriginError("unknown_region", `unknown region "${region}" (known: ${this.regionIds.join(", ")})`);
    return r;
  }

  private header(row: string, scope: string, source: string, seedItem?: number): RowList["header"] {
    const header: RowList["header"] = { row, scope, generatedAt: this.clock(), regions: this.regionIds, source };
    if (seedItem !== undefined) header.seedItem = seedItem;
    return header;
  }

  private list(row: string, scope: string, source: string, recs: Scored[], seedItem?: number): RowList {
    return {
      header: this.header(row, scope, source, seedItem),
      candidates: recs.map((s) => this.candidate(s.itemId, s.score)),
    };
  }

  private candidate(id: number, score: number): CandidateInput {
    const it = this.items.get(id);
    if (!it) throw new Error(`CF returned title ${id}, which is not in the catalogue`);
    return {
      id,
      title: it.title,
      cfScore: score,
      popularity: this.popularity.get(id) ?? 0,
      genres: it.genres,
      tags: it.tags,
      regions: it.regions,
      year: it.year,
      primaryGenre: it.primaryGenre,
    };
  }
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
    throw new OriginError("bad_request", `depth must be an integer in 1..${MAX_DEPTH}, got ${depth}`);
  }
}
