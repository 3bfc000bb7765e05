// Runs a DenseNet on the wasm SIMD kernel in dense.wat: one instance (and memory) per model, weights written once.
import {
  type CandidateColumns,
  extractFeatures,
  FEATURES,
  type FeatureMatrix,
  type FeatureProfile,
  LEADING_COLUMNS,
  type RankingContext,
} from "../features.js";
import type { DenseNet } from "./dense-net.js";

interface KernelExports {
  memory: WebAssembly.Memory;
  dense(x: number, n: number, k: number, xs: number, wt: number, b: number, mp: number, y: number, relu: number): void;
  dot1(x: number, n: number, k: number, xs: number, wt: number, b: number, mp: number, y: number, relu: number): void;
  plan1(
    x: number,
    n: number,
    xs: number,
    masks: number,
    plan: number,
    plen: number,
    b: number,
    mp: number,
    y: number,
    relu: number,
  ): void;
}

/** The first layer read through dense.wat's "plan1": its entries, and the per-request columns' product rows. */
interface FirstLayerPlan {
  /** Byte address and count of the entries (four i32 each: kind, count, w, arg), for rows in input order. */
  at: number;
  entries: number;
  /**
   * The same for rows of the schema's leading columns (extractFeatures' `leading` rows, written straight into
   * the kernel's memory): null when an input read per row is not one of them.
   */
  leading: { at: number; entries: number } | null;
  /** Schema column of each per-request input, in input order, and the byte address of their product rows. */
  requestColumns: Int32Array;
  requestInputs: Int32Array;
  productsAt: number;
}

interface PlacedLayer {
  inSize: number;
  /** Output count padded to a multiple of 4: the kernel's row stride for this layer's output. */
  mp: number;
  wt: number;
  b: number;
  relu: number;
  /** How the kernel runs it: "dot1" for the score layer (rows side by side, scores contiguous), else "dense". */
  via: "dot1" | "dense";
}

const PAGE = 65_536;
/**
 * The widest layer input the kernel takes. Up to it, its straight sum over the inputs is onnxruntime-web's to the
 * bit (tested at 256); at 300 inputs the two differ in the last bits, as MLAS no longer sums them in one run.
 */
export const MAX_LAYER_INPUTS = 256;
const pad4 = (m: number) => (m + 3) & ~3;

/**
 * Scores with a dense network in wasm. Construction is synchronous: `module` is the compiled dense.wasm (workerd
 * hands it over as a precompiled module; Node compiles the file), and instantiating a compiled module is allowed
 * where compiling bytes is not.
 */
export class DenseKernel {
  readonly inputSize: number;
  private readonly exports: KernelExports;
  private readonly layers: PlacedLayer[];
  /** Where the weights end: inputs and activations live after it, sized per call. */
  private readonly weightsEnd: number;
  private readonly widest: number;
  private f32: Float32Array = new Float32Array(0);
  private plan: FirstLayerPlan | null;
  private note: string | null;

  /**
   * `maxLayerInputs` is MAX_LAYER_INPUTS except in tests that lift it, to show that the load-time probe catches a
   * graph whose sums would differ from onnxruntime-web's.
   */
  /**
   * `columns`, when given, is the schema column (core/features.ts) of each input, in input order: with it the first
   * layer can take the genre indicators as the list's genre mask bits and the per-request columns once per call,
   * for matrices extractFeatures built (`score`'s third argument).
   */
  constructor(module: WebAssembly.Module, net: DenseNet, maxLayerInputs = MAX_LAYER_INPUTS, columns?: Int32Array) {
    const wide = net.layers.find((l) => l.inSize > maxLayerInputs);
    if (wide) throw new RangeError(`a layer reads ${wide.inSize} inputs; the kernel reads at most ${maxLayerInputs}`);
    const scores = net.layers[net.layers.length - 1]?.outSize;
    if (scores !== 1)
      throw new RangeError(`the last layer has ${scores ?? "no"} outputs; the kernel scores one per row`);
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    this.inputSize = net.inputSize;
    let at = 0;
    const place = (floats: number) => {
      const start = at;
      at += floats * 4;
      return start;
    };
    this.layers = net.layers.map((l, i) => {
      // The first layer reads the caller's rows as they are; later ones read padded activations (zeros past the end).
      const inRows = i === 0 ? l.inSize : pad4(l.inSize);
      const mp = pad4(l.outSize);
      const via = i === net.layers.length - 1 ? "dot1" : "dense";
      return { inSize: inRows, mp, wt: place(inRows * mp), b: place(mp), relu: l.relu ? 1 : 0, via };
    });
    const roles = columns ? planRoles(net, columns, (j) => 4 * j) : { note: "no feature columns given" };
    const leadingRoles =
      columns && "runs" in roles
        ? planRoles(net, columns, (j) => ((columns[j] as number) < LEADING_COLUMNS ? 4 * (columns[j] as number) : null))
        : null;
    let plan: FirstLayerPlan | null = null;
    if ("runs" in roles) {
      const first = this.layers[0] as PlacedLayer;
      const planAt = place(4 * roles.runs.length);
      const leading =
        leadingRoles && "runs" in leadingRoles
          ? { at: place(4 * leadingRoles.runs.length), entries: leadingRoles.runs.length }
          : null;
      const productsAt = place(roles.requestInputs.length * first.mp);
      plan = {
        at: planAt,
        entries: roles.runs.length,
        leading,
        requestColumns: roles.requestColumns,
        requestInputs: roles.requestInputs,
        productsAt,
      };
    }
    this.note = "note" in roles ? roles.note : null;
    this.weightsEnd = at;
    this.widest = Math.max(...this.layers.map((l) => l.mp));
    this.f32 = this.grow(at);
    net.layers.forEach((l, i) => {
      const p = this.layers[i] as PlacedLayer;
      // W^T, zero-padded: wt[k][m] = w[m][k].
      for (let m = 0; m < l.outSize; m++) {
        for (let k = 0; k < l.inSize; k++) this.f32[p.wt / 4 + k * p.mp + m] = l.w[m * l.inSize + k] as number;
      }
      this.f32.set(l.b, p.b / 4);
    });
    if (plan && "runs" in roles) {
      const first = this.layers[0] as PlacedLayer;
      const write = (at: number, runs: readonly Run[]) => {
        const entries = new Int32Array(this.exports.memory.buffer, at, 4 * runs.length);
        runs.forEach((r, i) => {
          const w = r.kind === 2 ? plan.productsAt + r.from * first.mp * 4 : first.wt + r.from * first.mp * 4;
          entries.set([r.kind, r.count, w, r.arg], 4 * i);
        });
      };
      write(plan.at, roles.runs);
      if (plan.leading && leadingRoles && "runs" in leadingRoles) write(plan.leading.at, leadingRoles.runs);
    }
    this.plan = plan;
  }

  /** True when the first layer reads indicators as bits and per-request columns once per call. */
  get planned(): boolean {
    return this.plan !== null;
  }

  /** True when `scoreList` extracts a list's features straight into the kernel's memory. */
  get scoresLists(): boolean {
    return this.plan?.leading != null;
  }

  /** Why the first layer does not (null when it does). */
  get planNote(): string | null {
    return this.note;
  }

  /** Stops using the plan: every call then runs the plain first layer (the same scores, by construction). */
  dropPlan(why: string): void {
    this.plan = null;
    this.note = why;
  }

  /**
   * One score per row of `x` ([rows][inputSize], row-major). `x` is copied into the kernel's memory; the result
   * is a fresh array the caller owns. `built` (a FeatureMatrix's, when extractFeatures made the rows `x` was
   * selected from) lets a planned first layer read the genre indicators from its masks and the per-request
   * columns from its values, which equal those columns of every row: the sums, and so the scores, are the same.
   */
  score(x: Float32Array, rows: number, built?: FeatureMatrix["built"]): Float32Array {
    const k = this.inputSize;
    if (x.length < rows * k) throw new RangeError(`${x.length} values for ${rows} rows of ${k}`);
    const plan = built ? this.plan : null;
    const at = this.layout(rows, k, plan !== null);
    this.f32.set(x.subarray(0, rows * k), at.x / 4);
    const first = this.layers[0] as PlacedLayer;
    if (plan && built) this.planned1(plan, plan, at, built.genres, built.request);
    else this.exports[first.via](at.x, rows, first.inSize, k, first.wt, first.b, first.mp, at.y, first.relu);
    return this.rest(at);
  }

  /**
   * Scores a list's candidates from its columns: extractFeatures writes the schema's leading columns of each row
   * straight into the kernel's memory (a third of the full matrix, and no copy), and the planned first layer takes
   * the indicators and per-request columns from the extraction's `built`. The same features, the same sums: the
   * scores `score` gives for the full matrix. Null when the kernel has no such plan. `extracted` is called between
   * the extraction and the network, for callers that time the two.
   */
  scoreList(
    list: CandidateColumns,
    profile: FeatureProfile | null,
    ctx: RankingContext,
    extracted?: () => void,
  ): Float32Array | null {
    const plan = this.plan;
    const leading = plan?.leading;
    if (!plan || !leading) return null;
    const rows = list.size;
    const at = this.layout(rows, LEADING_COLUMNS, true);
    const x = this.f32.subarray(at.x / 4, at.x / 4 + rows * LEADING_COLUMNS);
    const m = extractFeatures(list, profile, ctx, x, { leading: true });
    extracted?.();
    if (rows === 0) return new Float32Array(0);
    const request = (m.built as NonNullable<FeatureMatrix["built"]>).request;
    this.planned1(plan, leading, at, list.genres, request);
    return this.rest(at);
  }

  /**
   * Byte addresses for one call of `rows` input rows `xs` floats apart, after the weights: the inputs, the genre
   * masks (when a plan reads them), then two buffers of the widest layer for the layers to ping-pong between. The
   * memory grows to hold them.
   */
  private layout(rows: number, xs: number, masks: boolean): CallLayout {
    const x = this.weightsEnd;
    const masksAt = x + rows * xs * 4;
    const y = masksAt + (masks ? rows * 4 : 0);
    const z = y + rows * this.widest * 4;
    this.grow(z + rows * this.widest * 4);
    return { x, rows, xs, masks: masksAt, y, z };
  }

  /** The first layer through one of the plan's entry tables: products and masks written, then plan1. */
  private planned1(
    plan: FirstLayerPlan,
    table: { at: number; entries: number },
    at: CallLayout,
    genres: ArrayLike<number>,
    request: Float32Array,
  ): void {
    const first = this.layers[0] as PlacedLayer;
    this.writeProducts(plan, first, request);
    const masks = new Uint32Array(this.f32.buffer, at.masks, at.rows);
    for (let i = 0; i < at.rows; i++) masks[i] = genres[i] as number;
    this.exports.plan1(at.x, at.rows, at.xs, at.masks, table.at, table.entries, first.b, first.mp, at.y, first.relu);
  }

  /**
   * Layers 2.. from the first layer's output in `at.y` (rows its width apart), ping-ponging between the two
   * buffers; the last is dot1's, one score per row, contiguous.
   */
  private rest(at: CallLayout): Float32Array {
    const { rows, y: bufA, z: bufB } = at;
    let src = bufA;
    let stride = (this.layers[0] as PlacedLayer).mp;
    let dst = bufB;
    for (let i = 1; i < this.layers.length; i++) {
      const l = this.layers[i] as PlacedLayer;
      this.exports[l.via](src, rows, l.inSize, stride, l.wt, l.b, l.mp, dst, l.relu);
      src = dst;
      stride = l.mp;
      dst = dst === bufA ? bufB : bufA;
    }
    return this.f32.slice(src / 4, src / 4 + rows);
  }

  /**
   * Each per-request input's product row, value * W^T row, rounded to float32 once as "dense" rounds each of its
   * products (the exact double product of two floats, rounded once), padding columns included (0 * 0).
   */
  private writeProducts(plan: FirstLayerPlan, first: PlacedLayer, request: Float32Array): void {
    const f32 = this.f32;
    const mp = first.mp;
    for (let r = 0; r < plan.requestInputs.length; r++) {
      const v = request[plan.requestColumns[r] as number] as number;
      const w = first.wt / 4 + (plan.requestInputs[r] as number) * mp;
      const out = plan.productsAt / 4 + r * mp;
      for (let m = 0; m < mp; m++) f32[out + m] = Math.fround(v * (f32[w + m] as number));
    }
  }

  /** The memory as floats, grown to hold `bytes` first (growing detaches earlier views). */
  private grow(bytes: number): Float32Array {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== memory.buffer) this.f32 = new Float32Array(memory.buffer);
    return this.f32;
  }
}

/** Where one call's data sits in the kernel's memory (byte addresses; see DenseKernel.layout). */
interface CallLayout {
  x: number;
  rows: number;
  /** Floats per input row. */
  xs: number;
  masks: number;
  /** The first layer's output, then every other layer's. */
  y: number;
  /** The other layers' outputs, alternating with y. */
  z: number;
}

/** One run of plan1's first layer: `count` inputs from input `from` (or product row `from`), of one kind. */
interface Run {
  kind: 0 | 1 | 2;
  from: number;
  count: number;
  arg: number;
}

/**
 * plan1's runs for a net whose inputs are the schema columns `columns`, or why there are none: per-row inputs
 * (kind 0), genre indicators with consecutive bits (kind 1), per-request inputs (kind 2, product rows in input
 * order). Indicators may skip their zeros only when their weights are finite (0 * Inf would be NaN), and plan1
 * takes outputs sixteen at a time.
 */
function planRoles(
  net: DenseNet,
  columns: Int32Array,
  rowOffset: (input: number) => number | null,
): { runs: Run[]; requestColumns: Int32Array; requestInputs: Int32Array } | { note: string } {
  const first = net.layers[0];
  if (!first || columns.length !== net.inputSize) return { note: "the columns do not match the first layer's inputs" };
  if (pad4(first.outSize) % 16 !== 0)
    return { note: `the first layer has ${first.outSize} outputs; plan1 takes them sixteen at a time` };
  const runs: Run[] = [];
  const requestColumns: number[] = [];
  const requestInputs: number[] = [];
  for (let j = 0; j < columns.length; j++) {
    const spec = FEATURES[columns[j] as number];
    if (!spec) return { note: `input ${j} is not a schema column` };
    const last = runs[runs.length - 1];
    if (spec.genreBit !== undefined) {
      for (let m = 0; m < first.outSize; m++) {
        if (!Number.isFinite(first.w[m * first.inSize + j] as number))
          return { note: `a weight of indicator input ${j} (${spec.name}) is not finite` };
      }
      if (last?.kind === 1 && last.from + last.count === j && last.arg + last.count === spec.genreBit) last.count++;
      else runs.push({ kind: 1, from: j, count: 1, arg: spec.genreBit });
    } else if (spec.perRequest) {
      const r = requestInputs.length;
      requestColumns.push(columns[j] as number);
      requestInputs.push(j);
      if (last?.kind === 2 && last.from + last.count === r) last.count++;
      else runs.push({ kind: 2, from: r, count: 1, arg: 0 });
    } else {
      const offset = rowOffset(j);
      if (offset === null) return { note: `input ${j} (${spec.name}) is not in the rows` };
      if (last?.kind === 0 && last.from + last.count === j && last.arg + 4 * last.count === offset) last.count++;
      else runs.push({ kind: 0, from: j, count: 1, arg: offset });
    }
  }
  if (!runs.some((r) => r.kind !== 0)) return { note: "no indicator or per-request inputs" };
  return { runs, requestColumns: Int32Array.from(requestColumns), requestInputs: Int32Array.from(requestInputs) };
}
