// Item-item kNN: cosine similarity of items' viewer sets with shrinkage, top-k neighbours kept per item.
import { checkDepth, ItemColumnGenerator, topK, userHistories } from "./common.js";
import type { FitInteraction, Scored } from "./types.js";

export interface ItemKnnOptions {
  /** Neighbours kept per item (also the longest `similar` answer). */
  neighbours?: number;
  /** Shrinkage h in co / (sqrt(n_i n_j) + h): damps similarities resting on few shared viewers. */
  shrink?: number;
}

export const ITEMKNN_DEFAULTS = { neighbours: 300, shrink: 10 } as const;

/** Item-based collaborative filtering over implicit feedback. */
export class ItemKnnGenerator extends ItemColumnGenerator {
  readonly name = "itemknn";
  params: Record<string, number>;
  private readonly k: number;
  private readonly shrink: number;
  /** CSR neighbour lists: neighbours of column c are nbrCol/nbrSim[nbrStart[c] .. nbrStart[c + 1]), best first. */
  private nbrStart = new Int32Array(1);
  private nbrCol = new Int32Array(0);
  private nbrSim = new Float32Array(0);

  constructor(opts: ItemKnnOptions = {}) {
    super();
    this.k = opts.neighbours ?? ITEMKNN_DEFAULTS.neighbours;
    this.shrink = opts.shrink ?? ITEMKNN_DEFAULTS.shrink;
    if (!Number.isInteger(this.k) || this.k < 1) {
      throw new RangeError(`itemknn: neighbours must be a positive integer, got ${this.k}`);
    }
    if (!(this.shrink >= 0)) throw new RangeError(`itemknn: shrink must be >= 0, got ${this.shrink}`);
    this.params = { neighbours: this.k, shrink: this.shrink, items: 0 };
  }

  fit(interactions: readonly FitInteraction[]): void {
    const histories = userHistories(interactions);
    const ids = new Set<number>();
    for (const items of histories.values()) for (const i of items) ids.add(i);
    this.index(
      [...ids].sort((a, b) => a - b),
      histories,
    );
    const n = this.itemOf.length;
    const viewers: number[][] = Array.from({ length: n }, () => []);
    const userCols: Int32Array[] = [];
    for (const u of histories.keys()) {
      const cols = this.historyCols(u) as Int32Array;
      for (const c of cols) (viewers[c] as number[]).push(userCols.length);
      userCols.push(cols);
    }
    const counts = viewers.map((v) => v.length);
    const co = new Float64Array(n);
    const touched = new Int32Array(n);
    const start = new Int32Array(n + 1);
    const nbrCol: number[] = [];
    const nbrSim: number[] = [];
    const sims = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let nt = 0;
      for (const u of viewers[i] as number[]) {
        for (const j of userCols[u] as Int32Array) {
          if (co[j] === 0) touched[nt++] = j;
          co[j] = (co[j] as number) + 1;
        }
      }
      const ni = counts[i] as number;
      const cand = Array.from(touched.subarray(0, nt));
      for (const j of cand) {
        sims[j] = j === i ? 0 : (co[j] as number) / (Math.sqrt(ni * (counts[j] as number)) + this.shrink);
        co[j] = 0;
      }
      // Neighbours ordered by similarity, ties by item id (columns ascend with ids).
      cand.sort((a, b) => (sims[b] as number) - (sims[a] as number) || a - b);
      let kept = 0;
      for (const j of cand) {
        if (kept >= this.k) break;
        if (j === i || !((sims[j] as number) > 0)) continue;
        nbrCol.push(j);
        nbrSim.push(sims[j] as number);
        kept++;
      }
      start[i + 1] = nbrCol.length;
    }
    this.nbrStart = start;
    this.nbrCol = Int32Array.from(nbrCol);
    this.nbrSim = Float32Array.from(nbrSim);
    this.params = { neighbours: this.k, shrink: this.shrink, items: n };
  }

  similar(itemId: number, depth: number): Scored[] {
    checkDepth(depth);
    const c = this.colOf.get(itemId);
    if (c === undefined) return [];
    const out: Scored[] = [];
    const end = Math.min(this.nbrStart[c + 1] as number, (this.nbrStart[c] as number) + depth);
    for (let p = this.nbrStart[c] as number; p < end; p++) {
      out.push({ itemId: this.itemOf[this.nbrCol[p] as number] as number, score: this.nbrSim[p] as number });
    }
    return out;
  }

  protected score(cols: Int32Array, depth: number, exclude: ReadonlySet<number>): Scored[] {
    if (cols.length === 0) return [];
    const s = new Float64Array(this.itemOf.length);
    const seen = new Uint8Array(this.itemOf.length);
    for (const c of cols) {
      for (let p = this.nbrStart[c] as number; p < (this.nbrStart[c + 1] as number); p++) {
        const j = this.nbrCol[p] as number;
        s[j] = (s[j] as number) + (this.nbrSim[p] as number);
        seen[j] = 1;
      }
    }
    return topK(s, this.itemOf, depth, (j) => seen[j] === 1 && !exclude.has(this.itemOf[j] as number));
  }
}
