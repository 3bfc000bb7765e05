import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { FEATURE_COUNT } from "../core/features.js";
const repo = process.cwd();
const dir = mkdtempSync(join(tmpdir(), "ortreq-"));
writeFileSync(join(dir, "wrangler.toml"), [`name = "b"`, `main = ${JSON.stringify(join(repo, "worker/src/model/bench-entry.ts"))}`, 'compatibility_date = "2026-04-26"', 'compatibility_flags = ["nodejs_compat"]', 'rules = [{ type = "CompiledWasm", globs = ["**/*.wasm"], fallthrough = false }]'].join("\n"));
const out = join(dir, "out");
execFileSync(join(repo, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out, "--config", join(dir, "wrangler.toml")], { stdio: "ignore" });
const files = readdirSync(out);
const manifest = JSON.parse(readFileSync("worker/model/manifest.json", "utf8"));
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: join(out, files.find((f) => f.endsWith(".js"))!) }, ...files.filter((f) => f.endsWith(".wasm")).map((f) => ({ type: "CompiledWasm" as const, path: join(out, f) }))],
  modulesRoot: out, compatibilityDate: "2026-04-26", compatibilityFlags: ["nodejs_compat"],
  bindings: { STRATEGY: "preload", MANIFEST: manifest }, dataBlobBindings: { MODEL: new Uint8Array(readFileSync("worker/model/model.onnx")) },
});
await mf.ready;
const pid = execSync("pgrep -n workerd").toString().trim();
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
const n = 500;
const body = new Float32Array(n * FEATURE_COUNT).map((_, i) => ((i * 7919) % 1000) / 1000);
const call = async (path: string) => { const r = await mf.dispatchFetch(`http://b${path}`, { method: "POST", body: body.slice().buffer }); await r.arrayBuffer(); };
const variants = { none: `/nope?n=${n}`, one: `/loop?n=${n}&iters=0&reps=1`, three: `/loop?n=${n}&iters=1&reps=1`, loop200: `/loop?n=${n}&iters=200&reps=1` };
for (const p of Object.values(variants)) for (let i = 0; i < 50; i++) await call(p);
const res: Record<string, number[]> = {};
for (let rep = 0; rep < 3; rep++) for (const [k, p] of Object.entries(variants)) {
  const N = k === "loop200" ? 20 : 600; const c0 = cpu(); const t0 = performance.now();
  for (let i = 0; i < N; i++) await call(p);
  (res[k] ??= []).push(((cpu() - c0) * 1000) / N, ((performance.now() - t0) * 1000) / N);
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(8), "cpu us/req", v.filter((_, i) => i % 2 === 0).map((x) => x.toFixed(0)).join(" "), " wall us/req", v.filter((_, i) => i % 2 === 1).map((x) => x.toFixed(0)).join(" "));
await mf.dispose();
