// EASE (Steck 2019): a closed-form item-item linear autoencoder, B = I - P / diag(P), P = (X^T X + lambda I)^-1,
// with optional session rows stacked under the user rows (as SLIS, Choi et al. 2021, does for sessions).
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
  /**
   * Weight of the session rows stacked under the user rows in the Gram matrix (0: none). A session row holds
   * the titles one user watched within one `sessionMs` window, so titles watched together in time relate more
   * strongly than titles that merely share a viewer's lifetime history.
   */
  sessionWeight?: number;
  /** Session window width in milliseconds; two binnings half a window apart share `sessionWeight`. */
  sessionMs?: number;
}

export const EASE_DEFAULTS = { lambda: 300, maxItems: 2500, sessionWeight: 2, sessionMs: 300_000 } as const;

/** Plain EASE, as the public tables fit it (no session rows), at its best λ on our data. */
export const PLAIN_EASE = { lambda: 200, sessionWeight: 0 } as const satisfies EaseOptions;

/**
 * Adds one row of the stacked data matrix, weight `w`, to the Gram's lower triangle: `cols` ascend, so
 * cols[y] <= cols[x] for y <= x.
 */
function addRow(gram: Float64Array, n: number, cols: Int32Array, w: number): void {
  for (let x = 0; x < cols.length; x++) {
    const row = (cols[x] as number) * n;
    for (let y = 0; y <= x; y++) gram[row + (cols[y] as number)] = (gram[row + (cols[y] as number)] as number) + w;
  }
}

/** EASE candidate generator over implicit (watched / not watched) feedback. */
export class EaseGenerator extends ItemColumnGenerator {
  readonly name = "ease";
  params: Record<string, number>;
  private readonly lambda: number;
  private readonly maxItems: number;
  private readonly sessionWeight: number;
  private readonly sessionMs: number;
  private n = 0;
  private weights = new Float32Array(0);

  constructor(opts: EaseOptions = {}) {
    super();
    this.lambda = opts.lambda ?? EASE_DEFAULTS.lambda;
    this.maxItems = opts.maxItems ?? EASE_DEFAULTS.maxItems;
    this.sessionWeight = opts.sessionWeight ?? EASE_DEFAULTS.sessionWeight;
    this.sessionMs = opts.sessionMs ?? EASE_DEFAULTS.sessionMs;
    if (!(this.lambda > 0)) throw new RangeError(`ease: lambda must be > 0, got ${this.lambda}`);
    if (!Number.isInteger(this.maxItems) || this.maxItems < 1) {
      throw new RangeError(`ease: maxItems must be a positive integer, got ${this.maxItems}`);
    }
    if (!(this.sessionWeight >= 0 && Number.isFinite(this.sessionWeight))) {
      throw new RangeError(`ease: sessionWeight must be a finite number >= 0, got ${this.sessionWeight}`);
    }
    if (!Number.isInteger(this.sessionMs) || this.sessionMs < 2) {
      throw new RangeError(`ease: sessionMs must be an integer >= 2, got ${this.sessionMs}`);
    }
    this.params = this.paramsWith(0);
  }

  private paramsWith(items: number): Record<string, number> {
    const p: Record<string, number> = { lambda: this.lambda, maxItems: this.maxItems, items };
    if (this.sessionWeight > 0) Object.assign(p, { sessionWeight: this.sessionWeight, sessionMs: this.sessionMs });
    return p;
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
    for (const u of histories.keys()) addRow(gram, n, this.historyCols(u) as Int32Array, 1);
    if (this.sessionWeight > 0) this.addSessionRows(gram, interactions);
    for (let i = 0; i < n; i++) gram[i * n + i] = (gram[i * n + i] as number) + this.lambda;
    const p = spdInverse(gram, n);
    const b = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < n; j++) b[ri + j] = i === j ? 0 : -(p[ri + j] as number) / (p[j * n + j] as number);
    }
    this.weights = b;
    this.params = this.paramsWith(n);
  }

  /**
   * Adds the session rows' Gram (lower triangle) to `gram`. Two binnings of each user's timeline, offset by half
   * a window, each weigh `sessionWeight / 2`, so two views just either side of a bin edge still pair up.
   */
  private addSessionRows(gram: Float64Array, interactions: readonly FitInteraction[]): void {
    const n = this.n;
    const w = this.sessionWeight / 2;
    const sessions = new Map<string, Set<number>>();
    for (const x of interactions) {
      const c = this.colOf.get(x.itemId);
      if (c === undefined || x.ts === undefined) continue;
      for (const offset of [0, Math.floor(this.sessionMs / 2)]) {
        const key = `${x.userId}:${offset}:${Math.floor((x.ts + offset) / this.sessionMs)}`;
        let s = sessions.get(key);
        if (!s) {
          s = new Set();
          sessions.set(key, s);
        }
        s.add(c);
      }
    }
    for (const s of sessions.values()) addRow(gram, n, Int32Array.from(s).sort(), w);
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
