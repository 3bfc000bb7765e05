// `npm start`: publishes lists, profiles, the catalog and the model into the local KV, then runs the reference
// origin (127.0.0.1:8788) and the worker under `wrangler dev` (127.0.0.1:8787). The model is the one bundled
// with the worker (worker/model, trained by model-export); `--model-dir DIR` publishes another. `--port`,
// `--origin-port`, `--inspector-port` and `--persist-to` let a second stack (e.g. the soak) run beside one.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    "model-dir": { type: "string", default: "worker/model" },
    once: { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
    "origin-port": { type: "string", default: "8788" },
    "inspector-port": { type: "string" },
    "persist-to": { type: "string" },
  },
  strict: true,
});
function portOption(name: string, raw: string): string {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
    console.error(`✖ --${name} must be a port number in 1..65535, got "${raw}"`);
    process.exit(2);
  }
  return raw;
}
const EDGE_PORT = portOption("port", opts.port);
const ORIGIN_PORT = portOption("origin-port", opts["origin-port"]);
const INSPECTOR_PORT =
  opts["inspector-port"] === undefined ? undefined : portOption("inspector-port", opts["inspector-port"]);
const PERSIST_TO = opts["persist-to"];
const ORIGIN = `http://127.0.0.1:${ORIGIN_PORT}`;
const EDGE = `http://127.0.0.1:${EDGE_PORT}`;
const MODEL_DIR = opts["model-dir"];
const once = opts.once;
/** The local stack's signing key: yours if set, else a fixed, public one (local use only, never an account's). */
const LOCAL_SIGNING_KEY = "frontrow-local-dev-signing-key";
// The stack runs like a production deployment: artifacts signed, the origin behind a token, user ids hashed.
const secrets = {
  ARTIFACT_SIGNING_KEY: process.env.ARTIFACT_SIGNING_KEY || LOCAL_SIGNING_KEY,
  ORIGIN_TOKEN: randomBytes(24).toString("hex"),
  ID_HASH_KEY: randomBytes(24).toString("hex"),
};
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  ...secrets,
};
// wrangler dev reads the secrets from a private file (not the command line, which any local user can see);
// a developer's own .dev.vars (OPS_TOKEN) is loaded first.
const secretsDir = mkdtempSync(join(tmpdir(), "frontrow-stack-"));
const secretsFile = join(secretsDir, "secrets.env");
writeFileSync(
  secretsFile,
  `${Object.entries(secrets)
    .map(([k, v]) => `${k}="${v}"`)
    .join("\n")}\n`,
  { mode: 0o600 },
);
process.on("exit", () => rmSync(secretsDir, { recursive: true, force: true }));
const envFiles = [...(existsSync(".dev.vars") ? [".dev.vars"] : []), secretsFile].flatMap((f) => ["--env-file", f]);
const children: ChildProcess[] = [];

function step(title: string, cmd: string, args: string[]): void {
  console.log(`\n▶ ${title}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`✖ ${title} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

/** Starts a long-running child; `essential` children take the stack down when they exit. */
function start(title: string, cmd: string, args: string[], essential = true): ChildProcess {
  console.log(`\n▶ ${title}: ${cmd} ${args.join(" ")}`);
  // Its own process group, so stopping the stack also stops what npx and wrangler start beneath it.
  const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env, detached: true });
  child.on("exit", (code) => {
    if (stopping) return;
    if (essential) {
      console.error(`✖ ${title} exited (${code}); stopping the stack`);
      stop(1);
    } else {
      console.log(`■ ${title} exited (${code}); the edge keeps serving from KV (servedBy says which tier)`);
    }
  });
  children.push(child);
  return child;
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

let stopping = false;
function stop(code: number): void {
  stopping = true;
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

if (!existsSync(`${MODEL_DIR}/manifest.json`)) {
  console.error(
    `✖ no model in ${MODEL_DIR} (expected model.onnx and manifest.json; train one with npm run model:train)`,
  );
  process.exit(2);
}
for (const [url, name] of [
  [ORIGIN, "origin"],
  [EDGE, "worker"],
] as const) {
  if (await answers(url)) {
    console.error(`✖ something already answers on ${url} (the ${name}'s port): stop it first`);
    process.exit(2);
  }
}
step("publish lists, profiles and the model into local KV", "npx", [
  "tsx",
  "origin/src/publish.ts",
  "--local",
  "--model-dir",
  MODEL_DIR,
  ...(PERSIST_TO ? ["--persist-to", PERSIST_TO] : []),
]);
// Not essential: stopping the origin is how one watches the edge degrade to stale and popular lists.
const origin = start("reference origin", "npx", ["tsx", "origin/src/server.ts", "--port", ORIGIN_PORT], false);
await waitFor(`${ORIGIN}/healthz`, "origin");
start("edge worker", "npx", [
  "wrangler",
  "dev",
  "--var",
  "ALLOW_CONTEXT_OVERRIDE:true",
  "--port",
  EDGE_PORT,
  "--var",
  `ORIGIN_URL:${ORIGIN}`,
  ...(INSPECTOR_PORT ? ["--inspector-port", INSPECTOR_PORT] : []),
  ...(PERSIST_TO ? ["--persist-to", PERSIST_TO] : []),
  ...envFiles,
]);
await waitFor(`${EDGE}/v1/ping`, "worker");

const path = "/v1/recommendations/1?row=top-picks&limit=5&device=tv";
const headers = { "x-frontrow-region": "eu-west", "x-frontrow-now": "2026-11-01T20:30:00Z" };
const res = await fetch(`${EDGE}${path}`, { headers });
const body = (await res.json()) as {
  servedBy: string;
  model: { version: string | null };
  items: { rank: number; title: string; score: number }[];
};
console.log(`\n✔ frontrow is up. Origin ${ORIGIN}, edge ${EDGE}.`);
console.log("\nExample request:");
console.log(`  curl -s '${EDGE}${path}' -H 'x-frontrow-region: eu-west' -H 'x-frontrow-now: 2026-11-01T20:30:00Z'`);
console.log(`\n  HTTP ${res.status}  servedBy=${body.servedBy}  model=${body.model.version}`);
console.log(`  Server-Timing: ${res.headers.get("server-timing")}`);
for (const item of body.items) console.log(`  ${item.rank}. ${item.title}  (${item.score})`);
if (once) stop(res.status === 200 && body.servedBy === "model" ? 0 : 1);
console.log(
  `\nSigned artifacts are on (/healthz "signatures": "on"). To publish to this stack, sign with its key:\n  ARTIFACT_SIGNING_KEY=${
    secrets.ARTIFACT_SIGNING_KEY === LOCAL_SIGNING_KEY ? LOCAL_SIGNING_KEY : "<your ARTIFACT_SIGNING_KEY>"
  } npm run config -- publish`,
);
console.log(`\nCtrl-C stops both. To watch the edge without its origin: kill -TERM -${origin.pid}`);
