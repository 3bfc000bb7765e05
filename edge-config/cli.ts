// `npm run config -- <validate|diff|publish|rollback|explain|status>`: edge policy files to KV, without a redeploy.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ROWS } from "../core/vocab.js";
import { openStore } from "../origin/src/kv-store.js";
import {
  CONFIG_DIR,
  ConfigKv,
  configVersion,
  diffConfigs,
  explain,
  formatDiff,
  formatExplain,
  loadConfigDir,
  parseMoment,
  publishConfig,
  rollbackConfig,
} from "./publish.js";
import { parseEdgeConfig } from "./schema.js";

const USAGE = `usage: npm run config -- <command> [options]
  validate                          check defaults.jsonc and regions/*.jsonc (errors name file, line and key)
  diff --region R                   what publishing would change for region R against the active config
  publish                           store config:<version> (never overwritten) and activate it
  rollback [--to VERSION]           re-activate the previous (or the given) version
  explain --region R --at TIME      effective policy per row at TIME (region local "2026-12-24T20:00", or ISO with Z)
          [--row ROW]               and the file, line and key that set each value
  status                            the active version and its history
KV target (diff, publish, rollback, status): --local (default) [--persist-to DIR] | --remote [--env ENV]
Files: --dir DIR (default: edge-config/)`;

/** Runs one CLI invocation; returns the exit code. Output goes through `log`/`err` so tests can capture it. */
export async function run(
  argv: string[],
  log: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`config: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { command, values } = parsed;
  try {
    const needsFiles = command !== "rollback" && command !== "status";
    const loaded = needsFiles ? loadConfigDir(values.dir ?? CONFIG_DIR) : null;
    if (command === "validate") {
      const cfg = loaded?.cfg;
      if (!cfg) throw new Error("no config");
      const withPeak = Object.entries(cfg.regions).filter(([, r]) => r.peak).length;
      log(
        `ok: ${loaded.texts.size} files, ${Object.keys(cfg.regions).length} regions (${withPeak} with peak schedules); would publish as ${await configVersion(cfg)}`,
      );
      return 0;
    }
    if (command === "explain") {
      if (!loaded) throw new Error("no config");
      const region = required(values.region, "--region");
      const tz = loaded.cfg.regions[region]?.timeZone;
      if (!tz)
        throw new Error(
          `--region: unknown region "${region}" (regions: ${Object.keys(loaded.cfg.regions).join(", ")})`,
        );
      const at = parseMoment(required(values.at, "--at"), tz);
      const rows = values.row ? [values.row] : [...ROWS];
      log(formatExplain(region, tz, at, explain(loaded, region, rows, at)));
      return 0;
    }
    if (values.local && values.remote) throw new Error("--local and --remote exclude each other");
    const mode = values.remote ? "remote" : "local";
    const store = await openStore({ mode, env: values.env, persistTo: values["persist-to"] });
    const kv = new ConfigKv(store);
    try {
      if (command === "diff") {
        if (!loaded) throw new Error("no config");
        const region = required(values.region, "--region");
        const active = await kv.active();
        log(
          `${kv.description}: active ${active ? active.version : "none: comparing with defaults.jsonc alone (what the worker embeds)"}`,
        );
        log(`local files would publish as ${await configVersion(loaded.cfg)}`);
        const defaultsFile = [...loaded.texts.keys()][0] as string;
        const base = active ?? parseEdgeConfig(loaded.texts.get(defaultsFile) as string, defaultsFile);
        log(formatDiff(diffConfigs(base, loaded.cfg, region)));
      } else if (command === "publish") {
        if (!loaded) throw new Error("no config");
        const signingKey = process.env.ARTIFACT_SIGNING_KEY || undefined;
        log(
          signingKey
            ? "signing the config with ARTIFACT_SIGNING_KEY (HMAC-SHA256)"
            : "ARTIFACT_SIGNING_KEY is not set: publishing unsigned (an edge that holds a signing key will refuse it)",
        );
        const r = await publishConfig(kv, loaded.cfg, new Date(), signingKey);
        log(
          `${kv.description}: ${r.wrote ? "stored" : "already stored"} config:${r.version}; ${
            r.activated ? `active now (was ${r.previous ?? "none"})` : "was already active"
          }`,
        );
      } else if (command === "rollback") {
        const r = await rollbackConfig(kv, values.to);
        log(`${kv.description}: active config ${r.from} -> ${r.to}`);
      } else if (command === "status") {
        const p = await kv.pointer();
        log(
          p
            ? `${kv.description}: active ${p.version} since ${p.activatedAt}; history: ${p.history.join(", ") || "(none)"}`
            : `${kv.description}: nothing published (the worker serves its built-in defaults)`,
        );
      }
    } finally {
      await store.close();
    }
    return 0;
  } catch (e) {
    err(`config ${command}: ${(e as Error).message}`);
    return 1;
  }
}

const COMMANDS = ["validate", "diff", "publish", "rollback", "explain", "status"] as const;

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      region: { type: "string" },
      at: { type: "string" },
      row: { type: "string" },
      to: { type: "string" },
      dir: { type: "string" },
      local: { type: "boolean" },
      remote: { type: "boolean" },
      env: { type: "string" },
      "persist-to": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const command = positionals[0];
  if (!command || !(COMMANDS as readonly string[]).includes(command) || positionals.length > 1) {
    throw new Error(`expected one command of ${COMMANDS.join(", ")}, got ${positionals.join(" ") || "none"}`);
  }
  if (values.row && !(ROWS as readonly string[]).includes(values.row)) {
    throw new Error(`--row must be one of ${ROWS.join(", ")}, got "${values.row}"`);
  }
  return { command: command as (typeof COMMANDS)[number], values };
}

function required(v: string | undefined, name: string): string {
  if (!v) throw new Error(`${name} is required`);
  return v;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await run(process.argv.slice(2)));
}
