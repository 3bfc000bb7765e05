// Item kNN: the shared generator contract, cosine-with-shrinkage values and the neighbour cap.
import { describe, expect, it } from "vitest";
import { registerGeneratorContract } from "./generator.contract.js";
import { ItemKnnGenerator } from "./itemknn.js";

registerGeneratorContract("itemknn", () => new ItemKnnGenerator());
registerGeneratorContract(
  "itemknn (no shrink, 3 neighbours)",
  () => new ItemKnnGenerator({ shrink: 0, neighbours: 3 }),
);

const data = [
  { userId: 1, itemId: 1 },
  { userId: 1, itemId: 2 },
  { userId: 2, itemId: 1 },
  { userId: 2, itemId: 2 },
  { userId: 3, itemId: 1 },
  { userId: 3, itemId: 2 },
  { userId: 4, itemId: 1 },
  { userId: 4, itemId: 3 },
];

describe("ItemKnnGenerator", () => {
  it("scores co / (sqrt(n_i n_j) + shrink)", () => {
    const g = new ItemKnnGenerator({ shrink: 1 });
    g.fit(data);
    expect(g.similar(1, 5)).toEqual([
      { itemId: 2, score: Math.fround(3 / (Math.sqrt(12) + 1)) },
      { itemId: 3, score: Math.fround(1 / (Math.sqrt(4) + 1)) },
    ]);
    expect(g.similar(3, 5)).toEqual([{ itemId: 1, score: Math.fround(1 / 3) }]);
  });

  it("sums neighbour similarities over the history", () => {
    const g = new ItemKnnGenerator({ shrink: 0 });
    g.fit(data);
    // User 4 watched 1 and 3: title 2 gets sim(1,2) only (3 and 2 share no viewer).
    expect(g.recommend(4, 5, new Set([1, 3]))).toEqual([{ itemId: 2, score: Math.fround(3 / Math.sqrt(12)) }]);
  });

  it("keeps at most `neighbours` per title", () => {
    const g = new ItemKnnGenerator({ neighbours: 1 });
    g.fit(data);
    expect(g.similar(1, 5).map((s) => s.itemId)).toEqual([2]);
  });

  it("rejects bad hyper-parameters", () => {
    expect(() => new ItemKnnGenerator({ neighbours: 0 })).toThrow(
      "itemknn: neighbours must be a positive integer, got 0",
    );
    expect(() => new ItemKnnGenerator({ shrink: -1 })).toThrow("itemknn: shrink must be >= 0, got -1");
  });
});
