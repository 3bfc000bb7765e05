// Splits a workerd process's RSS by what holds it, from /proc/<pid>/smaps: JS heaps, wasm memory, JIT code, native.

/** Resident bytes per part of the process; the parts add up to the whole RSS. */
export interface RssParts {
  /**
   * V8's pointer-compression cage: the 4 GiB-aligned 4 GiB reservation that holds the JS heaps of every isolate
   * in the process (the user worker's and, under `wrangler dev` or Miniflare, the local KV, cache and entry
   * workers'). Shrinks after a GC.
   */
  jsHeaps: number;
  /** WebAssembly memories: other anonymous reservations of 4 GiB or more (ORT declares a 4 GiB shared memory). */
  wasm: number;
  /** Executable anonymous mappings: V8's JIT code. */
  code: number;
  /**
   * Every other anonymous mapping: the native heap (workerd's malloc, which keeps freed pages resident for reuse:
   * ArrayBuffer backing stores, SQLite of local KV and Durable Objects, I/O buffers) and thread stacks.
   */
  native: number;
  /** File-backed mappings: the workerd binary, shared libraries, SQLite's shared memory files. */
  file: number;
}

const GIB4 = 4 * 1024 ** 3;

interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
  rss: number;
}

function parse(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | null = null;
  for (const line of smaps.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      cur = {
        start: Number.parseInt(m[1] as string, 16),
        end: Number.parseInt(m[2] as string, 16),
        perms: m[3] as string,
        name: (m[4] as string).trim(),
        rss: 0,
      };
      out.push(cur);
    } else if (cur && line.startsWith("Rss:")) {
      cur.rss = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return out;
}

/**
 * Classifies each mapping of an smaps text. Anonymous mappings are grouped into runs of address-adjacent ones
 * (one reservation is several mappings with different protections); a run spanning 4 GiB or more is the cage
 * when it starts on a 4 GiB boundary (V8 aligns it so), else a wasm memory. Heuristic, stated in the report.
 */
export function rssParts(smaps: string): RssParts {
  const parts: RssParts = { jsHeaps: 0, wasm: 0, code: 0, native: 0, file: 0 };
  const maps = parse(smaps).sort((a, b) => a.start - b.start);
  const anonymous = (m: Mapping) => m.name === "";
  for (let i = 0; i < maps.length; ) {
    const m = maps[i] as Mapping;
    if (!anonymous(m)) {
      if (m.name.startsWith("[")) parts.native += m.rss;
      else parts.file += m.rss;
      i++;
      continue;
    }
    let j = i + 1;
    while (
      j < maps.length &&
      anonymous(maps[j] as Mapping) &&
      (maps[j] as Mapping).start === (maps[j - 1] as Mapping).end
    )
      j++;
    const run = maps.slice(i, j);
    const span = (run[run.length - 1] as Mapping).end - m.start;
    const kind: keyof RssParts = span >= GIB4 ? (m.start % GIB4 === 0 ? "jsHeaps" : "wasm") : "native";
    for (const r of run) {
      if (r.perms.includes("x")) parts.code += r.rss;
      else parts[kind] += r.rss;
    }
    i = j;
  }
  return parts;
}
