// Self-contained HTML charts (inline SVG, no scripts or CDN) for the reports of the soak and the simulation.

/** One line of a chart: y values at `xs` (same length), or at evenly spaced x positions without them. */
export interface Series {
  name: string;
  color: string;
  values: readonly number[];
  xs?: readonly number[];
}

/** A shaded x range, e.g. a fault window (in the same units as the x axis); `from === to` draws a marker line. */
export interface Band {
  from: number;
  to: number;
  label: string;
}

const W = 880;
const H = 260;
const PAD = { l: 60, r: 16, t: 28, b: 36 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at or above `v` (1 when v <= 0). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** A line chart over x in [0, xMax] with the given series, axis labels and optional shaded bands. */
export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  xMax: number,
  series: readonly Series[],
  bands: readonly Band[] = [],
): string {
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite))));
  const x = (v: number) => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const parts: string[] = [];
  for (const b of bands) {
    if (b.from === b.to) {
      parts.push(
        `<line x1="${x(b.from).toFixed(1)}" x2="${x(b.from).toFixed(1)}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#999" stroke-dasharray="4 3"/>`,
        `<text x="${x(b.from).toFixed(1)}" y="${PAD.t + 10}" font-size="9">${esc(b.label)}</text>`,
      );
      continue;
    }
    parts.push(
      `<rect x="${x(b.from).toFixed(1)}" y="${PAD.t}" width="${(x(b.to) - x(b.from)).toFixed(1)}" height="${H - PAD.t - PAD.b}" fill="#f4c7c3" opacity="0.6"/>`,
      `<text x="${x(b.from).toFixed(1)}" y="${PAD.t + 10}" font-size="9">${esc(b.label)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${PAD.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${+v.toPrecision(3)}</text>`,
    );
  }
  for (let i = 0; i <= 8; i++) {
    const v = (xMax * i) / 8;
    parts.push(
      `<text x="${x(v)}" y="${H - PAD.b + 14}" font-size="10" text-anchor="middle">${+v.toPrecision(3)}</text>`,
    );
  }
  series.forEach((s, si) => {
    const step = s.values.length > 1 ? xMax / s.values.length : xMax;
    const at = (i: number) => s.xs?.[i] ?? (i + 0.5) * step;
    const pts = s.values
      .map((v, i) => (Number.isFinite(v) ? `${x(at(i)).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p) => p !== null)
      .join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    parts.push(
      `<rect x="${PAD.l + 8 + si * 150}" y="8" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${PAD.l + 22 + si * 150}" y="17" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return svg(title, xLabel, yLabel, parts);
}

/** Grouped bars: one group per category, one bar per series (log-scale y when `log`). */
export function barChart(
  title: string,
  yLabel: string,
  categories: readonly string[],
  series: readonly Series[],
  log = false,
): string {
  const max = Math.max(...series.flatMap((s) => s.values));
  const yMax = log ? 10 ** Math.ceil(Math.log10(Math.max(max, 1))) : niceMax(max);
  const yMin = log ? 1 : 0;
  const scale = (v: number) => (log ? Math.log10(Math.max(v, yMin)) / Math.log10(yMax) : v / yMax);
  const y = (v: number) => H - PAD.b - scale(v) * (H - PAD.t - PAD.b);
  const groupW = (W - PAD.l - PAD.r) / categories.length;
  const barW = (groupW * 0.8) / series.length;
  const parts: string[] = [];
  const ticks = log
    ? Array.from({ length: Math.log10(yMax) + 1 }, (_, i) => 10 ** i)
    : [0, 1, 2, 3, 4].map((i) => (yMax * i) / 4);
  for (const v of ticks) {
    parts.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${PAD.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${+v.toPrecision(3)}</text>`,
    );
  }
  categories.forEach((c, ci) => {
    const gx = PAD.l + ci * groupW + groupW * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci] as number;
      parts.push(
        `<rect x="${(gx + si * barW).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(H - PAD.b - y(v)).toFixed(1)}" fill="${s.color}"><title>${esc(`${c} ${s.name}: ${v.toFixed(1)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${gx + groupW * 0.4}" y="${H - PAD.b + 14}" font-size="10" text-anchor="middle">${esc(c)}</text>`,
    );
  });
  series.forEach((s, si) => {
    parts.push(
      `<rect x="${PAD.l + 8 + si * 150}" y="8" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${PAD.l + 22 + si * 150}" y="17" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return svg(title, "", yLabel, parts);
}

function svg(title: string, xLabel: string, yLabel: string, parts: string[]): string {
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif"><title>${esc(title)}</title>
<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#333"/>
<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${H - PAD.b}" stroke="#333"/>
${parts.join("\n")}
<text x="${(W + PAD.l) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>
</svg></figure>`;
}

/** A whole HTML page around charts and preformatted text blocks. */
export function page(title: string, blocks: readonly string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:920px;margin:24px auto}figure{margin:18px 0}figcaption{font-weight:bold;margin-bottom:4px}pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}</style>
</head><body><h1>${esc(title)}</h1>
${blocks.join("\n")}
</body></html>
`;
}

/** A bulleted list block for the page. */
export function list(items: readonly string[]): string {
  return `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
}

/** A preformatted text block for the page. */
export function pre(text: string): string {
  return `<pre>${esc(text)}</pre>`;
}
