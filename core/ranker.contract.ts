// The contract every Ranker keeps; implementations' test files (Node or workerd) run it.
import { describe, expect, it } from "vitest";
import { extractFeatures, FEATURE_COUNT } from "./features.js";
import type { Ranker } from "./ranker.js";

/** A deterministic list of `n` plausible candidates. */
export function sampleColumns(n: number) {
  return {
    size: n,
    cfScore: Float32Array.from({ length: n }, (_, i) => 1 - i / (n + 1)),
    popularity: Float32Array.from({ length: n }, (_, i) => ((i * 37) % 100) / 100),
    genres: Uint32Array.from({ length: n }, (_, i) => (1 << (i % 19)) | (1 << ((i * 7) % 19))),
    tags: Uint32Array.from({ length: n }, (_, i) => (i * 40503) & 0xffff),
    year: Uint16Array.from({ length: n }, (_, i) => 1960 + (i % 65)),
  };
}

/** A plausible user profile and moment for the sample candidates (the contract and the kernel bench use them). */
export const sampleProfile = {
  genreAffinity: Array.from({ length: 19 }, (_, i) => (i % 5) / 20),
  tagAffinity: Array(16).fill(0.1),
  activity: 120,
  yearMean: 1994,
  popularityMean: 0.5,
};
export const sampleContext = { region: "eu-west", localHour: 21.5, weekday: 5, year: 2026, device: "tv" as const };

/** Registers the shared Ranker tests for one implementation. */
export function rankerContract(name: string, make: () => Ranker | Promise<Ranker>): void {
  describe(`Ranker contract: ${name}`, () => {
    it("names itself", async () => {
      const r = await make();
      expect(r.kind.length).toBeGreaterThan(0);
      expect(r.version === null || r.version.length > 0).toBe(true);
    });

    for (const n of [1, 17, 1000]) {
      it(`returns ${n} finite float32 scores for ${n} candidates`, async () => {
        const scores = await (await make()).score(extractFeatures(sampleColumns(n), sampleProfile, sampleContext));
        expect(scores).toBeInstanceOf(Float32Array);
        expect(scores.length).toBe(n);
        expect(scores.every(Number.isFinite)).toBe(true);
      });
    }

    it("is deterministic", async () => {
      const r = await make();
      const m = extractFeatures(sampleColumns(200), sampleProfile, sampleContext);
      expect(Array.from(await r.score(m))).toEqual(Array.from(await r.score(m)));
    });

    it("reads only the matrix it is given (rows past `rows` are ignored)", async () => {
      const r = await make();
      const full = extractFeatures(sampleColumns(50), sampleProfile, sampleContext);
      const head = { data: full.data.subarray(0, 10 * FEATURE_COUNT), rows: 10, cols: FEATURE_COUNT };
      const a = await r.score(head);
      const b = await r.score({ ...full, rows: 10 });
      expect(Array.from(a)).toEqual(Array.from(b));
    });

    it("scores a list from its columns exactly as from its matrix, when it offers to (scoreList)", async () => {
      const r = await make();
      for (const n of [0, 1, 7, 500]) {
        for (const profile of [sampleProfile, null]) {
          const list = sampleColumns(n);
          let marks = 0;
          const fromList = await r.scoreList?.(list, profile, sampleContext, () => marks++);
          if (fromList === undefined || fromList === null) continue;
          expect(marks).toBe(1);
          expect(fromList).toEqual(await r.score(extractFeatures(list, profile, sampleContext)));
        }
      }
    });
  });
}
