// The ops page: per-region charts as inline SVG in one self-contained HTML document (no scripts, no CDN).
import type { RegionSummary } from "./stats.js";

const CACHE_COLOURS: Record<string, string> = {
  hit: "#2e7d32",
  stale: "#9ccc65",
  miss: "#1e88e5",
  "stale-if-error": "#f9a825",
  fallback: "#e64a19",
  none: "#616161",
};
const CACHE_ORDER = Object.keys(CACHE_COLOURS);

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string,
  );
const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? "n/a" : Number.isFinite(v) ? `≤${v} ms` : "> 5000 ms");

/** A horizontal stacked bar of cache outcomes with a legend. */
function cacheChart(r: RegionSummary): string {
  const width = 360;
  let x = 0;
  const rects = CACHE_ORDER.filter((k) => (r.cache[k] ?? 0) > 0).map((k) => {
    const n = r.cache[k] ?? 0;
    const w = r.requests ? (n / r.requests) * width : 0;
    const rect = `<rect data-series="${k}" data-value="${n}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="22" fill="${CACHE_COLOURS[k]}"><title>${k}: ${n}</title></rect>`;
    x += w;
    return rect;
  });
  const legend = CACHE_ORDER.map(
    (k, i) =>
      `<g transform="translate(${(i % 3) * 120},${34 + Math.floor(i / 3) * 16})"><rect width="10" height="10" fill="${CACHE_COLOURS[k]}"/><text x="14" y="9">${k} ${r.cache[k] ?? 0}</text></g>`,
  ).join("");
  return svg("cache", r.region, "Cache outcomes", width, 70, rects.join("") + legend);
}

/** Vertical bars with labels, scaled to the largest value (or `max`). */
function bars(
  kind: string,
  r: RegionSummary,
  title: string,
  items: { label: string; value: number | null; text: string; colour: string }[],
  max?: number,
): string {
  const height = 90;
  const top = Math.max(
    max ?? 0,
    ...items.map((i) => (i.value !== null && Number.isFinite(i.value) ? i.value : 0)),
    1e-9,
  );
  const body = items
    .map((it, i) => {
      const v = it.value !== null && Number.isFinite(it.value) ? it.value : it.value === null ? 0 : top;
      const h = (v / top) * (height - 30);
      const x = 10 + i * 90;
      return `<rect data-series="${esc(it.label)}" data-value="${it.value ?? ""}" x="${x}" y="${(height - 16 - h).toFixed(1)}" width="60" height="${h.toFixed(1)}" fill="${it.colour}"><title>${esc(it.label)}: ${esc(it.text)}</title></rect><text x="${x}" y="${height - 2}">${esc(it.label)}</text><text x="${x}" y="${(height - 20 - h).toFixed(1)}">${esc(it.text)}</text>`;
    })
    .join("");
  return svg(kind, r.region, title, 10 + items.length * 90, height, body);
}

/** Requests per minute over the last hour, as a polyline. */
function series(r: RegionSummary, now: number): string {
  const width = 360;
  const height = 60;
  const start = Math.floor(now / 60_000) * 60_000 - 59 * 60_000;
  const counts = Array.from({ length: 60 }, (_, i) => r.perMinute.find(([t]) => t === start + i * 60_000)?.[1] ?? 0);
  const top = Math.max(1, ...counts);
  const points = counts
    .map((c, i) => `${((i / 59) * width).toFixed(1)},${(height - 4 - (c / top) * (height - 14)).toFixed(1)}`)
    .join(" ");
  const total = counts.reduce((a, b) => a + b, 0);
  return svg(
    "requests",
    r.region,
    "Requests per minute (last hour)",
    width,
    height,
    `<polyline data-value="${total}" points="${points}" fill="none" stroke="#1e88e5" stroke-width="2"/><text x="0" y="10">peak ${top}/min</text>`,
  );
}

function svg(kind: string, region: string, title: string, width: number, height: number, body: string): string {
  return `<figure><figcaption>${esc(title)}</figcaption><svg class="chart" data-chart="${kind}" data-region="${esc(region)}" role="img" aria-label="${esc(`${title}, ${region}`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg></figure>`;
}

export interface OpsPageInput {
  regions: RegionSummary[];
  now: number;
  config: { version: string; source: string; problem: string | null };
}

/** Renders the page. */
export function renderOpsPage(input: OpsPageInput): string {
  const cards = input.regions.map((r) => {
    const kpis = bars(
      "rates",
      r,
      "Hit ratio and fallback rate",
      [
        { label: "hit ratio", value: r.hitRatio, text: pct(r.hitRatio), colour: "#2e7d32" },
        { label: "fallback", value: r.fallbackRate, text: pct(r.fallbackRate), colour: "#e64a19" },
      ],
      1,
    );
    const origin = bars("origin", r, "Origin fetches and errors; stale serves", [
      { label: "fetches", value: r.originFetches, text: String(r.originFetches), colour: "#1e88e5" },
      { label: "errors", value: r.originErrors, text: String(r.originErrors), colour: "#c62828" },
      { label: "stale", value: r.staleServes, text: String(r.staleServes), colour: "#f9a825" },
    ]);
    const latency = bars("latency", r, "Latency (histogram bucket bound)", [
      { label: "p50", value: r.latencyP50Ms, text: ms(r.latencyP50Ms), colour: "#5e35b1" },
      { label: "p99", value: r.latencyP99Ms, text: ms(r.latencyP99Ms), colour: "#311b92" },
    ]);
    return `<section class="region" data-region="${esc(r.region)}"><h2>${esc(r.region)}</h2><p class="meta">${r.requests} requests · model <code>${esc(r.modelVersion ?? "none")}</code> · config <code>${esc(r.configVersion ?? "?")}</code></p>${cacheChart(r)}${kpis}${origin}${latency}${series(r, input.now)}</section>`;
  });
  const problem = input.config.problem ? `<p class="problem">${esc(input.config.problem)}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15"><title>frontrow ops</title>
<style>
body{font:14px system-ui,sans-serif;margin:16px;color:#222}
main{display:flex;flex-wrap:wrap;gap:16px}
.region{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:380px}
figure{margin:8px 0}figcaption{font-size:12px;color:#555}
svg text{font-size:11px;fill:#333}.problem{color:#c62828}
</style></head><body>
<h1>frontrow ops</h1>
<p>config <code>${esc(input.config.version)}</code> (${esc(input.config.source)}) · ${new Date(input.now).toISOString()}</p>${problem}
<main>${cards.length ? cards.join("\n") : '<p class="empty">No traffic recorded yet.</p>'}</main>
</body></html>`;
}
