// Worker entry used only by bench/inference.ts (never deployed): times the model engine inside workerd.
import { env } from "cloudflare:workers";
import { FEATURE_COUNT, type FeatureMatrix, featureIndices, selectColumns } from "../../../core/features.js";
import type { ModelManifest } from "../../../core/manifest.js";
import { loadModel, type OnnxRanker, preloadModel } from "./onnx-ranker.js";
import { createOrtSession, type OrtSession, type OrtTensor, ortStatus, warmOrt } from "./ort.js";

/** Bindings the bench passes to each Miniflare instance. */
interface BenchEnv {
  /** "cold": nothing at global scope; "warm": warmOrt() at global scope; "preload": warm + preloadModel(). */
  STRATEGY: "cold" | "warm" | "preload";
  MODEL: ArrayBuffer;
  MANIFEST: ModelManifest;
}

const benv = env as unknown as BenchEnv;
const startedAt = Date.now();

if (benv.STRATEGY === "warm") warmOrt().catch(() => undefined);
let preloadMs: number | null = null;
if (benv.STRATEGY === "preload") {
  preloadModel(benv.MODEL, benv.MANIFEST).then(
    () => {
      preloadMs = Date.now() - startedAt;
    },
    () => undefined,
  );
}

let ranker: Promise<OnnxRanker> | null = null;
let session: Promise<OrtSession> | null = null;

async function readMatrix(req: Request, n: number): Promise<FeatureMatrix> {
  const data = new Float32Array(await req.arrayBuffer());
  if (data.length !== n * FEATURE_COUNT) throw new Error(`body has ${data.length} floats, want ${n}x${FEATURE_COUNT}`);
  return { data, rows: n, cols: FEATURE_COUNT };
}

/** Scores `matrix` once through loadModel + score, the path a first request takes. */
async function first(matrix: FeatureMatrix): Promise<Response> {
  const t0 = Date.now();
  ranker ??= loadModel(benv.MODEL, benv.MANIFEST);
  const r = await ranker;
  const t1 = Date.now();
  const scores = await r.score(matrix);
  const t2 = Date.now();
  return Response.json({
    loadMs: t1 - t0,
    scoreMs: t2 - t1,
    sinceStartMs: t0 - startedAt,
    preloadMs,
    ort: ortStatus(),
    scores: [...scores],
  });
}

/**
 * Warm timing: `reps` batches of `iters` calls; returns each batch's mean ms per call. workerd clocks tick in
 * whole milliseconds, so batches must be long (hundreds of ms) for the means to be meaningful.
 */
async function loop(matrix: FeatureMatrix, mode: "run" | "score", iters: number, reps: number): Promise<Response> {
  ranker ??= loadModel(benv.MODEL, benv.MANIFEST);
  const r = await ranker;
  session ??= createOrtSession(new Uint8Array(benv.MODEL));
  const s = await session;
  const input = benv.MANIFEST.inputs[0];
  if (!input || benv.MANIFEST.inputs.length !== 1) throw new Error("loop mode expects a one-input model");
  // The raw run gets the tensor the ranker would build, prepared once outside the timed loop.
  const k = input.features.length;
  const tensor: OrtTensor = { data: selectColumns(matrix, featureIndices(input.features)), dims: [matrix.rows, k] };
  const feeds = { [input.name]: tensor };
  const output = [benv.MANIFEST.output];
  const call = mode === "run" ? () => s.run(feeds, output) : () => r.score(matrix);
  for (let i = 0; i < Math.min(50, iters); i++) await call();
  const means: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const t0 = Date.now();
    for (let i = 0; i < iters; i++) await call();
    means.push((Date.now() - t0) / iters);
  }
  const last = mode === "run" ? (await s.run(feeds, output))[benv.MANIFEST.output]?.data : await r.score(matrix);
  return Response.json({ means, scores: [...(last ?? [])] });
}

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const n = Number(url.searchParams.get("n") ?? "100");
    try {
      const matrix = await readMatrix(req, n);
      if (url.pathname === "/first") return await first(matrix);
      if (url.pathname === "/loop") {
        const mode = url.searchParams.get("mode") === "score" ? "score" : "run";
        return await loop(matrix, mode, Number(url.searchParams.get("iters")), Number(url.searchParams.get("reps")));
      }
      return new Response("not found", { status: 404 });
    } catch (err) {
      return Response.json({ error: err instanceof Error ? err.message : String(err) }, { status: 500 });
    }
  },
};
