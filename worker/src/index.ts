// Worker entry: one app and one set of services per isolate; ORT and the bundled model warm up at global scope.
import { createApp } from "./app.js";
import { preloadBundledModel } from "./bundled-model.js";
import { createServices } from "./services.js";

// Pure CPU work, finished while the script starts (before the first event): see worker/src/model/STARTUP.md.
preloadBundledModel();

const app = createApp(createServices());

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

export type { AppType } from "./app.js";
