// EASE (Steck 2019): a closed-form item-item linear autoencoder, B = I - P / diag(P), P = (X^T X + lambda I)^-1.
import { checkDepth, ItemColumnGenerator, topK, userHistories } from "./common.js";
import { spdInverse } from "./linalg.js";
import type { FitInteraction, Scored } from "./types.js";

export interface EaseOptions {
  /** L2 regularisation added to the Gram matrix's diagonal. */
  lambda?: number;
  /**
   * Model only the this-many most-watched titles. The inverse is dense and costs ~n^3/2 multiply-adds, so 2,500
   * titles (about 8 s, 100 MB while fitting) is the practical ceiling here; rarer titles are never recommended by
   * EASE (they still reach users through trending and popular rows).
   */
  maxItems?: number;
}

export const EASE_DEFAULTS = { lambda: 200, maxItems: 2500 } as const;

/** EASE candidate generator over implicit (watched / not watched) feedback. */
export class EaseGenerator extends ItemColumnGenerator {
  readonly name = "ease";
  params: Record<string, number>;
  private readonly lambda: number;
  private readonly maxItems: number;
  private n = 0;
  private weights = new Float32Array(0);

  constructor(opts: EaseOptions = {}) {
    super();
    this.lambda = opts.lambda ?? EASE_DEFAULTS.lambda;
    this.maxItems = opts.maxItems ?? EASE_DEFAULTS.maxItems;
    if (!(this.lambda > 0)) throw new RangeError(`ease: lambda must be > 0, got ${this.lambda}`);
    if (!Number.isInteger(this.maxItems) || this.maxItems < 1) {
      throw new RangeError(`ease: maxItems must be a positive integer, got ${this.maxItems}`);
    }
    this.params = { lambda: this.lambda, maxItems: this.maxItems, items: 0 };
  }

  fit(interactions: readonly FitInteraction[]): void {
    const histories = userHistories(interactions);
    const counts = new Map<number, number>();
    for (const items of histories.values()) for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
    const chosen = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, this.maxItems)
      .map(([id]) => id)
      .sort((a, b) => a - b);
    const n = chosen.length;
    this.n = n;
    this.index(chosen, histories);
    const gram = new Float64Array(n * n);
    for (const u of histories.keys()) {
      const cols = this.historyCols(u) as Int32Array;
      for (let x = 0; x < cols.length; x++) {
        const row = (cols[x] as number) * n;
        // Lower triangle only: cols ascend, so cols[y] <= cols[x] for y <= x.
        for (let y = 0; y <= x; y++) gram[row + (cols[y] as number)] = (gram[row + (cols[y] as number)] as number) + 1;
      }
    }
    for (let i = 0; i < n; i++) gram[i * n + i] = (gram[i * n + i] as number) + this.lambda;
    const p = spdInverse(gram, n);
    const b = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < n; j++) b[ri + j] = i === j ? 0 : -(p[ri + j] as number) / (p[j * n + j] as number);
    }
    this.weights = b;
    this.params = { lambda: this.lambda, maxItems: this.maxItems, items: n };
  }

  similar(itemId: number, depth: number): Scored[] {
    checkDepth(depth);
    const c = this.colOf.get(itemId);
    if (c === undefined) return [];
    const row = this.weights.subarray(c * this.n, (c + 1) * this.n);
    return topK(row, this.itemOf, depth, (j) => j !== c);
  }

  protected score(cols: Int32Array, depth: number, exclude: ReadonlySet<number>): Scored[] {
    if (cols.length === 0) return [];
    const n = this.n;
    const s = new Float64Array(n);
    for (const c of cols) {
      const row = c * n;
      for (let j = 0; j < n; j++) s[j] = (s[j] as number) + (this.weights[row + j] as number);
    }
    return topK(s, this.itemOf, depth, (j) => !exclude.has(this.itemOf[j] as number));
  }
}
