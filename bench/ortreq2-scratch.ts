import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { FEATURE_COUNT } from "../core/features.js";
const repo = process.cwd();
const dir = mkdtempSync(join(tmpdir(), "ortreq-"));
writeFileSync(join(dir, "wrangler.toml"), [`name = "b"`, `main = ${JSON.stringify(join(repo, "worker/src/model/bench-entry.ts"))}`, 'compatibility_date = "2026-04-26"', 'compatibility_flags = ["nodejs_compat"]', 'rules = [{ type = "CompiledWasm", globs = ["**/*.wasm"], fallthrough = false }]'].join("\n"));
const out = join(dir, "out");
execFileSync(join(repo, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out, "--config", join(dir, "wrangler.toml")], { stdio: "ignore" });
const files = readdirSync(out);
const manifest = JSON.parse(readFileSync("worker/model/manifest.json", "utf8"));
writeFileSync(join(dir, "model.onnx"), readFileSync("worker/model/model.onnx"));
const mods = [`(name = ${JSON.stringify(files.find((f) => f.endsWith(".js")))}, esModule = embed ${JSON.stringify(relative(dir, join(out, files.find((f) => f.endsWith(".js"))!)))})`, ...files.filter((f) => f.endsWith(".wasm")).map((f) => `(name = ${JSON.stringify(f)}, wasm = embed ${JSON.stringify(relative(dir, join(out, f)))})`)];
async function run(flags: string[], port: number) {
  const cfg = join(dir, `w${port}.capnp`);
  writeFileSync(cfg, ['using Workerd = import "/workerd/workerd.capnp";', "const config :Workerd.Config = (", '  services = [(name = "bench", worker = .bench)],', `  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "bench")],`, `  v8Flags = ${JSON.stringify(flags)},`, ");", "const bench :Workerd.Worker = (", `  modules = [${mods.join(", ")}],`, '  compatibilityDate = "2026-04-26",', '  compatibilityFlags = ["nodejs_compat"],', "  bindings = [", `    (name = "STRATEGY", text = "preload"),`, `    (name = "MANIFEST", json = ${JSON.stringify(JSON.stringify(manifest))}),`, `    (name = "MODEL", data = embed "model.onnx"),`, "  ],", ");", ""].join("\n"));
  const child = spawn(join(repo, "node_modules/.bin/workerd"), ["serve", cfg], { stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((r) => setTimeout(r, 3000));
  const pid = child.pid!;
  const { execSync } = await import("node:child_process");
  const wpid = execSync(`pgrep -P ${pid} || echo ${pid}`).toString().trim().split("\n").pop()!;
  const cpu = () => { let t = 0; for (const p of [String(pid), wpid]) { try { const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" "); t += (Number(f[11]) + Number(f[12])) * 10; } catch {} } return t; };
  const n = 500;
  const body = new Float32Array(n * FEATURE_COUNT).map((_, i) => ((i * 7919) % 1000) / 1000);
  const call = async (path: string) => { const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body: body.slice().buffer }); await r.arrayBuffer(); };
  const variants = { none: `/nope?n=${n}`, one: `/loop?n=${n}&iters=0&reps=1`, three: `/loop?n=${n}&iters=1&reps=1` };
  for (const p of Object.values(variants)) for (let i = 0; i < 50; i++) await call(p);
  const res: Record<string, number[]> = {};
  for (let rep = 0; rep < 3; rep++) for (const [k, p] of Object.entries(variants)) { const c0 = cpu(); for (let i = 0; i < 600; i++) await call(p); (res[k] ??= []).push(((cpu() - c0) * 1000) / 600); }
  console.log("flags", JSON.stringify(flags));
  for (const [k, v] of Object.entries(res)) console.log(" ", k.padEnd(6), "cpu us/req", v.map((x) => x.toFixed(0)).join(" "));
  child.kill("SIGTERM");
}
await run([], 18411);
await run(["--no-flush-liftoff-code"], 18412);
await run(["--no-wasm-lazy-compilation"], 18413);
