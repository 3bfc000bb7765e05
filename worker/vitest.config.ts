// Worker tests run inside workerd with the same wrangler.toml (bindings, module rules) as `wrangler dev`.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        bindings: { ALLOW_CONTEXT_OVERRIDE: "true" },
      },
    }),
  ],
  test: {
    name: "worker",
    include: ["test/**/*.test.ts"],
  },
});
