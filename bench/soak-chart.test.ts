// Tests for the soak's HTML report: axis bounds, one polyline per series, escaped text, no external resources.
import { describe, expect, it } from "vitest";
import { niceCeil, reportPage, svgChart } from "./soak-chart.js";

describe("niceCeil", () => {
  it("rounds up to 1, 2 or 5 times a power of ten", () => {
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(0.7)).toBe(1);
    expect(niceCeil(1.2)).toBe(2);
    expect(niceCeil(3)).toBe(5);
    expect(niceCeil(5)).toBe(5);
    expect(niceCeil(283)).toBe(500);
    expect(niceCeil(1000)).toBe(1000);
  });
});

describe("svgChart", () => {
  const spec = {
    title: "memory <MiB>",
    yLabel: "MiB",
    markerX: 20,
    series: [
      {
        name: "RSS",
        color: "#000",
        points: [
          { x: 0, y: 100 },
          { x: 40, y: Number.NaN },
          { x: 80, y: 150 },
        ],
      },
      { name: "heap & GC", color: "#f00", points: [{ x: 80, y: 10 }] },
    ],
  };

  it("draws one polyline per series on a zero-based axis, skipping missing points", () => {
    const svg = svgChart(spec);
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]);
    // x 0 -> left pad 64; x 80 (the max) -> 860 - 16; y 100 of a 200 axis -> halfway between 28 and 224; y 10 -> 224 - 9.8.
    expect(lines).toEqual(["64.0,126.0 844.0,77.0", "844.0,214.2"]);
    expect(svg).toContain(">200</text>");
    expect(svg).toContain("warm-up ends");
  });

  it("escapes titles and series names", () => {
    const svg = svgChart(spec);
    expect(svg).toContain("memory &lt;MiB&gt;");
    expect(svg).toContain("heap &amp; GC");
    expect(svg).not.toContain("<MiB>");
  });
});

describe("reportPage", () => {
  it("is one self-contained page", () => {
    const html = reportPage("soak <1>", ["p99 3 ms", "a & b"], []);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<h1>soak &lt;1&gt;</h1>");
    expect(html).toContain("<li>a &amp; b</li>");
    expect(html).not.toMatch(/<script|<link|src=/);
  });
});
