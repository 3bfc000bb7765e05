// The dense-network wasm kernel for the worker: wrangler uploads core/kernel/dense.wasm precompiled (CompiledWasm).
import denseWasm from "../../../core/kernel/dense.wasm";

/** The compiled kernel module; each model instantiates its own copy (own memory, own weights). */
export const kernelModule: WebAssembly.Module = denseWasm;
