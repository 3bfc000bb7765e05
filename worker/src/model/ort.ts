// onnxruntime-web inside workerd: one ORT runtime per isolate, fed from the wasm module wrangler precompiles.

// The "dist/" path (not the exports-map alias) is what wrangler's module collector can resolve.
import ortWasm from "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import { WARMUP_MODEL_BASE64 } from "./warmup-model.js";

/** The onnxruntime-web release the loading technique below was written against (see STARTUP.md). */
export const ORT_WEB_VERSION = "1.30.0";

/** A float32 tensor handed to or returned by a session: row-major data plus its shape. */
export interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** A loaded ONNX graph: its input and output names, and a way to run it. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph and returns the requested outputs (all when `outputs` is omitted); float32 only. */
  run(feeds: Readonly<Record<string, OrtTensor>>, outputs?: readonly string[]): Promise<Record<string, OrtTensor>>;
  /** Frees the session's wasm memory; the session is unusable afterwards. */
  release(): Promise<void>;
}

/** Where this isolate's ORT runtime is; `error` says why it failed. */
export interface OrtStatus {
  state: "idle" | "starting" | "ready" | "failed";
  /** Milliseconds the runtime start and warm-up took (coarse: workerd clocks tick in whole ms). */
  startMs: number | null;
  /** True once ORT's wasm instantiation went through the precompiled-module route. */
  precompiledModuleUsed: boolean;
  error: string | null;
}

const status: OrtStatus = { state: "idle", startMs: null, precompiledModuleUsed: false, error: null };

/** A snapshot of the runtime's state, for health checks and logs. */
export function ortStatus(): OrtStatus {
  return { ...status };
}

// ORT's glue hands `env.wasm.wasmBinary` to WebAssembly.instantiate as bytes, which workerd refuses to compile.
// We give it this marker instead and answer that one call with the module compiled at upload.
const MARKER = new ArrayBuffer(16);

type Instantiate = (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;

function isMarker(source: unknown): boolean {
  if (source === MARKER) return true;
  return ArrayBuffer.isView(source) && source.buffer === MARKER;
}

/**
 * Routes the marker's instantiate call to the precompiled module and passes every other call through
 * untouched. Returns a function that puts the original back (idempotent, and a no-op if someone else has
 * replaced the function since).
 */
function routeMarkerInstantiate(): () => void {
  const wasmNs = WebAssembly as unknown as { instantiate: Instantiate };
  const original = wasmNs.instantiate;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    if (wasmNs.instantiate === routed) wasmNs.instantiate = original;
  };
  const routed: Instantiate = function (this: unknown, source, imports) {
    if (!isMarker(source)) return Reflect.apply(original, this ?? WebAssembly, [source, imports]);
    restore();
    status.precompiledModuleUsed = true;
    return Promise.resolve(original.call(WebAssembly, ortWasm, imports)).then((instance) => ({
      instance,
      module: ortWasm,
    }));
  };
  wasmNs.instantiate = routed;
  return restore;
}

// Same options for the warm-up and for every model, so whichever isolate answers runs the same graph.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all" };

let starting: Promise<void> | null = null;

/**
 * Brings up the isolate's ORT runtime and runs the warm-up graph once; every later call shares the same
 * promise. Safe to call at global scope (no I/O, no timers). A failure sticks: ORT refuses a second
 * initialisation in the same isolate.
 */
export function warmOrt(): Promise<void> {
  if (!starting) {
    status.state = "starting";
    const t0 = Date.now();
    starting = startRuntime().then(
      () => {
        status.state = "ready";
        status.startMs = Date.now() - t0;
      },
      (err: unknown) => {
        status.state = "failed";
        status.error = errorText(err);
        throw new Error(`onnxruntime-web failed to start in this isolate: ${status.error}`);
      },
    );
  }
  return starting;
}

async function startRuntime(): Promise<void> {
  if (ort.env.versions.web !== ORT_WEB_VERSION) {
    throw new Error(
      `onnxruntime-web ${ort.env.versions.web} is installed but the wasm loading in worker/src/model/ort.ts was ` +
        `written for ${ORT_WEB_VERSION}; re-check it against the new glue code before changing ORT_WEB_VERSION`,
    );
  }
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = MARKER;
  ort.env.logLevel = "error";
  const restore = routeMarkerInstantiate();
  let session: ort.InferenceSession;
  try {
    // ORT brings its wasm backend up lazily, inside the first session creation.
    session = await ort.InferenceSession.create(base64Bytes(WARMUP_MODEL_BASE64), SESSION_OPTIONS);
  } finally {
    restore();
  }
  if (!status.precompiledModuleUsed) {
    await session.release();
    throw new Error("ORT never passed the marker binary to WebAssembly.instantiate; the glue code has changed");
  }
  try {
    // One run compiles the kernels' code paths so the first real request does not.
    const n = 4;
    const items = new Float32Array(n * 8).map((_, i) => ((i % 7) - 3) / 4);
    await session.run({
      items: new ort.Tensor("float32", items, [n, 8]),
      context: new ort.Tensor("float32", new Float32Array([0.5, -0.5, 1, 0]), [1, 4]),
    });
  } finally {
    await session.release();
  }
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Creates a session from ONNX bytes, bringing the runtime up first if needed. Rejects with ORT's reason. */
export async function createOrtSession(bytes: Uint8Array): Promise<OrtSession> {
  await warmOrt();
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  return wrap(session);
}

function wrap(session: ort.InferenceSession): OrtSession {
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    async run(feeds, outputs) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor("float32", t.data, t.dims);
      const result = outputs ? await session.run(ortFeeds, [...outputs]) : await session.run(ortFeeds);
      const out: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(result)) {
        if (t.type !== "float32") throw new Error(`output "${name}" is ${t.type}, expected float32`);
        out[name] = { data: t.data as Float32Array, dims: t.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}
