// Profile frames mapped to bundle modules: markers, package grouping, lookups and frame kinds.
import { describe, expect, it } from "vitest";
import { frameGroup, hotLines, moduleAt, moduleMarkers } from "./profile-modules.js";

const bundle = [
  'import x from "./a.wasm";', // 0: prelude
  "// node_modules/hono/dist/context.js", // 1
  "var Context = class {};",
  "// node_modules/@hono/zod-validator/dist/index.mjs", // 3
  "function zValidator() {}",
  "// worker/src/app.ts", // 5
  "// a comment, not a marker",
  "const app = 1;",
  "// ../../core/features.ts", // 8
  "export { app };",
].join("\n");

describe("moduleMarkers / moduleAt", () => {
  const m = moduleMarkers(bundle);

  it("finds esbuild's module markers and groups node_modules files by package", () => {
    expect(m).toEqual({
      lines: [1, 3, 5, 8],
      names: ["hono", "@hono/zod-validator", "worker/src/app.ts", "../../core/features.ts"],
    });
  });

  it("gives each line the module whose marker precedes it", () => {
    expect([0, 1, 2, 3, 4, 6, 7, 8, 9].map((l) => moduleAt(m, l))).toEqual([
      null,
      "hono",
      "hono",
      "@hono/zod-validator",
      "@hono/zod-validator",
      "worker/src/app.ts",
      "worker/src/app.ts",
      "../../core/features.ts",
      "../../core/features.ts",
    ]);
  });
});

describe("frameGroup", () => {
  const m = moduleMarkers(bundle);

  it("puts bundle frames in their module, wasm frames together, and names runtime frames", () => {
    expect(frameGroup(m, { functionName: "run", url: "file:///x/index.js", lineNumber: 7 })).toBe("worker/src/app.ts");
    expect(frameGroup(m, { functionName: "", url: "index.js", lineNumber: 0 })).toBe("(bundle prelude)");
    expect(frameGroup(m, { functionName: "wasm-function[2415]", url: "03652266", lineNumber: 0 })).toBe("(wasm)");
    expect(frameGroup(m, { functionName: "wasm-to-js", url: "", lineNumber: 0 })).toBe("(wasm)");
    expect(frameGroup(m, { functionName: "(garbage collector)", url: "", lineNumber: -1 })).toBe("(garbage collector)");
    expect(frameGroup(m, { functionName: "", url: "", lineNumber: -1 })).toBe("(native)");
  });
});

describe("hotLines", () => {
  const src = ["function a(req) {", "  const cf = req.cf;", "  return cf.colo;", "}", "function b() { return 1; }"];
  const frame = (functionName: string, lineNumber: number, url = "file:///w/index.js") => ({
    functionName,
    url,
    lineNumber,
  });

  it("sums each function's line ticks over its nodes and ranks functions, then lines, by ticks", () => {
    const nodes = [
      { callFrame: frame("a", 0), positionTicks: [{ line: 2, ticks: 7 }] },
      // The same function reached through another call path: its ticks add up.
      {
        callFrame: frame("a", 0),
        positionTicks: [
          { line: 2, ticks: 3 },
          { line: 3, ticks: 4 },
        ],
      },
      { callFrame: frame("b", 4), positionTicks: [{ line: 5, ticks: 2 }] },
      // Frames outside the bundle and frames without line ticks are not the worker's lines.
      { callFrame: frame("get", 0, ""), positionTicks: [{ line: 1, ticks: 50 }] },
      { callFrame: frame("c", 3) },
    ];
    expect(hotLines(nodes, src, 8, 3)).toEqual([
      {
        fn: "a index.js:1",
        total: 14,
        lines: [
          { line: 2, ticks: 10, text: "const cf = req.cf;" },
          { line: 3, ticks: 4, text: "return cf.colo;" },
        ],
      },
      { fn: "b index.js:5", total: 2, lines: [{ line: 5, ticks: 2, text: "function b() { return 1; }" }] },
    ]);
    expect(hotLines(nodes, src, 1, 1)).toEqual([
      { fn: "a index.js:1", total: 14, lines: [{ line: 2, ticks: 10, text: "const cf = req.cf;" }] },
    ]);
  });
});
