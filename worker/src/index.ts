// Worker entry: one app and one set of services per isolate; ORT and the bundled model warm up at global scope.
import { createApp } from "./app.js";
import { preloadBundledModel } from "./bundled-model.js";
import { handleScheduled } from "./ops/prewarm.js";
import { createServices } from "./services.js";

// Pure CPU work, finished while the script starts (before the first event): see worker/src/model/STARTUP.md.
preloadBundledModel();

const services = createServices();
const app = createApp(services);

export default {
  fetch: app.fetch,
  // Cron Trigger (wrangler.toml [triggers]): warms regional lists ahead of each region's peak.
  scheduled: (controller, env, ctx) => handleScheduled(services, controller, env, ctx),
} satisfies ExportedHandler<Env>;

export type { AppType } from "./app.js";
// Durable Object classes must be exported by the entry module (wrangler.toml [[durable_objects.bindings]]).
export { OpsStats } from "./ops/stats-object.js";
