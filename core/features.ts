// Feature extraction shared by training (model-export) and serving (worker): one code path, no skew.
import { z } from "zod";
import { DEVICES, type Device, GENRES, TAGS } from "./vocab.js";

/** Bumped whenever a feature's meaning, order or normalisation changes; manifests must name it. */
export const FEATURE_SCHEMA_VERSION = "v2";

/** Where a feature's value comes from; `context` features are identical for every candidate of a request. */
export type FeatureKind = "collaborative" | "content" | "user" | "context";

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
  /** How the raw value is normalised, for the manifest and the README. */
  normalisation: string;
  /**
   * The value depends on the other candidates of the list (position, within-list standardisation), never on the
   * context: a sub-list would give a different value, so training copies it from a whole-list extraction.
   */
  listRelative?: true;
  /**
   * The value is the same for every candidate of a request (the context, the user's activity): a scorer may
   * compute its products once per request instead of once per candidate.
   */
  perRequest?: true;
  /** An indicator: 1 when bit `genreBit` of the title's genre mask is set, else 0. */
  genreBit?: number;
}

const genreSpecs: FeatureSpec[] = GENRES.map((g, bit) => ({
  name: `genre_${g.toLowerCase()}`,
  kind: "content",
  normalisation: "1 if the title has the genre, else 0",
  genreBit: bit,
}));

/** The ordered feature schema: column j of a feature matrix is FEATURES[j]. */
export const FEATURES: readonly FeatureSpec[] = [
  {
    name: "cf_score",
    kind: "collaborative",
    normalisation: "origin CF score / max |score| in the list",
    listRelative: true,
  },
  {
    name: "cf_rank",
    kind: "collaborative",
    normalisation: "log1p(position in origin order) / log1p(1000)",
    listRelative: true,
  },
  {
    name: "cf_z",
    kind: "collaborative",
    normalisation: "(score - list mean) / list standard deviation (0 when all equal; |z| <= sqrt(n - 1))",
    listRelative: true,
  },
  { name: "popularity", kind: "content", normalisation: "log1p(count) / log1p(max count) in [0, 1]" },
  {
    name: "popularity_z",
    kind: "content",
    normalisation: "(popularity - list mean) / list standard deviation (0 when all equal; |z| <= sqrt(n - 1))",
    listRelative: true,
  },
  {
    name: "title_age",
    kind: "content",
    normalisation: "clamp((context year - release year) / 50, -1, 2): negative for a title newer than the context",
  },
  { name: "genre_affinity", kind: "user", normalisation: "mean of the user's genre shares over the title's genres" },
  { name: "genre_affinity_max", kind: "user", normalisation: "max of the user's genre shares over the title's genres" },
  {
    name: "tag_affinity",
    kind: "user",
    normalisation: "mean of the user's tag shares over the title's tags (0 if none)",
  },
  {
    name: "user_activity",
    kind: "user",
    normalisation: "min(1, log1p(interactions) / log1p(2000))",
    perRequest: true,
  },
  {
    name: "year_gap",
    kind: "user",
    normalisation: "clamp((release year - mean release year of the user's history) / 20, -2, 2); 0 if unknown",
  },
  {
    name: "popularity_gap",
    kind: "user",
    normalisation: "popularity - mean popularity of the user's history (same scale); 0 if unknown",
  },
  ...genreSpecs,
  { name: "hour_sin", kind: "context", normalisation: "sin(2 pi local hour / 24)", perRequest: true },
  { name: "hour_cos", kind: "context", normalisation: "cos(2 pi local hour / 24)", perRequest: true },
  { name: "is_weekend", kind: "context", normalisation: "1 on local Saturday and Sunday", perRequest: true },
  ...DEVICES.map((d) => ({
    name: `device_${d}`,
    kind: "context" as const,
    normalisation: `1 if the device is ${d}`,
    perRequest: true as const,
  })),
];

/** Feature names in schema order. */
export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;
const GENRE_BASE = FEATURE_NAMES.indexOf("genre_action");
const CONTEXT_BASE = FEATURE_NAMES.indexOf("hour_sin");

/** What the edge knows about a user, published by the origin (KV `profile:<id>`). */
export const UserProfileSchema = z.object({
  userId: z.string().min(1).max(64),
  /** Share of the user's history in each genre, in GENRES order (sums to 1 for a user with history). */
  genreAffinity: z.array(z.number().finite().min(0).max(1)).length(GENRES.length),
  /** Share of the user's history carrying each tag, in TAGS order. */
  tagAffinity: z.array(z.number().finite().min(0).max(1)).length(TAGS.length),
  /** Interactions on record. */
  activity: z.number().int().nonnegative(),
  /** Mean release year of the titles in the history that have one (null: none known; absent in v1 profiles). */
  yearMean: z.number().finite().min(0).max(10_000).nullable().default(null),
  /**
   * Mean popularity of the history's titles, on the candidate lists' popularity scale (log1p(count) /
   * log1p(max count)); null when unknown (absent in v1 profiles).
   */
  popularityMean: z.number().finite().min(0).max(1).nullable().default(null),
  /** Titles already watched, never recommended again. */
  watched: z.array(z.number().int().nonnegative()).max(50_000),
  lastWatched: z.number().int().nonnegative().nullable(),
  updatedAt: z.number().int().nonnegative(),
});
export type UserProfile = z.infer<typeof UserProfileSchema>;

/** The request's moment and place, resolved from request.cf (or the training log). */
export interface RankingContext {
  region: string;
  /** Local hour in [0, 24), fractional minutes included. */
  localHour: number;
  /** Local weekday, 0 = Sunday ... 6 = Saturday. */
  weekday: number;
  /** Local calendar year, for title age. */
  year: number;
  device: Device;
}

/** The columns of a candidate list that features read (a decoded CandidateList satisfies it). */
export interface CandidateColumns {
  readonly size: number;
  readonly cfScore: ArrayLike<number>;
  readonly popularity: ArrayLike<number>;
  readonly genres: ArrayLike<number>;
  readonly tags: ArrayLike<number>;
  readonly year: ArrayLike<number>;
}

/** A row-major float32 matrix: rows candidates, cols features. */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
  /**
   * Set by extractFeatures: the list's genre masks (a row's genre indicator columns are its mask's bits) and the
   * per-request values (`requestFeatures`, equal to every row's `perRequest` columns). A scorer may read those
   * columns from here instead of the rows; a matrix built any other way has neither.
   */
  built?: { genres: ArrayLike<number>; request: Float32Array };
}

const LOG_RANK = Math.log1p(1000);
// cf_rank depends on the position alone, and Math.log1p is a library call (~25 ns in V8, 12 µs of a 500-candidate
// request): the values are kept per process, computed by the same expression, so every float is the same.
let rankTable = new Float64Array(0);
function rankValues(n: number): Float64Array {
  if (rankTable.length < n) {
    const t = new Float64Array(Math.max(n, 2 * rankTable.length, 1024));
    for (let i = 0; i < t.length; i++) t[i] = Math.log1p(i) / LOG_RANK;
    rankTable = t;
  }
  return rankTable;
}
const GENRE_BITS = (1 << GENRES.length) - 1;
const TAG_BITS = (1 << TAGS.length) - 1;
const LOG_ACTIVITY = Math.log1p(2000);

const col = (name: string): number => {
  const at = FEATURE_NAMES.indexOf(name);
  if (at < 0) throw new Error(`feature ${name} missing from the schema`);
  return at;
};
const CF_SCORE = col("cf_score");
const CF_RANK = col("cf_rank");
const CF_Z = col("cf_z");
const POPULARITY = col("popularity");
const POPULARITY_Z = col("popularity_z");
const TITLE_AGE = col("title_age");
const GENRE_AFFINITY = col("genre_affinity");
const GENRE_AFFINITY_MAX = col("genre_affinity_max");
const TAG_AFFINITY = col("tag_affinity");
const USER_ACTIVITY = col("user_activity");
const YEAR_GAP = col("year_gap");
const POPULARITY_GAP = col("popularity_gap");

/** What features read from a profile; the two means may be missing (a v1 profile) or null (unknown). */
export type FeatureProfile = Pick<UserProfile, "genreAffinity" | "tagAffinity" | "activity"> &
  Partial<Pick<UserProfile, "yearMean" | "popularityMean">>;

/** Mean and 1 / standard deviation of a column (0 scale when constant), in one pass. */
function moments(v: ArrayLike<number>, n: number): { mean: number; inv: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    sum += x;
    sq += x * x;
  }
  const mean = n ? sum / n : 0;
  const variance = n ? sq / n - mean * mean : 0;
  // Float error can leave a constant column with a tiny positive variance: treat it as constant.
  const inv = variance > 1e-12 * Math.max(1, mean * mean) ? 1 / Math.sqrt(variance) : 0;
  return { mean, inv };
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * The schema's columns before its first indicator: `extractFeatures(..., { leading: true })` writes only these,
 * rows LEADING_COLUMNS floats apart.
 */
export const LEADING_COLUMNS = GENRE_BASE;

/**
 * Builds the feature matrix for a list of candidates in their origin order. `profile` null means a user the
 * edge knows nothing about: user features are zero, as they were for cold users in training. Two O(n) passes:
 * list statistics (max |score|, score and popularity moments), then one row per candidate.
 *
 * `leading: true` writes each row's first LEADING_COLUMNS columns only (the matrix has that many columns), for a
 * scorer that takes the rest from `built`: the genre indicators as the mask bits, the per-request columns as
 * their values. The same code computes them either way; the rows are a third the size, which matters more than
 * the arithmetic once a request's other work has pushed the matrix out of the CPU's caches.
 */
export function extractFeatures(
  list: CandidateColumns,
  profile: FeatureProfile | null,
  ctx: RankingContext,
  out?: Float32Array,
  opts: { leading?: boolean } = {},
): FeatureMatrix {
  const n = list.size;
  const full = !opts.leading;
  const cols = full ? FEATURE_COUNT : LEADING_COLUMNS;
  const data = out && out.length >= n * cols ? out : new Float32Array(n * cols);
  // Indicators are written only where set, so a reused full matrix needs zeros first; leading rows are all written.
  if (out && full) data.fill(0, 0, n * cols);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(list.cfScore[i] as number));
  const cfScale = maxAbs > 0 ? 1 / maxAbs : 0;
  const cf = moments(list.cfScore, n);
  const pop = moments(list.popularity, n);
  const genreAff = profile?.genreAffinity;
  const tagAff = profile?.tagAffinity;
  const yearMean = profile?.yearMean ?? null;
  const popularityMean = profile?.popularityMean ?? null;
  const request = requestFeatures(profile, ctx);
  const activity = request[USER_ACTIVITY] as number;
  const hourSin = request[CONTEXT_BASE] as number;
  const hourCos = request[CONTEXT_BASE + 1] as number;
  const weekend = request[CONTEXT_BASE + 2] as number;
  const deviceIndex = DEVICES.indexOf(ctx.device);
  const rank = rankValues(n);
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    const score = list.cfScore[i] as number;
    const popularity = list.popularity[i] as number;
    const year = list.year[i] as number;
    data[o + CF_SCORE] = score * cfScale;
    data[o + CF_RANK] = rank[i] as number;
    data[o + CF_Z] = cf.inv ? (score - cf.mean) * cf.inv : 0;
    data[o + POPULARITY] = popularity;
    data[o + POPULARITY_Z] = pop.inv ? (popularity - pop.mean) * pop.inv : 0;
    data[o + TITLE_AGE] = clamp((ctx.year - year) / 50, -1, 2);
    // Walk only the set bits: titles carry two or three genres and tags, not all nineteen.
    let g = (list.genres[i] as number) & GENRE_BITS;
    let gSum = 0;
    let gMax = 0;
    let gCount = 0;
    while (g !== 0) {
      const b = 31 - Math.clz32(g & -g);
      g &= g - 1;
      if (full) data[o + GENRE_BASE + b] = 1;
      gCount++;
      if (genreAff) {
        const a = genreAff[b] as number;
        gSum += a;
        if (a > gMax) gMax = a;
      }
    }
    data[o + GENRE_AFFINITY] = gCount ? gSum / gCount : 0;
    data[o + GENRE_AFFINITY_MAX] = gMax;
    let t = (list.tags[i] as number) & TAG_BITS;
    let tSum = 0;
    let tCount = 0;
    while (t !== 0) {
      const b = 31 - Math.clz32(t & -t);
      t &= t - 1;
      tCount++;
      if (tagAff) tSum += tagAff[b] as number;
    }
    data[o + TAG_AFFINITY] = tCount ? tSum / tCount : 0;
    data[o + USER_ACTIVITY] = activity;
    data[o + YEAR_GAP] = yearMean !== null && year > 0 ? clamp((year - yearMean) / 20, -2, 2) : 0;
    data[o + POPULARITY_GAP] = popularityMean !== null ? popularity - popularityMean : 0;
    if (full) {
      data[o + CONTEXT_BASE] = hourSin;
      data[o + CONTEXT_BASE + 1] = hourCos;
      data[o + CONTEXT_BASE + 2] = weekend;
      if (deviceIndex >= 0) data[o + CONTEXT_BASE + 3 + deviceIndex] = 1;
    }
  }
  return { data, rows: n, cols, built: { genres: list.genres, request } };
}

/**
 * The values of the per-request columns (`perRequest` in the schema; every other column 0) as extractFeatures
 * writes them into each row: the same expressions, rounded to float32 alike.
 */
export function requestFeatures(profile: FeatureProfile | null, ctx: RankingContext): Float32Array {
  const v = new Float32Array(FEATURE_COUNT);
  const angle = (2 * Math.PI * ctx.localHour) / 24;
  v[CONTEXT_BASE] = Math.sin(angle);
  v[CONTEXT_BASE + 1] = Math.cos(angle);
  v[CONTEXT_BASE + 2] = ctx.weekday === 0 || ctx.weekday === 6 ? 1 : 0;
  const deviceIndex = DEVICES.indexOf(ctx.device);
  if (deviceIndex >= 0) v[CONTEXT_BASE + 3 + deviceIndex] = 1;
  v[USER_ACTIVITY] = profile ? Math.min(1, Math.log1p(profile.activity) / LOG_ACTIVITY) : 0;
  return v;
}

/** Column indices of `names` in the schema; throws naming the first feature the schema does not have. */
export function featureIndices(names: readonly string[]): Int32Array {
  const idx = new Int32Array(names.length);
  names.forEach((name, j) => {
    const at = FEATURE_NAMES.indexOf(name);
    if (at < 0) throw new Error(`feature "${name}" is not in feature schema ${FEATURE_SCHEMA_VERSION}`);
    idx[j] = at;
  });
  return idx;
}

/**
 * The chosen columns of the first `rows` rows as a row-major matrix: a view when the columns are the whole
 * schema in order (the common case for frontrow's own models), else a copy.
 */
export function selectColumns(m: FeatureMatrix, columns: Int32Array, rows = m.rows): Float32Array {
  const k = columns.length;
  if (k === m.cols && columns.every((c, j) => c === j)) return m.data.subarray(0, rows * k);
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const src = i * m.cols;
    const dst = i * k;
    for (let j = 0; j < k; j++) out[dst + j] = m.data[src + (columns[j] as number)] as number;
  }
  return out;
}

/** A title in a user's history, as profiles read it; year 0 or absent and popularity absent mean unknown. */
export interface HistoryItem {
  id: number;
  genres: number;
  tags: number;
  year?: number;
  /** On the candidate lists' popularity scale (log1p(count) / log1p(max count)). */
  popularity?: number;
}

/** Builds a profile's affinity vectors and means from the titles in a user's history. */
export function profileFromHistory(userId: string, history: readonly HistoryItem[], updatedAt: number): UserProfile {
  const genreAffinity = new Array<number>(GENRES.length).fill(0);
  const tagAffinity = new Array<number>(TAGS.length).fill(0);
  let genreTotal = 0;
  let yearSum = 0;
  let years = 0;
  let popularitySum = 0;
  let popularities = 0;
  for (const item of history) {
    for (let b = 0; b < GENRES.length; b++) {
      if ((item.genres >>> b) & 1) {
        genreAffinity[b] = (genreAffinity[b] as number) + 1;
        genreTotal++;
      }
    }
    for (let b = 0; b < TAGS.length; b++) if ((item.tags >>> b) & 1) tagAffinity[b] = (tagAffinity[b] as number) + 1;
    if (item.year !== undefined && item.year > 0) {
      yearSum += item.year;
      years++;
    }
    if (item.popularity !== undefined) {
      popularitySum += item.popularity;
      popularities++;
    }
  }
  const n = history.length;
  return {
    userId,
    genreAffinity: genreAffinity.map((v) => (genreTotal ? v / genreTotal : 0)),
    tagAffinity: tagAffinity.map((v) => (n ? v / n : 0)),
    activity: n,
    yearMean: years ? yearSum / years : null,
    popularityMean: popularities ? Math.min(1, Math.max(0, popularitySum / popularities)) : null,
    watched: [...new Set(history.map((h) => h.id))].sort((a, b) => a - b),
    lastWatched: n ? (history[n - 1] as { id: number }).id : null,
    updatedAt,
  };
}
