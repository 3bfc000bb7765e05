// Synthetic data set: determinism, shape, and the planted effects (long tail, regions, context) being really there.
import { describe, expect, it } from "vitest";
import { localClock } from "../../core/clock.js";
import { DEVICES, GENRES, TAGS } from "../../core/vocab.js";
import type { Dataset } from "./dataset.js";
import { loadRegions } from "./regions.js";
import { contextLogBoost, generateSynthetic, SYNTHETIC_END, SYNTHETIC_START } from "./synthetic.js";

const regions = loadRegions();

describe("generateSynthetic", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = generateSynthetic({ users: 40, items: 60, seed: 5, regions });
    const b = generateSynthetic({ users: 40, items: 60, seed: 5, regions });
    const c = generateSynthetic({ users: 40, items: 60, seed: 6, regions });
    expect(b).toEqual(a);
    expect(c.interactions).not.toEqual(a.interactions);
    expect(a.name).toBe("synthetic(seed=5,users=40,items=60)");
  });

  it("rejects bad sizes", () => {
    expect(() => generateSynthetic({ users: 0, regions })).toThrow("synthetic: users must be a positive integer");
    expect(() => generateSynthetic({ items: 10, regions })).toThrow("synthetic: items must be an integer >= 20");
    expect(() => generateSynthetic({ regions: [] })).toThrow("synthetic: 1 to 32 regions, got 0");
  });

  describe("default size", () => {
    const ds: Dataset = generateSynthetic();
    const items = new Map(ds.items.map((i) => [i.id, i]));
    const tz = new Map(ds.regions.map((r) => [r.id, r.timeZone]));
    const local = ds.interactions.map((x) => localClock(x.ts, tz.get(x.region) as string));

    it("has the documented shape", () => {
      expect(ds.regions).toEqual(regions);
      expect(ds.users).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(ds.items.map((i) => i.id)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
      expect(ds.interactions.length).toBeGreaterThan(40_000);
      expect(ds.interactions.length).toBeLessThan(60_000);
      const unsorted = ds.interactions.filter((x, i) => i > 0 && x.ts < (ds.interactions[i - 1] as { ts: number }).ts);
      expect(unsorted).toEqual([]);
      expect((ds.interactions[0] as { ts: number }).ts).toBeGreaterThanOrEqual(SYNTHETIC_START);
      expect((ds.interactions.at(-1) as { ts: number }).ts).toBeLessThan(SYNTHETIC_END);
    });

    it("gives titles unique readable names whose year suffix is the release year", () => {
      expect(new Set(ds.items.map((i) => i.title)).size).toBe(ds.items.length);
      for (const it of ds.items) {
        expect(it.title).toMatch(/^[A-Z][A-Za-z' ]+( \d+)? \((\d{4})\)$/);
        expect(it.title.endsWith(`(${it.year})`)).toBe(true);
        expect((it.genres >>> it.primaryGenre) & 1).toBe(1);
      }
      expect(new Set(ds.items.map((i) => i.primaryGenre)).size).toBeGreaterThan(12);
      expect(ds.items.filter((i) => i.tags !== 0).length).toBeGreaterThan(ds.items.length * 0.7);
      expect(Math.max(...ds.items.map((i) => i.tags))).toBeLessThan(2 ** TAGS.length);
    });

    it("makes most titles available in each region, but not all", () => {
      regions.forEach((_, bit) => {
        const share = ds.items.filter((i) => (i.regions >>> bit) & 1).length / ds.items.length;
        expect(share).toBeGreaterThan(0.8);
        expect(share).toBeLessThan(1);
      });
    });

    it("only logs views from the home region, of titles available there, once per user and title", () => {
      const bit = new Map(ds.regions.map((r, i) => [r.id, i]));
      const pairs = new Set<string>();
      const bad = ds.interactions.filter((x) => {
        pairs.add(`${x.userId}:${x.itemId}`);
        return (
          x.region !== ds.homeRegion.get(x.userId) ||
          (((items.get(x.itemId)?.regions ?? 0) >>> (bit.get(x.region) as number)) & 1) === 0 ||
          !DEVICES.includes(x.device)
        );
      });
      expect(bad).toEqual([]);
      expect(pairs.size).toBe(ds.interactions.length);
    });

    it("has a long tail of popularity", () => {
      const counts = new Map<number, number>();
      for (const x of ds.interactions) counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
      const sorted = [...counts.values()].sort((a, b) => b - a);
      const head = sorted.slice(0, 150).reduce((s, v) => s + v, 0);
      expect(head / ds.interactions.length).toBeGreaterThan(0.25);
      expect(sorted[750]).toBeLessThan((sorted[0] as number) / 10);
    });

    // Share of views carrying a genre among views matching a local-time / device condition.
    const share = (genre: string, when: (hour: number, weekend: boolean, device: string) => boolean) => {
      const g = GENRES.indexOf(genre as (typeof GENRES)[number]);
      let n = 0;
      let k = 0;
      ds.interactions.forEach((x, i) => {
        const c = local[i] as { hour: number; weekday: number };
        if (!when(Math.floor(c.hour), c.weekday === 0 || c.weekday === 6, x.device)) return;
        n++;
        if (((items.get(x.itemId)?.genres ?? 0) >>> g) & 1) k++;
      });
      return k / n;
    };

    it("plants context effects in home-region local time", () => {
      expect(share("Horror", (h) => h >= 22 || h < 3)).toBeGreaterThan(3 * share("Horror", (h) => h >= 6 && h < 14));
      expect(share("Children", (h) => h >= 13 && h < 18)).toBeGreaterThan(
        3 * share("Children", (h) => h >= 21 || h < 5),
      );
      const commute = (h: number) => (h >= 7 && h < 9) || (h >= 17 && h < 19);
      expect(share("Comedy", (h, _w, d) => d === "phone" && commute(h))).toBeGreaterThan(
        1.5 * share("Comedy", (h, _w, d) => !(d === "phone" && commute(h))),
      );
      expect(share("Drama", (h, _w, d) => d === "tv" && h >= 19 && h < 23)).toBeGreaterThan(
        1.3 * share("Drama", (_h, _w, d) => d === "phone"),
      );
      const tvEvening = ds.interactions.filter((x, i) => x.device === "tv" && (local[i]?.hour ?? 0) >= 18).length;
      const phoneEvening = ds.interactions.filter((x, i) => x.device === "phone" && (local[i]?.hour ?? 0) >= 18).length;
      expect(tvEvening).toBeGreaterThan(phoneEvening);
    });

    it("lets this year's releases trend after their launch", () => {
      const year = new Date(SYNTHETIC_END).getUTCFullYear();
      const lastMonth = SYNTHETIC_END - 30 * 86_400_000;
      const recent = ds.interactions.filter((x) => x.ts >= lastMonth);
      const older = ds.interactions.filter((x) => x.ts < lastMonth);
      const newShare = (xs: typeof ds.interactions) =>
        xs.filter((x) => items.get(x.itemId)?.year === year).length / xs.length;
      expect(newShare(recent)).toBeGreaterThan(newShare(older));
    });
  });
});

describe("contextLogBoost", () => {
  it("encodes the documented effects", () => {
    const g = (name: string) => GENRES.indexOf(name as (typeof GENRES)[number]);
    expect(contextLogBoost(g("Horror"), 23, false, "tv")).toBe(1.3);
    expect(contextLogBoost(g("Horror"), 10, false, "tv")).toBe(-0.8);
    expect(contextLogBoost(g("Children"), 15, true, "tablet")).toBeCloseTo(2.3, 10);
    expect(contextLogBoost(g("Comedy"), 8, false, "phone")).toBe(1.3);
    expect(contextLogBoost(g("Comedy"), 8, false, "tv")).toBe(0);
    expect(contextLogBoost(g("Western"), 20, true, "tv")).toBe(0);
  });
});
