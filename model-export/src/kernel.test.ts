// The committed dense.wasm is exactly what dense.wat assembles to, so the reviewed source is what runs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assembleKernel, KERNEL_WASM, KERNEL_WAT, kernelModule } from "./kernel.js";

describe("dense kernel build", () => {
  it("dense.wasm matches dense.wat (run `npm run build:kernel` after editing the .wat)", async () => {
    const built = await assembleKernel(readFileSync(KERNEL_WAT, "utf8"));
    expect(Buffer.from(built).equals(readFileSync(KERNEL_WASM))).toBe(true);
  });

  it("exports its three layer functions, dense, dot1 and plan1, and its memory, and imports nothing", () => {
    const mod = kernelModule();
    expect(WebAssembly.Module.exports(mod)).toEqual([
      { name: "memory", kind: "memory" },
      { name: "dense", kind: "function" },
      { name: "dot1", kind: "function" },
      { name: "plan1", kind: "function" },
    ]);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
  });

  it("names the line of a broken source", async () => {
    await expect(assembleKernel('(module\n  (func (export "f") (i32.add))\n)')).rejects.toThrow(/dense\.wat:2/);
  });
});
