// Pruning: the least important hidden units go, the network stays equivalent when they carried nothing.
import { describe, expect, it } from "vitest";
import { type Dense, Mlp } from "./mlp.js";
import { compareSpeed, macsPerCandidate, pruneUnits, unitImportance } from "./prune.js";

function net(): Mlp {
  const m = Mlp.init({ inputSize: 5, hidden: [6, 4] }, 3);
  m.setStandardisation([0, 1, 2, 3, 4], [1, 0.5, 2, 1, 1]);
  return m;
}

describe("pruneUnits", () => {
  it("keeps the most important units in their original order", () => {
    const m = net();
    const imp = unitImportance(m, 0);
    const expected = Array.from(imp.keys())
      .sort((a, b) => (imp[b] as number) - (imp[a] as number) || a - b)
      .slice(0, 3)
      .sort((a, b) => a - b);
    const p = pruneUnits(m, [3, 4]);
    const first = m.layers[0] as Dense;
    const kept = p.layers[0] as Dense;
    expect(kept.outSize).toBe(3);
    expected.forEach((u, k) => {
      expect(Array.from(kept.w.subarray(k * 5, k * 5 + 5))).toEqual(Array.from(first.w.subarray(u * 5, u * 5 + 5)));
      expect(kept.b[k]).toBe(first.b[u]);
    });
    expect((p.layers[1] as Dense).inSize).toBe(3);
    expect(macsPerCandidate(m)).toBe(5 * 6 + 6 * 4 + 4);
    expect(macsPerCandidate(p)).toBe(5 * 3 + 3 * 4 + 4);
    expect(Array.from(p.inputMean ?? [])).toEqual([0, 1, 2, 3, 4]);
  });

  it("scores exactly as before when the dropped units carried no weight", () => {
    const m = net();
    // Silence units 1 and 4 of the first hidden layer: nothing flows out of them.
    const next = m.layers[1] as Dense;
    for (let o = 0; o < next.outSize; o++) for (const u of [1, 4]) next.w[o * next.inSize + u] = 0;
    const p = pruneUnits(m, [4, 4]);
    const x = Float32Array.from({ length: 3 * 5 }, (_, i) => ((i * 37) % 11) / 5 - 1);
    expect(Array.from(p.score(x, 3))).toEqual(Array.from(m.score(x, 3)));
  });

  it("refuses widths it cannot honour, naming the layer", () => {
    expect(() => pruneUnits(net(), [3])).toThrow("the network has 2 hidden layers; got 1 widths");
    expect(() => pruneUnits(net(), [7, 2])).toThrow("hidden layer 0 has 6 units; cannot keep 7");
    expect(() => pruneUnits(net(), [3, 0])).toThrow("hidden layer 1 has 4 units; cannot keep 0");
  });
});

describe("compareSpeed", () => {
  it("times both functions the same number of times, alternating which goes first", async () => {
    const calls: string[] = [];
    const r = await compareSpeed(
      { full: async () => calls.push("f"), variant: async () => calls.push("v") },
      500,
      3,
      2,
    );
    expect(r.rows).toBe(500);
    expect(calls.filter((c) => c === "f")).toHaveLength(300 + 3 * 2);
    expect(calls.filter((c) => c === "v")).toHaveLength(300 + 3 * 2);
    expect(calls.slice(600)).toEqual(["f", "f", "v", "v", "v", "v", "f", "f", "f", "f", "v", "v"]);
  });
});
