// The dense-network wasm kernel in Node: assembling core/kernel/dense.wat and loading the committed dense.wasm.
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

export const KERNEL_WAT = new URL("../../core/kernel/dense.wat", import.meta.url);
export const KERNEL_WASM = new URL("../../core/kernel/dense.wasm", import.meta.url);

/** The binary for a kernel source, with wasm SIMD enabled; a bad source throws naming its line. */
export async function assembleKernel(wat: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("dense.wat", wat, { simd: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

let compiled: WebAssembly.Module | null = null;

/** The committed dense.wasm, compiled once per process (the worker gets it precompiled from wrangler instead). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(KERNEL_WASM));
  return compiled;
}
