// Tests for the RSS split: cage, wasm memory, JIT code, native and file-backed mappings from a synthetic smaps.
import { describe, expect, it } from "vitest";
import { rssParts } from "./rss-parts.js";

/** One smaps entry: the header line and an Rss line (kB), as the kernel writes them (other fields left out). */
const entry = (start: bigint, end: bigint, perms: string, rssKb: number, name = "") =>
  `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0    ${name}\nSize: ${(end - start) / 1024n} kB\nRss: ${rssKb} kB\n`;

const G = 1024n ** 3n;
const M = 1024n ** 2n;

describe("rssParts", () => {
  it("splits a process the way workerd's mappings lie", () => {
    const cage = 0x126f00000000n; // 4 GiB-aligned
    const wasm = 0x7f0ad3420000n; // not aligned
    const smaps = [
      entry(0x55550000n, 0x55560000n, "r-xp", 3000, "/usr/bin/workerd"),
      // the cage: read-only pages, a writable heap part, the rest reserved
      entry(cage, cage + 2n * M, "r--p", 0),
      entry(cage + 2n * M, cage + 64n * M, "rw-p", 50_000),
      entry(cage + 64n * M, cage + 4n * G, "---p", 0),
      // a 1 GiB malloc region, committed at its top
      entry(0x50dfc0000000n, 0x50dfc0000000n + 900n * M, "---p", 0),
      entry(0x50dfc0000000n + 900n * M, 0x50e000000000n, "rw-p", 120_000),
      // JIT code
      entry(0x3fd0e7846000n, 0x3fd0e7846000n + 36n * M, "rwxp", 17_000),
      // ORT's shared wasm memory: 16 MiB committed of a 4 GiB reservation
      entry(wasm, wasm + 16n * M, "rw-p", 4_000),
      entry(wasm + 16n * M, wasm + 4n * G, "---p", 0),
      entry(0x7ffc0000000n, 0x7ffc0021000n, "rw-p", 100, "[stack]"),
      entry(0x7f0bd3440000n, 0x7f0bd3443000n, "r--p", 12, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
    ].join("");
    expect(rssParts(smaps)).toEqual({
      jsHeaps: 50_000 * 1024,
      wasm: 4_000 * 1024,
      code: 17_000 * 1024,
      native: (120_000 + 100) * 1024,
      file: (3000 + 12) * 1024,
    });
  });

  it("does not call a run of small adjacent anonymous mappings a cage", () => {
    const base = 0x100000000n; // 4 GiB-aligned, but the run spans only 2 MiB
    const smaps = entry(base, base + M, "rw-p", 1024) + entry(base + M, base + 2n * M, "rw-p", 512);
    expect(rssParts(smaps)).toEqual({ jsHeaps: 0, wasm: 0, code: 0, native: 1536 * 1024, file: 0 });
  });

  it("is all zeros for an empty text", () => {
    expect(rssParts("")).toEqual({ jsHeaps: 0, wasm: 0, code: 0, native: 0, file: 0 });
  });
});
