// The soak's report page: memory and latency over time as inline SVG in one self-contained HTML file.

/** One line of a chart: its points (x in seconds) and colour. */
export interface Series {
  name: string;
  color: string;
  points: readonly { x: number; y: number }[];
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  series: readonly Series[];
  /** A vertical marker, e.g. where warm-up ends. */
  markerX?: number;
}

const W = 860;
const H = 260;
const PAD = { left: 64, right: 16, top: 28, bottom: 36 };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten at or above `v`. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** One line chart as an SVG element (y from 0, so growth reads at its true scale). */
export function svgChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMax = niceCeil(Math.max(0, ...all.map((p) => p.y)));
  const sx = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`,
    `<title>${escapeHtml(spec.title)}</title>`,
    `<text x="${PAD.left}" y="18" font-size="14" font-weight="bold">${escapeHtml(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${(sy(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${+y.toPrecision(3)}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const x = (xMax * i) / 6;
    out.push(
      `<text x="${sx(x).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle">${Math.round(x)} s</text>`,
    );
  }
  out.push(
    `<text x="14" y="${H / 2}" font-size="11" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`,
  );
  if (spec.markerX !== undefined) {
    const x = sx(spec.markerX).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${x}" y="${PAD.top - 4}" font-size="10" text-anchor="middle">warm-up ends</text>`,
    );
  }
  spec.series.forEach((s, i) => {
    const pts = s.points
      .filter((p) => Number.isFinite(p.y))
      .map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(" ");
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"/>`);
    const lx = PAD.left + 10 + i * 200;
    out.push(
      `<rect x="${lx}" y="${PAD.top + 2}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${PAD.top + 11}" font-size="11">${escapeHtml(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

/** A complete HTML page: a heading, a summary list, and the charts. */
export function reportPage(title: string, summary: readonly string[], charts: readonly ChartSpec[]): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}li{margin:2px 0}svg{display:block;margin:16px 0}</style>",
    "</head><body>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<ul>${summary.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>`,
    ...charts.map(svgChart),
    "</body></html>",
  ].join("\n");
}
