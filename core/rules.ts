// Business rules applied after scoring: already watched, regional availability, genre diversity at the top.

export interface RuleOptions {
  /** Titles the user has watched. */
  watched: ReadonlySet<number>;
  /** Availability bit of the request's region in the list's `regions` masks; null skips the check. */
  regionBit: number | null;
  /** At most `maxPerGenre` titles of one primary genre in the first `window` slots. */
  diversity: { window: number; maxPerGenre: number };
  limit: number;
}

export interface RuleColumns {
  readonly ids: ArrayLike<number>;
  readonly regions: ArrayLike<number>;
  readonly primaryGenre: ArrayLike<number>;
}

/** Counts of what each rule removed or moved, for logs and the ops view. */
export interface RuleStats {
  watched: number;
  unavailable: number;
  demoted: number;
}

/**
 * Filters and reorders `order` (candidate indices, best first) and returns at most `limit` indices.
 * Diversity demotes rather than drops: a title over its genre's cap waits until the window is full.
 */
export function applyRules(
  order: ArrayLike<number>,
  list: RuleColumns,
  opts: RuleOptions,
): { indices: number[]; stats: RuleStats } {
  const stats: RuleStats = { watched: 0, unavailable: 0, demoted: 0 };
  const out: number[] = [];
  const deferred: number[] = [];
  const perGenre = new Map<number, number>();
  const { window, maxPerGenre } = opts.diversity;
  for (let r = 0; r < order.length && out.length < opts.limit; r++) {
    const i = order[r] as number;
    if (opts.watched.has(list.ids[i] as number)) {
      stats.watched++;
      continue;
    }
    if (opts.regionBit !== null && (((list.regions[i] as number) >>> opts.regionBit) & 1) === 0) {
      stats.unavailable++;
      continue;
    }
    if (out.length < window) {
      const g = list.primaryGenre[i] as number;
      const seen = perGenre.get(g) ?? 0;
      if (g !== 255 && seen >= maxPerGenre) {
        deferred.push(i);
        stats.demoted++;
        continue;
      }
      perGenre.set(g, seen + 1);
      out.push(i);
    } else {
      while (deferred.length && out.length < opts.limit) out.push(deferred.shift() as number);
      if (out.length < opts.limit) out.push(i);
    }
  }
  while (deferred.length && out.length < opts.limit) out.push(deferred.shift() as number);
  return { indices: out, stats };
}

/** Most candidates orderByScore sorts with its packed-key fast path (the index takes 11 bits). */
const PACKED_MAX = 2048;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Candidate indices sorted by score, best first; ties keep origin order so results are deterministic.
 * Each score is mapped to an order-preserving uint32 and packed with its index into one float64, so the
 * engine's native numeric sort does the work with no comparator calls (several times faster at 500+).
 */
export function orderByScore(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const idx = new Uint32Array(n);
  if (n > PACKED_MAX) {
    for (let i = 0; i < n; i++) idx[i] = i;
    return idx.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // -0 and +0 are equal scores: map both to +0 so their tie keeps origin order.
    f32[0] = (scores[i] as number) || 0;
    const bits = u32[0] as number;
    // IEEE-754 bits to an ascending uint32, then inverted so the best score sorts first.
    const ascending = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - ascending) * PACKED_MAX + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) idx[i] = (keys[i] as number) % PACKED_MAX;
  return idx;
}
