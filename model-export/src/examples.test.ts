// Tests of example building: chronological splits, no label leakage, features through the shared core extractor.
import { beforeAll, describe, expect, it } from "vitest";
import { localClock } from "../../core/clock.js";
import { extractFeatures } from "../../core/features.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import type { CandidateGenerator, FitInteraction, Scored } from "../../origin/src/cf/types.js";
import type { Dataset, Interaction } from "../../origin/src/dataset.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import {
  contextOf,
  fingerprintInteractions,
  listFeatures,
  type Stage,
  temporalSplit,
  testStage,
  trainStage,
  type UserSplit,
} from "./examples.js";

/** Wraps a generator and records what it was fitted on. */
class SpyGenerator implements CandidateGenerator {
  readonly name = "spy";
  readonly params = {};
  fitted: FitInteraction[] = [];
  constructor(private readonly inner: CandidateGenerator) {}
  fit(interactions: readonly FitInteraction[]): void {
    this.fitted = [...interactions];
    this.inner.fit(interactions);
  }
  recommend(userId: number, depth: number, exclude: ReadonlySet<number>): Scored[] {
    return this.inner.recommend(userId, depth, exclude);
  }
  recommendForHistory(history: readonly number[], depth: number, exclude: ReadonlySet<number>): Scored[] {
    return this.inner.recommendForHistory(history, depth, exclude);
  }
  similar(itemId: number, depth: number): Scored[] {
    return this.inner.similar(itemId, depth);
  }
  covers(itemId: number): boolean {
    return this.inner.covers(itemId);
  }
}

const key = (x: Pick<Interaction, "userId" | "itemId" | "ts">) => `${x.userId}:${x.itemId}:${x.ts}`;

let dataset: Dataset;
let splits: UserSplit[];
let train: Stage;
let test: Stage;
let trainSpy: SpyGenerator;
let testSpy: SpyGenerator;

beforeAll(() => {
  dataset = generateSynthetic({ users: 80, items: 250, seed: 3 });
  splits = temporalSplit(dataset);
  trainSpy = new SpyGenerator(new EaseGenerator());
  testSpy = new SpyGenerator(new EaseGenerator());
  train = trainStage(dataset, splits, { depth: 100, makeGenerator: () => trainSpy });
  test = testStage(dataset, splits, { depth: 100, makeGenerator: () => testSpy });
});

describe("temporalSplit", () => {
  it("cuts each user's history in time: fit | val | test, 20% test and 20% of the rest as val", () => {
    const byUser = new Map<number, Interaction[]>();
    for (const x of dataset.interactions) byUser.set(x.userId, [...(byUser.get(x.userId) ?? []), x]);
    for (const s of splits) {
      const all = byUser.get(s.userId) ?? [];
      expect(s.fit.length + s.val.length + s.test.length).toBe(all.length);
      expect(new Set([...s.fit, ...s.val, ...s.test].map(key))).toEqual(new Set(all.map(key)));
      if (all.length < 5) {
        expect(s.val).toEqual([]);
        expect(s.test).toEqual([]);
        continue;
      }
      const nTest = Math.max(1, Math.round(all.length * 0.2));
      expect(s.test.length).toBe(nTest);
      expect(s.val.length).toBe(Math.max(1, Math.round((all.length - nTest) * 0.2)));
      const lastFit = Math.max(...s.fit.map((x) => x.ts));
      const firstVal = Math.min(...s.val.map((x) => x.ts));
      expect(lastFit).toBeLessThanOrEqual(firstVal);
      expect(Math.max(...s.val.map((x) => x.ts))).toBeLessThanOrEqual(Math.min(...s.test.map((x) => x.ts)));
    }
  });

  it("keeps short histories whole and rejects bad fractions", () => {
    const tiny: Dataset = {
      ...dataset,
      users: [1],
      interactions: dataset.interactions.filter((x) => x.userId === 1).slice(0, 4),
    };
    const [only] = temporalSplit(tiny);
    expect(only?.fit.length).toBe(4);
    expect(only?.test.length).toBe(0);
    expect(() => temporalSplit(dataset, { testFraction: 1 })).toThrow("testFraction must be in (0, 1)");
  });
});

describe("no leakage", () => {
  it("the train cut's CF sees only fit interactions; the test cut's only fit + val", () => {
    const fitKeys = new Set(splits.flatMap((s) => s.fit).map(key));
    const valKeys = new Set(splits.flatMap((s) => s.val).map(key));
    expect(new Set(trainSpy.fitted.map((x) => key(x as Interaction)))).toEqual(fitKeys);
    expect(new Set(testSpy.fitted.map((x) => key(x as Interaction)))).toEqual(new Set([...fitKeys, ...valKeys]));
  });

  it("labels are exactly the held-out titles among the candidates, never a watched title", () => {
    const bySplit = new Map(splits.map((s) => [s.userId, s]));
    for (const [stage, heldOutOf, visibleOf] of [
      [train, (s: UserSplit) => s.val, (s: UserSplit) => s.fit],
      [test, (s: UserSplit) => s.test, (s: UserSplit) => [...s.fit, ...s.val]],
    ] as const) {
      expect(stage.lists.length).toBeGreaterThan(50);
      for (const list of stage.lists) {
        const s = bySplit.get(list.userId) as UserSplit;
        const heldOut = new Set(heldOutOf(s).map((x) => x.itemId));
        const visible = new Set(visibleOf(s).map((x) => x.itemId));
        expect(list.watched).toEqual(visible);
        expect(list.events.map((e) => e.itemId)).toEqual(heldOutOf(s).map((x) => x.itemId));
        for (let i = 0; i < list.ids.length; i++) {
          const id = list.ids[i] as number;
          expect(visible.has(id)).toBe(false);
          expect(list.labels[i]).toBe(heldOut.has(id) ? 1 : 0);
        }
        for (const id of list.relevant) expect(heldOut.has(id) && !visible.has(id)).toBe(true);
      }
    }
  });

  it("profiles and popularity come from the visible history only", () => {
    const bySplit = new Map(splits.map((s) => [s.userId, s]));
    const counts = new Map<number, number>();
    for (const x of splits.flatMap((s) => s.fit)) counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
    const logMax = Math.log1p(Math.max(...counts.values()));
    for (const list of train.lists) {
      const s = bySplit.get(list.userId) as UserSplit;
      expect(list.profile.activity).toBe(s.fit.length);
      expect(list.profile.updatedAt).toBe(Math.max(...s.fit.map((x) => x.ts)));
      list.ids.forEach((id, i) => {
        expect(list.columns.popularity[i]).toBe(Math.fround(Math.log1p(counts.get(id) ?? 0) / logMax));
      });
    }
  });
});

describe("features", () => {
  it("are core extractFeatures over the list's columns, profile and the held-out view's context", () => {
    const list = test.lists.find((l) => l.ids.length > 10 && l.events.length > 1);
    if (!list) throw new Error("fixture has no list with candidates and two held-out views");
    const recs = testSpy.recommend(list.userId, 100, list.watched);
    expect(Array.from(list.ids)).toEqual(recs.map((r) => r.itemId));
    expect(Array.from(list.columns.cfScore)).toEqual(recs.map((r) => Math.fround(r.score)));
    for (const ev of list.events) {
      const expected = extractFeatures(list.columns, list.profile, ev.context);
      const got = listFeatures(list, ev.context);
      expect(got.rows).toBe(list.ids.length);
      expect(Array.from(got.data)).toEqual(Array.from(expected.data));
    }
  });

  it("context is local time in the region the view happened in, with its device", () => {
    const x = dataset.interactions[123] as Interaction;
    const tz = dataset.regions.find((r) => r.id === x.region)?.timeZone as string;
    const clock = localClock(x.ts, tz);
    expect(contextOf(x, dataset)).toEqual({
      region: x.region,
      localHour: clock.hour,
      weekday: clock.weekday,
      year: clock.year,
      device: x.device,
    });
    const nyNoon: Interaction = {
      userId: 1,
      itemId: 1,
      ts: Date.UTC(2026, 0, 15, 17, 30),
      region: "us-east",
      device: "tv",
    };
    expect(contextOf(nyNoon, dataset)).toMatchObject({ localHour: 12.5, weekday: 4, year: 2026 });
  });
});

describe("fingerprintInteractions", () => {
  it("ignores order and changes with any field", async () => {
    const xs = dataset.interactions.slice(0, 50);
    const fp = await fingerprintInteractions(xs);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprintInteractions([...xs].reverse())).toBe(fp);
    const changed = xs.map((x, i) =>
      i === 10 ? { ...x, device: x.device === "tv" ? ("web" as const) : ("tv" as const) } : x,
    );
    expect(await fingerprintInteractions(changed)).not.toBe(fp);
  });
});
