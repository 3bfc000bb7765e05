// Row builders on a hand-made log (exact scores) and on a small synthetic set with a real EASE model.
import { describe, expect, it } from "vitest";
import { candidateAt, decodeCandidateList } from "../../core/codec.js";
import { profileFromHistory } from "../../core/features.js";
import { EaseGenerator } from "./cf/ease.js";
import type { CandidateGenerator, Scored } from "./cf/types.js";
import type { Dataset, Interaction, Item } from "./dataset.js";
import { encodeRowList, OriginRows } from "./rows.js";
import { generateSynthetic } from "./synthetic.js";

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;
const NOW = 1_800_000_000_000;
const item = (id: number, regions = 0b11): Item => ({
  id,
  title: `Title ${id} (2000)`,
  genres: 1 << (id % 5),
  tags: id,
  year: 2000 + id,
  primaryGenre: id % 5,
  regions,
});
const view = (userId: number, itemId: number, days: number, region: string): Interaction => ({
  userId,
  itemId,
  ts: T0 + days * DAY,
  region,
  device: "tv",
});

function handMade(): Dataset {
  return {
    name: "hand-made",
    items: [1, 2, 3, 4, 5].map((id) => item(id)).concat(item(6, 0b01)),
    users: [1, 2, 3, 4],
    regions: [
      { id: "r1", timeZone: "UTC" },
      { id: "r2", timeZone: "Asia/Singapore" },
    ],
    homeRegion: new Map([
      [1, "r1"],
      [2, "r1"],
      [3, "r2"],
      [4, "r2"],
    ]),
    interactions: [
      view(1, 1, 0, "r1"),
      view(2, 1, 0.5, "r1"),
      view(1, 2, 1, "r1"),
      view(3, 4, 1, "r2"),
      view(1, 3, 2, "r1"),
      view(3, 5, 2, "r2"),
      view(2, 2, 3, "r1"),
      view(4, 4, 3, "r2"),
      view(2, 6, 4, "r1"),
      view(3, 1, 4, "r2"),
      view(4, 5, 4, "r2"),
    ],
  };
}

/** A generator with canned answers, recording what it was asked. */
class CannedGenerator implements CandidateGenerator {
  readonly name = "canned";
  readonly params = {};
  calls: string[] = [];
  constructor(private readonly covered: Set<number>) {}
  fit(): void {}
  recommend(userId: number, depth: number, exclude: ReadonlySet<number>): Scored[] {
    this.calls.push(`recommend ${userId} ${depth} [${[...exclude].sort()}]`);
    return [
      { itemId: 5, score: 0.9 },
      { itemId: 4, score: -0.5 },
    ].slice(0, depth);
  }
  recommendForHistory(): Scored[] {
    return [];
  }
  similar(itemId: number, depth: number): Scored[] {
    this.calls.push(`similar ${itemId} ${depth}`);
    return [
      { itemId: 1, score: 0.8 },
      { itemId: 4, score: 0.7 },
      { itemId: 2, score: 0.6 },
      { itemId: 5, score: 0.5 },
    ].slice(0, depth);
  }
  covers(itemId: number): boolean {
    return this.covered.has(itemId);
  }
}

const ids = (l: { candidates: { id: number }[] }) => l.candidates.map((c) => c.id);
const scores = (l: { candidates: { cfScore: number }[] }) => l.candidates.map((c) => c.cfScore);

describe("OriginRows on a hand-made log", () => {
  const gen = new CannedGenerator(new Set([1, 2, 4, 5]));
  const rows = new OriginRows(handMade(), gen, { trendingHalfLifeDays: 1, clock: () => NOW });

  it("ranks trending by regional views decayed with the half-life, as of the last view", () => {
    const t = rows.trending("r1", 10);
    expect(ids(t)).toEqual([6, 2, 3, 1, 4, 5]);
    expect(scores(t)).toEqual([1, 2 ** -3 + 2 ** -1, 2 ** -2, 2 ** -4 + 2 ** -3.5, 0, 0]);
    expect(t.header).toEqual({
      row: "trending",
      scope: "region:r1",
      generatedAt: NOW,
      regions: ["r1", "r2"],
      source: "trending-decay-1d",
    });
    // Title 6 is not available in r2.
    expect(ids(rows.trending("r2", 10))).toEqual([5, 1, 4, 2, 3]);
    expect(ids(rows.trending("r1", 2))).toEqual([6, 2]);
  });

  it("ranks popular by regional counts, ties by global counts then id", () => {
    const p = rows.popular("r1", 10);
    expect(ids(p)).toEqual([1, 2, 3, 6, 4, 5]);
    expect(scores(p)).toEqual([2, 2, 1, 1, 0, 0]);
    expect(p.header.source).toBe("popularity");
    expect(ids(rows.popular("r2", 10))).toEqual([4, 5, 1, 2, 3]);
  });

  it("sets popularity to log1p(count) / log1p(max count) and copies item fields", () => {
    const p = rows.popular("r1", 10);
    expect(p.candidates[0]).toEqual({
      id: 1,
      title: "Title 1 (2000)",
      cfScore: 2,
      popularity: 1,
      genres: 2,
      tags: 1,
      regions: 0b11,
      year: 2001,
      primaryGenre: 1,
    });
    expect(p.candidates[1]?.popularity).toBe(Math.log1p(2) / Math.log1p(3));
    expect(p.candidates[3]?.regions).toBe(0b01);
  });

  it("asks CF for top picks excluding everything the user watched", () => {
    gen.calls = [];
    const t = rows.topPicks(2, 7);
    expect(gen.calls).toEqual(["recommend 2 7 [1,2,6]"]);
    expect(ids(t)).toEqual([5, 4]);
    expect(scores(t)).toEqual([0.9, -0.5]);
    expect(t.header).toEqual({
      row: "top-picks",
      scope: "user:2",
      generatedAt: NOW,
      regions: ["r1", "r2"],
      source: "canned",
    });
  });

  it("seeds because-you-watched on the latest title CF covers, dropping watched neighbours", () => {
    gen.calls = [];
    // User 2 watched 1, 2, 6 (last); CF does not cover 6, so the seed is 2.
    const b = rows.becauseYouWatched(2, 2);
    expect(gen.calls).toEqual(["similar 2 5"]);
    expect(ids(b)).toEqual([4, 5]);
    expect(b.header.seedItem).toBe(2);
    expect(rows.row("because-you-watched", { userId: 2 }, 1).candidates).toHaveLength(1);
  });

  it("gives an empty, unseeded list when CF covers none of the user's titles", () => {
    const none = new OriginRows(handMade(), new CannedGenerator(new Set()), { clock: () => NOW });
    const b = none.becauseYouWatched(1, 10);
    expect(b.candidates).toEqual([]);
    expect(b.header.seedItem).toBeUndefined();
  });

  it("builds profiles from the user's history, oldest first", () => {
    const items = handMade().items;
    // Each title with the popularity the candidate lists carry, so the profile's mean is on the lists' scale.
    const popularity = new Map(rows.catalogList().candidates.map((c) => [c.id, c.popularity]));
    const h = [1, 2, 6].map((id) => ({
      ...(items.find((i) => i.id === id) as Item),
      popularity: popularity.get(id) as number,
    }));
    const p = rows.profileFor(2);
    expect(p).toEqual(profileFromHistory("2", h, NOW));
    expect(p.lastWatched).toBe(6);
    expect(p.yearMean).toBeCloseTo(h.reduce((s, x) => s + x.year, 0) / 3, 9);
    expect(p.popularityMean).toBeCloseTo(h.reduce((s, x) => s + x.popularity, 0) / 3, 9);
  });

  it("lists the catalogue by id with cfScore = popularity", () => {
    const c = rows.catalogList();
    expect(ids(c)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(c.header).toEqual({
      row: "catalog",
      scope: "catalog",
      generatedAt: NOW,
      regions: ["r1", "r2"],
      source: "catalog",
    });
    expect(scores(c)).toEqual(c.candidates.map((x) => x.popularity));
  });

  it("rejects unknown users and regions and bad depths", () => {
    expect(() => rows.topPicks(99, 5)).toThrow("unknown user 99");
    expect(() => rows.trending("mars", 5)).toThrow('unknown region "mars" (known: r1, r2)');
    expect(() => rows.popular("r1", 0)).toThrow("depth must be an integer in 1..1000, got 0");
    expect(() => rows.topPicks(1, 1001)).toThrow("depth must be an integer in 1..1000, got 1001");
    expect(() => rows.row("trending", { userId: 1 }, 5)).toThrow("row trending needs a region");
    expect(() => rows.row("top-picks", { region: "r1" }, 5)).toThrow("row top-picks needs a user");
    expect(() => new OriginRows(handMade(), gen, { trendingHalfLifeDays: 0 })).toThrow(
      "trending half-life must be > 0 days, got 0",
    );
  });
});

describe("OriginRows with EASE on synthetic data", () => {
  const ds = generateSynthetic({ users: 200, items: 300, seed: 11 });
  const ease = new EaseGenerator();
  ease.fit(ds.interactions);
  const rows = new OriginRows(ds, ease, { clock: () => NOW });

  it("encodes deep top-picks lists sorted by CF score, never recommending watched titles", () => {
    for (const user of [1, 57, 200]) {
      const watched = new Set(rows.profileFor(user).watched);
      const list = decodeCandidateList(encodeRowList(rows.topPicks(user, 250)));
      expect(list.size).toBe(Math.min(250, (ease.params.items as number) - watched.size));
      expect(list.header.regions).toEqual(ds.regions.map((r) => r.id));
      for (let i = 0; i < list.size; i++) {
        expect(watched.has(list.ids[i] as number)).toBe(false);
        if (i > 0) expect(list.cfScore[i] as number).toBeLessThanOrEqual(list.cfScore[i - 1] as number);
      }
      const first = candidateAt(list, 0);
      const it = ds.items.find((x) => x.id === first.id) as Item;
      expect(first).toMatchObject({
        title: it.title,
        genres: it.genres,
        tags: it.tags,
        year: it.year,
        regions: it.regions,
      });
    }
  });

  it("anchors because-you-watched on the last watched title", () => {
    const last = ds.interactions.filter((x) => x.userId === 9).at(-1) as Interaction;
    const list = rows.becauseYouWatched(9, 100);
    expect(list.header.seedItem).toBe(last.itemId);
    expect(list.candidates).toHaveLength(100);
    expect(ids(list)).toEqual(
      ease
        .similar(last.itemId, 1000)
        .map((s) => s.itemId)
        .filter((id) => !rows.profileFor(9).watched.includes(id))
        .slice(0, 100),
    );
  });

  it("caps regional lists at the depth and keeps them to titles available there", () => {
    ds.regions.forEach((r, bit) => {
      const t = rows.trending(r.id, 1000);
      expect(t.candidates.length).toBe(ds.items.filter((i) => (i.regions >>> bit) & 1).length);
      expect(t.candidates.every((c) => (c.regions >>> bit) & 1)).toBe(true);
    });
  });
});
