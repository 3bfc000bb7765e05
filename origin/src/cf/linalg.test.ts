// Cholesky-based SPD inverse: A times its inverse is the identity; non-SPD input is refused.
import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import { spdInverse } from "./linalg.js";

function randomSpd(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const m = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += (m[i * n + k] as number) * (m[j * n + k] as number);
      a[i * n + j] = s;
    }
  }
  return a;
}

describe("spdInverse", () => {
  it("inverts a random SPD matrix (A * A^-1 = I) and returns a symmetric result", () => {
    const n = 40;
    const a = randomSpd(n, 3);
    const inv = spdInverse(Float64Array.from(a), n);
    let maxErr = 0;
    let maxAsym = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (inv[k * n + j] as number);
        maxErr = Math.max(maxErr, Math.abs(s - (i === j ? 1 : 0)));
        maxAsym = Math.max(maxAsym, Math.abs((inv[i * n + j] as number) - (inv[j * n + i] as number)));
      }
    }
    expect(maxErr).toBeLessThan(1e-9);
    expect(maxAsym).toBe(0);
  });

  it("matches a 2x2 inverse worked by hand", () => {
    const inv = spdInverse(Float64Array.from([4, 2, 2, 3]), 2);
    [0.375, -0.25, -0.25, 0.5].forEach((v, i) => {
      expect(inv[i]).toBeCloseTo(v, 14);
    });
  });

  it("refuses matrices that are not positive definite", () => {
    expect(() => spdInverse(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(
      "spdInverse: matrix is not positive definite (pivot 1 is -3)",
    );
    expect(() => spdInverse(new Float64Array(3), 2)).toThrow("spdInverse: buffer holds 3 values, expected 4");
  });
});
