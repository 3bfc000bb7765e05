// Tests for the reports' SVG charts: axis bounds, point positions, gaps, bands and markers, escaping, one self-contained page.
import { describe, expect, it } from "vitest";
import { barChart, lineChart, list, niceMax, page } from "./chart.js";

const polylines = (svg: string) => [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]);

describe("niceMax", () => {
  it("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.7)).toBe(1);
    expect(niceMax(1.2)).toBe(2);
    expect(niceMax(2.2)).toBe(2.5);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(283)).toBe(500);
    expect(niceMax(1000)).toBe(1000);
  });
});

describe("lineChart", () => {
  it("places values at their xs on a zero-based axis and leaves gaps for missing values", () => {
    const svg = lineChart(
      "memory <MiB>",
      "seconds",
      "MiB",
      80,
      [
        { name: "RSS", color: "#000", values: [100, Number.NaN, 150], xs: [0, 40, 80] },
        { name: "heap & GC", color: "#f00", values: [10], xs: [80] },
      ],
      [{ from: 20, to: 20, label: "warm-up ends" }],
    );
    // Plot area x 60..864, y 224 (zero) .. 28 (axis max 200): y 100 -> 126, 150 -> 77, 10 -> 214.2.
    expect(polylines(svg)).toEqual(["60.0,126.0 864.0,77.0", "864.0,214.2"]);
    expect(svg).toContain(">200</text>");
    // A band with from === to is a dashed marker line at x 20 -> 261.
    expect(svg).toContain('<line x1="261.0" x2="261.0" y1="28" y2="224" stroke="#999" stroke-dasharray="4 3"/>');
    expect(svg).toContain(">warm-up ends</text>");
    expect(svg).toContain("memory &lt;MiB&gt;");
    expect(svg).toContain("heap &amp; GC");
    expect(svg).not.toContain("<MiB>");
  });

  it("spaces values evenly without xs and shades bands", () => {
    const svg = lineChart(
      "t",
      "x",
      "y",
      10,
      [{ name: "s", color: "#000", values: [1, 2] }],
      [{ from: 2, to: 4, label: "fault" }],
    );
    // Bin centres 2.5 and 7.5 of 10; axis max 2.
    expect(polylines(svg)).toEqual(["261.0,126.0 663.0,28.0"]);
    expect(svg).toContain('<rect x="220.8" y="28" width="160.8" height="196" fill="#f4c7c3" opacity="0.6"/>');
  });
});

describe("barChart", () => {
  it("draws one bar per category and series", () => {
    const svg = barChart(
      "b",
      "ms",
      ["eu", "us"],
      [
        { name: "a", color: "#000", values: [1, 2] },
        { name: "b", color: "#111", values: [3, 4] },
      ],
    );
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4);
    expect(svg).toContain("<title>us b: 4.0</title>");
  });
});

describe("page", () => {
  it("is one self-contained page with escaped text", () => {
    const html = page("soak <1>", [list(["p99 3 ms", "a & b"])]);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<h1>soak &lt;1&gt;</h1>");
    expect(html).toContain("<li>a &amp; b</li>");
    expect(html).not.toMatch(/<script|<link|src=/);
  });
});
