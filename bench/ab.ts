// `npm run bench:ab`: two or more checkouts of the worker side by side in one run, the same routes over HTTP, in random order.
//
//   git worktree add ../frontrow-before <commit>
//   npm run bench:ab -- --tree before=../frontrow-before --tree after=. [--rounds 3000] [--route /v1/ping ...]
//
// Each tree is bundled with its own wrangler.toml and served by its own Miniflare on the same seeded lists and the
// bundled model of this checkout; every round sends each route to each tree once, in a seeded random order, so a
// machine's drift and each request's predecessor fall on all of them alike. Prints p50, p99, the ratio to the
// first route (the no-op) and the time added over it, per tree. A benchmark, not a test.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Miniflare } from "miniflare";
import { readModelDir } from "../origin/src/kv-entries.js";
import { benchMiniflare, bundleWorker } from "./bundle.js";
import { activateModel, BENCH_HEADERS, BENCH_ROUND_SEED, benchDataset, kvStore, seedBenchLists } from "./seed.js";
import { argValues, median, quantile, shuffler, table } from "./stats.js";

function usage(problem: string): never {
  process.stderr.write(
    `bench:ab: ${problem}\nusage: npm run bench:ab -- --tree NAME=DIR [--tree NAME=DIR ...] [--rounds N] [--route PATH ...]\n`,
  );
  process.exit(2);
}

const trees = argValues("--tree").map((spec) => {
  const eq = spec.indexOf("=");
  if (eq < 1) usage(`--tree ${spec}: expected NAME=DIR`);
  return { name: spec.slice(0, eq), dir: resolve(spec.slice(eq + 1)) };
});
if (trees.length === 0) usage("no --tree given");
const roundsArg = argValues("--rounds").at(-1) ?? "3000";
const ROUNDS = Number(roundsArg);
if (!Number.isInteger(ROUNDS) || ROUNDS < 10) usage(`--rounds ${roundsArg}: expected an integer of at least 10`);
const WARMUP = 300;
const ROUTES = argValues("--route");
const paths = ROUTES.length ? ROUTES : ["/v1/ping", "/v1/recommendations/b500?limit=20"];

const work = mkdtempSync(join(tmpdir(), "frontrow-ab-"));
const servers: { name: string; url: string; mf: Miniflare }[] = [];
try {
  const bundled = await readModelDir("worker/model");
  const dataset = benchDataset();
  for (const t of trees) {
    process.stderr.write(`bench:ab: bundling ${t.name} (${t.dir}) ...\n`);
    const out = join(work, t.name);
    bundleWorker(out, { cwd: t.dir, config: join(t.dir, "wrangler.toml") });
    const mf = benchMiniflare(out, join(out, "state"));
    const store = kvStore(await mf.getKVNamespace("KV"));
    await activateModel(store, bundled);
    await seedBenchLists(store, [100, 500, 1000], dataset);
    servers.push({ name: t.name, url: (await mf.ready).toString().replace(/\/$/, ""), mf });
  }

  const once = async (url: string): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, { headers: BENCH_HEADERS });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    return ms;
  };
  const jobs = servers.flatMap((s) => paths.map((p) => ({ tree: s.name, path: p, url: `${s.url}${p}` })));
  for (const j of jobs) for (let i = 0; i < WARMUP; i++) await once(j.url);
  const samples = jobs.map(() => [] as number[]);
  const order = shuffler(BENCH_ROUND_SEED);
  process.stderr.write(`bench:ab: ${ROUNDS} rounds of ${jobs.length} requests in random order ...\n`);
  const indices = jobs.map((_, i) => i);
  for (let r = 0; r < ROUNDS; r++)
    for (const i of order(indices)) (samples[i] as number[]).push(await once((jobs[i] as (typeof jobs)[number]).url));
  const rows = jobs.map((j, i) => {
    const s = samples[i] as number[];
    const base = median(samples[jobs.findIndex((x) => x.tree === j.tree)] as number[]);
    const p50 = median(s);
    return [
      j.tree,
      j.path,
      p50.toFixed(3),
      quantile(s, 0.99).toFixed(3),
      `${(p50 / base).toFixed(3)}x`,
      Math.round((p50 - base) * 1000),
    ];
  });
  console.log(table(["tree", "route", "p50 ms", "p99 ms", "vs first route", "added µs"], rows));
} finally {
  for (const s of servers) await s.mf.dispose();
  rmSync(work, { recursive: true, force: true });
}
