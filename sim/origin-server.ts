// The simulation's central origin: the real reference origin app behind a load model, counting every request it serves.
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createApp } from "../origin/src/app.js";
import { createGenerator } from "../origin/src/cf/index.js";
import { loadDataset } from "../origin/src/load.js";
import { OriginRows } from "../origin/src/rows.js";
import { LoadModel } from "./load-model.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    seed: { type: "string", default: "42" },
    slots: { type: "string", default: "4" },
    "base-ms": { type: "string", default: "12" },
    growth: { type: "string", default: "0.2" },
  },
  strict: true,
});

const dataset = loadDataset({ seed: Number(values.seed) });
const generator = createGenerator("ease");
generator.fit(dataset.interactions);
const origin = createApp(new OriginRows(dataset, generator), { log: () => {} });
const model = new LoadModel({
  slots: Number(values.slots),
  baseMs: Number(values["base-ms"]),
  growth: Number(values.growth),
});

// Arrival times (epoch ms) of requests to the origin's API, read and cleared by the simulation driver.
let arrivals: number[] = [];
const app = new Hono();
app.get("/_sim/arrivals", (c) => c.json({ arrivals, maxQueued: model.maxQueued }));
app.post("/_sim/reset", (c) => {
  arrivals = [];
  model.maxQueued = 0;
  return c.body(null, 204);
});
app.all("*", (c) => {
  arrivals.push(Date.now());
  return model.run(async () => origin.fetch(c.req.raw));
});

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: "127.0.0.1" }, (info) => {
  // The driver reads the port from this line.
  console.log(`sim-origin listening ${info.port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
