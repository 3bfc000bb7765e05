// Worker entry: one app and one set of services per isolate.
import { createApp } from "./app.js";
import { createServices } from "./services.js";

const app = createApp(createServices());

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

export type { AppType } from "./app.js";
