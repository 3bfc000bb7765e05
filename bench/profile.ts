// `npm run bench:profile`: a CPU profile of the 500-candidate recommendations request inside workerd, by function.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { readModelDir } from "../origin/src/kv-entries.js";
import { bundledWorker, bundleWorker } from "./bundle.js";
import { frameGroup, hotLines, moduleMarkers } from "./profile-modules.js";
import { activateModel, BENCH_HEADERS, kvStore, seedBenchLists } from "./seed.js";

const REQUESTS = Number(process.env.REQUESTS ?? 4000);
const INTERVAL_US = Number(process.env.INTERVAL_US ?? 25);
const PATH = process.env.PROFILE_PATH ?? "/v1/recommendations/b500?limit=20";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

/** Minimal Chrome DevTools protocol client over the inspector's WebSocket. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    title: string;
    webSocketDebuggerUrl: string;
  }[];
  const target = targets.find((t) => t.title.includes("core:user:")) ?? targets[0];
  if (!target) throw new Error("no inspector target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => ws.once("open", r));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id && pending.has(msg.id)) pending.get(msg.id)?.(msg.result);
  });
  return {
    titles: targets.map((t) => t.title),
    send(method: string, params: Record<string, unknown> = {}) {
      const my = ++id;
      ws.send(JSON.stringify({ id: my, method, params }));
      return new Promise<unknown>((r) => pending.set(my, r));
    },
    close: () => ws.close(),
  };
}

const work = mkdtempSync(join(tmpdir(), "frontrow-profile-"));
try {
  const outdir = join(work, "dist");
  bundleWorker(outdir);
  const port = 9229 + Math.floor(Math.random() * 500);
  const mf = new Miniflare({
    ...bundledWorker(outdir),
    kvNamespaces: ["KV"],
    kvPersist: join(work, "kv"),
    inspectorPort: port,
    bindings: { ORIGIN_URL: "http://127.0.0.1:9", ALLOW_CONTEXT_OVERRIDE: "true" },
  });
  await mf.ready;
  const store = kvStore(await mf.getKVNamespace("KV"));
  await activateModel(store, await readModelDir("worker/model"));
  await seedBenchLists(store, [100, 500, 1000]);
  const hit = async () => {
    const res = await mf.dispatchFetch(`http://edge.bench${PATH}`, { headers: BENCH_HEADERS });
    const body = (await res.json()) as { servedBy?: string };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return body;
  };
  for (let i = 0; i < 300; i++) await hit();
  const insp = await inspector(port);
  process.stderr.write(`inspector targets: ${insp.titles.join(", ")}\n`);
  await insp.send("Profiler.enable");
  await insp.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  await insp.send("Profiler.start");
  for (let i = 0; i < REQUESTS; i++) await hit();
  const { profile } = (await insp.send("Profiler.stop")) as { profile: { nodes: ProfileNode[] } };
  insp.close();
  await mf.dispose();
  writeFileSync(join(tmpdir(), "frontrow.cpuprofile"), JSON.stringify(profile));
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const file = f.url.split("/").pop() ?? "";
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.hitCount);
    total += n.hitCount;
  }
  // Inclusive samples: a function's own plus everything it called (counted once per stack).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const seen = new Set<string>();
    for (let at: number | undefined = n.id; at !== undefined; at = parent.get(at)) {
      const f = (byId.get(at) as ProfileNode).callFrame;
      const key = f.url.includes("index.js") ? `${f.functionName || "(anonymous)"} index.js:${f.lineNumber + 1}` : null;
      if (key && !seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + n.hitCount);
      }
    }
  }
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
  console.log(`${total} samples over ${REQUESTS} requests (${PATH})`);
  console.log("self:");
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30)))
    console.log(`${pct(v)}  ${k}`);
  // The same self samples by source module: where a request's CPU goes, in microseconds per request.
  const markers = moduleMarkers(readFileSync(join(outdir, "index.js"), "utf8"));
  const byModule = new Map<string, number>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const g = frameGroup(markers, n.callFrame);
    byModule.set(g, (byModule.get(g) ?? 0) + n.hitCount);
  }
  const usPerRequest = (v: number) => ((v * INTERVAL_US) / REQUESTS).toFixed(1).padStart(6);
  console.log(`self by module (µs per request ≈ samples × ${INTERVAL_US} µs / ${REQUESTS}):`);
  // Measured against bench:kernel and workerd's own CPU time: this sampler credits the kernel with a third of it.
  console.log("  ((wasm) is undercounted here: `npm run bench:kernel` times the kernel itself)");
  for (const [k, v] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30)))
    console.log(`${pct(v)} ${usPerRequest(v)} µs  ${k}`);
  console.log("inclusive (worker code):");
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30)))
    console.log(`${pct(v)}  ${k}`);
  // Where inside the costliest worker functions their own samples fell, line by line.
  const bundleLines = readFileSync(join(outdir, "index.js"), "utf8").split("\n");
  console.log("hottest lines (self samples by source line, worker code):");
  for (const f of hotLines(profile.nodes, bundleLines, Number(process.env.TOP_FUNCTIONS ?? 8), 3)) {
    console.log(`${pct(f.total)}  ${f.fn}`);
    for (const l of f.lines) console.log(`      ${String(l.ticks).padStart(6)}  ${l.line}: ${l.text.slice(0, 100)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
