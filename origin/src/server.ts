// CLI: runs the reference origin over HTTP (Node), fitting CF once at start.

import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { createGenerator, GENERATOR_KINDS, type GeneratorKind } from "./cf/index.js";
import type { Dataset } from "./dataset.js";
import { loadDataset } from "./load.js";
import { OriginRows } from "./rows.js";

const USAGE = `usage: tsx origin/src/server.ts [--port 8788] [--host 127.0.0.1] [--data <movielens dir>] [--seed 42]
                                 [--generator ${GENERATOR_KINDS.join("|")}] [--half-life <days>]`;

function fail(message: string): never {
  console.error(`origin: ${message}\n${USAGE}`);
  process.exit(2);
}

function intOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

function main(): void {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "8788" },
        host: { type: "string", default: "127.0.0.1" },
        data: { type: "string" },
        seed: { type: "string", default: "42" },
        generator: { type: "string", default: "ease" },
        "half-life": { type: "string", default: "7" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  const port = intOption("port", values.port as string, 0, 65535);
  const seed = intOption("seed", values.seed as string, 0, 0xffffffff);
  const kind = values.generator as string;
  if (!(GENERATOR_KINDS as readonly string[]).includes(kind)) {
    fail(`--generator must be one of ${GENERATOR_KINDS.join(", ")}, got "${kind}"`);
  }
  const halfLife = Number(values["half-life"]);
  if (!(halfLife > 0)) fail(`--half-life must be a positive number of days, got "${values["half-life"]}"`);

  let t0 = performance.now();
  let dataset: Dataset;
  try {
    dataset = loadDataset({ data: values.data, seed });
  } catch (e) {
    console.error(`origin: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(
    `origin: ${dataset.name}: ${dataset.users.length} users, ${dataset.items.length} titles, ` +
      `${dataset.interactions.length} interactions (loaded in ${(performance.now() - t0).toFixed(0)} ms)`,
  );
  t0 = performance.now();
  const generator = createGenerator(kind as GeneratorKind);
  generator.fit(dataset.interactions);
  const fitMs = performance.now() - t0;
  const params = Object.entries(generator.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(`origin: fitted ${generator.name} (${params}) in ${(fitMs / 1000).toFixed(2)} s`);
  const rows = new OriginRows(dataset, generator, { trendingHalfLifeDays: halfLife });
  // Secrets come from the environment, never the command line (which `ps` shows to every user of the machine).
  const app = createApp(rows, { token: process.env.ORIGIN_TOKEN || undefined, idHashKey: process.env.ID_HASH_KEY });
  const host = values.host as string;
  const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
    const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
    console.log(`origin: listening on http://${shown}:${info.port}`);
  });
  server.on("error", (e) => {
    console.error(`origin: cannot listen on ${host}:${port}: ${(e as Error).message}`);
    process.exit(1);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
