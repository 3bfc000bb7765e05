// The origin-order ranker keeps the contract and the origin's order.
import { describe, expect, it } from "vitest";
import { extractFeatures } from "./features.js";
import { rankerContract, sampleColumns } from "./ranker.contract.js";
import { firstNonFinite, OriginOrderRanker } from "./ranker.js";
import { orderByScore } from "./rules.js";

rankerContract("origin-order", () => new OriginOrderRanker());

describe("OriginOrderRanker", () => {
  it("orders candidates exactly as the origin sent them", async () => {
    const m = extractFeatures(sampleColumns(5), null, {
      region: "x",
      localHour: 1,
      weekday: 1,
      year: 2026,
      device: "web",
    });
    expect(Array.from(orderByScore(await new OriginOrderRanker().score(m)))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("firstNonFinite", () => {
  it("finds NaN and infinities", () => {
    expect(firstNonFinite(new Float32Array([1, 2]))).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, Number.NaN]))).toBe(1);
    expect(firstNonFinite(new Float32Array([Number.NEGATIVE_INFINITY]))).toBe(0);
  });
});
