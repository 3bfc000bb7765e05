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
