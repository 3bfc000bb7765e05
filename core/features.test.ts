// Feature extraction: exact values per column, cold users, and column selection for multi-input models.
import { describe, expect, it } from "vitest";
import {
  extractFeatures,
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureIndices,
  LEADING_COLUMNS,
  profileFromHistory,
  selectColumns,
  UserProfileSchema,
} from "./features.js";
import { GENRES, genreMask, TAGS } from "./vocab.js";

const list = {
  size: 2,
  cfScore: [2, -1],
  popularity: [0.5, 0.25],
  genres: [genreMask(["Comedy", "Drama"]), genreMask(["Horror"])],
  tags: [0b11, 0],
  year: [2000, 2030],
};
const ctx = { region: "eu-west", localHour: 18, weekday: 6, year: 2025, device: "tv" as const };
const col = (name: string) => FEATURE_NAMES.indexOf(name);

describe("extractFeatures: leading rows", () => {
  it("writes each row's leading columns only, equal to the bit to the full matrix's, and the same built", () => {
    const long = {
      size: 300,
      cfScore: Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 5),
      popularity: Float32Array.from({ length: 300 }, (_, i) => (i % 17) / 17),
      genres: Uint32Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 0),
      tags: Uint32Array.from({ length: 300 }, (_, i) => (i * 40503) & 0xffff),
      year: Uint16Array.from({ length: 300 }, (_, i) => (i % 7 ? 1950 + i : 0)),
    };
    const profile = { genreAffinity: GENRES.map((_, i) => i / 40), tagAffinity: TAGS.map(() => 0.1), activity: 55 };
    const full = extractFeatures(long, profile, ctx);
    const out = new Float32Array(300 * LEADING_COLUMNS + 5).fill(7);
    const lead = extractFeatures(long, profile, ctx, out, { leading: true });
    expect([lead.rows, lead.cols, lead.data === out, LEADING_COLUMNS]).toEqual([300, LEADING_COLUMNS, true, 12]);
    expect(FEATURE_NAMES[LEADING_COLUMNS]).toBe("genre_action");
    const expected = Array.from({ length: 300 * LEADING_COLUMNS }, (_, i) => {
      const row = Math.floor(i / LEADING_COLUMNS);
      return full.data[row * FEATURE_COUNT + (i % LEADING_COLUMNS)];
    });
    expect(Array.from(out.subarray(0, 300 * LEADING_COLUMNS))).toEqual(expected);
    expect(Array.from(out.subarray(300 * LEADING_COLUMNS))).toEqual([7, 7, 7, 7, 7]);
    expect(lead.built).toEqual(full.built);
  });
});

describe("extractFeatures", () => {
  const profile = {
    genreAffinity: GENRES.map((g) => (g === "Comedy" ? 0.6 : g === "Drama" ? 0.2 : 0)),
    tagAffinity: TAGS.map((_, i) => (i === 0 ? 0.5 : i === 1 ? 0.1 : 0)),
    activity: 2000,
  };
  const m = extractFeatures(list, profile, ctx);
  const at = (row: number, name: string) => m.data[row * m.cols + col(name)] as number;

  it("has the schema's shape", () => {
    expect([m.rows, m.cols, m.data.length]).toEqual([2, FEATURE_COUNT, 2 * FEATURE_COUNT]);
    expect(FEATURE_COUNT).toBe(38);
  });

  it("computes collaborative and content columns", () => {
    expect([at(0, "cf_score"), at(1, "cf_score")]).toEqual([1, -0.5]);
    expect(at(0, "cf_rank")).toBe(0);
    expect(at(1, "cf_rank")).toBeCloseTo(Math.log1p(1) / Math.log1p(1000), 6);
    expect(at(0, "popularity")).toBe(0.5);
    expect(at(0, "title_age")).toBeCloseTo(0.5, 6);
    // Released five years after the context year: negative, not clamped to zero.
    expect(at(1, "title_age")).toBeCloseTo(-0.1, 6);
    expect([at(0, "genre_comedy"), at(0, "genre_drama"), at(0, "genre_horror"), at(1, "genre_horror")]).toEqual([
      1, 1, 0, 1,
    ]);
  });

  it("gives cf_rank, to the bit, as log1p(position) / log1p(1000), in lists longer than any seen before", () => {
    const n = 3000;
    const long = {
      size: n,
      cfScore: Array.from({ length: n }, (_, i) => n - i),
      popularity: new Array<number>(n).fill(0.5),
      genres: new Array<number>(n).fill(0),
      tags: new Array<number>(n).fill(0),
      year: new Array<number>(n).fill(2000),
    };
    for (const size of [5, n, 1500]) {
      const rows = extractFeatures({ ...long, size }, null, ctx);
      const got = Array.from({ length: size }, (_, i) => rows.data[i * rows.cols + col("cf_rank")]);
      expect(got).toEqual(Array.from({ length: size }, (_, i) => Math.fround(Math.log1p(i) / Math.log1p(1000))));
    }
  });

  it("standardises score and popularity within the list", () => {
    // Two candidates: each sits one (population) standard deviation from the list mean.
    expect([at(0, "cf_z"), at(1, "cf_z")]).toEqual([1, -1]);
    expect([at(0, "popularity_z"), at(1, "popularity_z")]).toEqual([1, -1]);
    const three = extractFeatures(
      { size: 3, cfScore: [3, 0, 0], popularity: [0.2, 0.2, 0.2], genres: [0, 0, 0], tags: [0, 0, 0], year: [0, 0, 0] },
      null,
      ctx,
    );
    const z = (row: number, name: string) => three.data[row * three.cols + col(name)] as number;
    // mean 1, sd sqrt(2): (3 - 1) / sqrt(2) and (0 - 1) / sqrt(2); a constant column gives 0, not NaN.
    expect(z(0, "cf_z")).toBeCloseTo(Math.SQRT2, 6);
    expect(z(1, "cf_z")).toBeCloseTo(-1 / Math.SQRT2, 6);
    expect([z(0, "popularity_z"), z(1, "popularity_z"), z(2, "popularity_z")]).toEqual([0, 0, 0]);
  });

  it("computes user affinity columns", () => {
    expect(at(0, "genre_affinity")).toBeCloseTo(0.4, 6);
    expect(at(0, "genre_affinity_max")).toBeCloseTo(0.6, 6);
    expect(at(1, "genre_affinity")).toBe(0);
    expect(at(0, "tag_affinity")).toBeCloseTo(0.3, 6);
    expect(at(0, "user_activity")).toBe(1);
  });

  it("compares a title's year and popularity with the user's history", () => {
    const withMeans = extractFeatures(list, { ...profile, yearMean: 1990, popularityMean: 0.4 }, ctx);
    const v = (row: number, name: string) => withMeans.data[row * withMeans.cols + col(name)] as number;
    expect(v(0, "year_gap")).toBeCloseTo(0.5, 6);
    // 2030 - 1990 = 40 years: 2, the clamp.
    expect(v(1, "year_gap")).toBe(2);
    expect(v(0, "popularity_gap")).toBeCloseTo(0.1, 6);
    expect(v(1, "popularity_gap")).toBeCloseTo(-0.15, 6);
    // A v1 profile (no means) or unknown means: zero.
    for (const p of [profile, { ...profile, yearMean: null, popularityMean: null }]) {
      const m0 = extractFeatures(list, p, ctx);
      for (const name of ["year_gap", "popularity_gap"]) expect(m0.data[col(name)]).toBe(0);
    }
    // An unknown release year (0) has no year gap.
    const noYear = extractFeatures({ ...list, year: [0, 0] }, { ...profile, yearMean: 1990 }, ctx);
    expect(noYear.data[col("year_gap")]).toBe(0);
  });

  it("computes context columns identically for every candidate", () => {
    for (const row of [0, 1]) {
      expect(at(row, "hour_sin")).toBeCloseTo(-1, 6);
      expect(at(row, "hour_cos")).toBeCloseTo(0, 6);
      expect([at(row, "is_weekend"), at(row, "device_tv"), at(row, "device_phone")]).toEqual([1, 1, 0]);
    }
  });

  it("gives a cold user zero user features", () => {
    const cold = extractFeatures(list, null, ctx);
    for (const name of [
      "genre_affinity",
      "genre_affinity_max",
      "tag_affinity",
      "user_activity",
      "year_gap",
      "popularity_gap",
    ]) {
      expect(cold.data[col(name)]).toBe(0);
    }
  });

  it("reuses an output buffer, clearing what it held", () => {
    const out = new Float32Array(2 * FEATURE_COUNT).fill(9);
    const again = extractFeatures(list, profile, ctx, out);
    expect(again.data).toBe(out);
    expect(Array.from(again.data)).toEqual(Array.from(m.data));
  });
});

describe("columns", () => {
  it("selects named columns in the order asked", () => {
    const m = extractFeatures(list, null, ctx);
    const idx = featureIndices(["popularity", "cf_score"]);
    expect(Array.from(selectColumns(m, idx))).toEqual([0.5, 1, 0.25, -0.5]);
    expect(Array.from(selectColumns(m, idx, 1))).toEqual([0.5, 1]);
  });

  it("names a feature the schema does not have", () => {
    expect(() => featureIndices(["cf_score", "mood"])).toThrow('feature "mood" is not in feature schema v2');
  });
});

describe("profileFromHistory", () => {
  it("builds shares, activity, watched and last watched", () => {
    const p = profileFromHistory(
      "u1",
      [
        { id: 5, genres: genreMask(["Comedy"]), tags: 1, year: 2000, popularity: 0.5 },
        { id: 3, genres: genreMask(["Comedy", "Drama"]), tags: 0, year: 0, popularity: 0.2 },
        { id: 5, genres: genreMask(["Comedy"]), tags: 1, year: 2010, popularity: 0.5 },
      ],
      42,
    );
    expect(p.genreAffinity[GENRES.indexOf("Comedy")]).toBe(0.75);
    expect(p.genreAffinity[GENRES.indexOf("Drama")]).toBe(0.25);
    expect(p.tagAffinity[0]).toBeCloseTo(2 / 3, 9);
    expect([p.activity, p.watched, p.lastWatched, p.updatedAt]).toEqual([3, [3, 5], 5, 42]);
    // Year 0 is unknown and left out of the mean; popularity averages over every view.
    expect(p.yearMean).toBe(2005);
    expect(p.popularityMean).toBeCloseTo(0.4, 9);
  });

  it("leaves the means null when the history carries no years or popularity", () => {
    const p = profileFromHistory("u2", [{ id: 1, genres: 0, tags: 0 }], 0);
    expect([p.yearMean, p.popularityMean]).toEqual([null, null]);
    expect(UserProfileSchema.parse({ ...p, yearMean: undefined, popularityMean: undefined })).toEqual(p);
  });
});

describe("selectColumns fast path", () => {
  it("returns a view, not a copy, when every column is selected in order", () => {
    const m = extractFeatures(list, null, ctx);
    const all = featureIndices(FEATURE_NAMES);
    const v = selectColumns(m, all);
    expect(v.buffer).toBe(m.data.buffer);
    expect(Array.from(v)).toEqual(Array.from(m.data));
    expect(selectColumns(m, all, 1).length).toBe(FEATURE_COUNT);
  });
});
