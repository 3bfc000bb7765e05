// Maps a V8 CPU profile's frames in the worker bundle back to source modules, from esbuild's `// <path>` markers.

/** Line (0-based) where each module starts in a bundle, in order. */
export interface ModuleMarkers {
  lines: number[];
  names: string[];
}

/**
 * The module markers esbuild writes before each module's code (`// node_modules/hono/dist/context.js`,
 * `// worker/src/app.ts`). A package's files are grouped under the package (`hono`, `@hono/zod-validator`).
 */
export function moduleMarkers(bundle: string): ModuleMarkers {
  const lines: number[] = [];
  const names: string[] = [];
  bundle.split("\n").forEach((line, i) => {
    const m = /^\/\/ ((?:\.\.\/)*[\w@.-][\w@./-]*\.(?:[cm]?js|ts|json|jsonc))$/.exec(line);
    if (!m) return;
    lines.push(i);
    names.push(packageOf(m[1] as string));
  });
  return { lines, names };
}

function packageOf(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return path;
  const [a, b] = path.slice(at + "node_modules/".length).split("/");
  return a?.startsWith("@") ? `${a}/${b}` : (a as string);
}

/** The module a 0-based bundle line belongs to, or null before the first marker. */
export function moduleAt(markers: ModuleMarkers, line: number): string | null {
  let lo = 0;
  let hi = markers.lines.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((markers.lines[mid] as number) <= line) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : (markers.names[found] as string);
}

/**
 * What a profile frame counts as: its bundle module, a wasm function of ORT's module, or the frame's own name
 * for the runtime's built-ins (`(garbage collector)`, `(program)`, `Response`, ...).
 */
export function frameGroup(
  markers: ModuleMarkers,
  frame: { functionName: string; url: string; lineNumber: number },
  bundleFile = "index.js",
): string {
  if (frame.url.endsWith(`/${bundleFile}`) || frame.url === bundleFile) {
    return moduleAt(markers, frame.lineNumber) ?? "(bundle prelude)";
  }
  if (frame.functionName.startsWith("wasm-function[") || frame.functionName.startsWith("wasm-to-js")) return "(wasm)";
  return frame.functionName || "(native)";
}

/** A profile node as far as line attribution needs it: V8 records `positionTicks` per source line (1-based). */
export interface TickedNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  positionTicks?: { line: number; ticks: number }[];
}

/**
 * The hottest lines of the `top` functions of the bundle with the most line ticks, `perFunction` lines each, with
 * their source text: where inside a function its self time goes (a property getter, a parse, a loop).
 */
export function hotLines(
  nodes: readonly TickedNode[],
  bundleLines: readonly string[],
  top: number,
  perFunction: number,
  bundleFile = "index.js",
): { fn: string; total: number; lines: { line: number; ticks: number; text: string }[] }[] {
  const byFn = new Map<string, Map<number, number>>();
  for (const n of nodes) {
    const f = n.callFrame;
    if (!(f.url.endsWith(`/${bundleFile}`) || f.url === bundleFile) || !n.positionTicks?.length) continue;
    const key = `${f.functionName || "(anonymous)"} ${bundleFile}:${f.lineNumber + 1}`;
    const lines = byFn.get(key) ?? new Map<number, number>();
    for (const t of n.positionTicks) lines.set(t.line, (lines.get(t.line) ?? 0) + t.ticks);
    byFn.set(key, lines);
  }
  return [...byFn]
    .map(([fn, lines]) => ({
      fn,
      total: [...lines.values()].reduce((a, b) => a + b, 0),
      lines: [...lines]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, perFunction)
        .map(([line, ticks]) => ({ line, ticks, text: (bundleLines[line - 1] ?? "").trim() })),
    }))
    .sort((a, b) => b.total - a.total || a.fn.localeCompare(b.fn))
    .slice(0, top);
}
