// Behaviour every CandidateGenerator must show; each implementation's test file registers it with its own factory.
import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import type { CandidateGenerator, FitInteraction, Scored } from "./types.js";

/** Cluster A: users 1-30 watch titles 1-20. Cluster B: users 31-60 watch titles 21-40. Nobody watches 99. */
export function plantedClusters(): FitInteraction[] {
  const rng = new Rng(7);
  const out: FitInteraction[] = [];
  for (let u = 1; u <= 60; u++) {
    const base = u <= 30 ? 0 : 20;
    const picks = rng.shuffle(Array.from({ length: 20 }, (_, i) => base + i + 1)).slice(0, 6 + rng.int(6));
    for (const itemId of picks) out.push({ userId: u, itemId });
  }
  return out;
}

const inA = (id: number) => id >= 1 && id <= 20;

function expectOrdered(list: Scored[]): void {
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1] as Scored;
    const b = list[i] as Scored;
    expect(a.score > b.score || (a.score === b.score && a.itemId < b.itemId)).toBe(true);
  }
}

/** Registers the shared contract tests for a generator made by `make` (a fresh, unfitted instance per call). */
export function registerGeneratorContract(label: string, make: () => CandidateGenerator): void {
  describe(`${label}: CandidateGenerator contract`, () => {
    const data = plantedClusters();
    const fitted = () => {
      const g = make();
      g.fit(data);
      return g;
    };
    const historyOf = (u: number) => data.filter((x) => x.userId === u).map((x) => x.itemId);

    it("recommends within the user's cluster first", () => {
      const g = fitted();
      const seen = new Set(historyOf(1));
      // However many titles a model can reach, the unseen cluster-A titles must come before any of cluster B.
      const head = g.recommend(1, 20, seen).slice(0, 20 - seen.size);
      expect(head.length).toBeGreaterThan(0);
      expect(head.every((r) => inA(r.itemId) && !seen.has(r.itemId))).toBe(true);
    });

    it("is deterministic and independent of input order", () => {
      const a = fitted();
      const b = make();
      b.fit(new Rng(3).shuffle([...data]));
      for (const u of [1, 17, 45]) expect(b.recommend(u, 25, new Set())).toEqual(a.recommend(u, 25, new Set()));
      for (const i of [2, 33]) expect(b.similar(i, 25)).toEqual(a.similar(i, 25));
    });

    it("counts duplicate interactions once", () => {
      const a = fitted();
      const b = make();
      b.fit([...data, ...data.slice(0, 40)]);
      expect(b.recommend(5, 25, new Set())).toEqual(a.recommend(5, 25, new Set()));
    });

    it("orders by score, best first, ties by item id", () => {
      const g = fitted();
      expectOrdered(g.recommend(2, 40, new Set()));
      expectOrdered(g.similar(3, 40));
    });

    it("never returns excluded titles, and excluding only shifts the list", () => {
      const g = fitted();
      const full = g.recommend(1, 8, new Set());
      const top = (full[0] as Scored).itemId;
      const second = (full[3] as Scored).itemId;
      const cut = g.recommend(1, 6, new Set([top, second]));
      expect(cut.some((r) => r.itemId === top || r.itemId === second)).toBe(false);
      expect(cut).toEqual(full.filter((r) => r.itemId !== top && r.itemId !== second).slice(0, 6));
    });

    it("honours depth: shorter lists are prefixes, 0 gives none, bad depth throws", () => {
      const g = fitted();
      const long = g.recommend(4, 12, new Set());
      expect(long).toHaveLength(12);
      expect(g.recommend(4, 3, new Set())).toEqual(long.slice(0, 3));
      expect(g.recommend(4, 0, new Set())).toEqual([]);
      expect(g.similar(4, 2)).toEqual(g.similar(4, 10).slice(0, 2));
      expect(() => g.recommend(4, -1, new Set())).toThrow(RangeError);
      expect(() => g.similar(4, 1.5)).toThrow("depth must be a non-negative integer, got 1.5");
    });

    it("similar() never returns the title itself and stays in its cluster", () => {
      const g = fitted();
      for (const i of [1, 7, 21, 40]) {
        const sims = g.similar(i, 10);
        expect(sims.length).toBeGreaterThan(0);
        expect(sims.some((s) => s.itemId === i)).toBe(false);
        expect(sims.every((s) => inA(s.itemId) === inA(i))).toBe(true);
      }
    });

    it("gives unknown users and titles empty lists", () => {
      const g = fitted();
      expect(g.recommend(1000, 10, new Set())).toEqual([]);
      expect(g.similar(99, 10)).toEqual([]);
      expect(g.covers(99)).toBe(false);
      expect(g.covers(21)).toBe(true);
    });

    it("scores an explicit history like the same user's fitted history", () => {
      const g = fitted();
      expect(g.recommendForHistory(historyOf(33), 15, new Set([21]))).toEqual(g.recommend(33, 15, new Set([21])));
      expect(g.recommendForHistory([99, 1000], 5, new Set())).toEqual([]);
    });

    it("replaces the model on refit", () => {
      const g = fitted();
      g.fit(data.filter((x) => x.userId > 30));
      expect(g.recommend(1, 10, new Set())).toEqual([]);
      expect(g.covers(1)).toBe(false);
      expect(g.recommend(40, 5, new Set()).every((r) => !inA(r.itemId))).toBe(true);
    });
  });
}
