// Test projects: pure modules run in Node beside their code; the worker runs inside workerd.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "core/**/*.test.ts",
            "edge-config/**/*.test.ts",
            "origin/**/*.test.ts",
            "model-export/**/*.test.ts",
            "bench/**/*.test.ts",
            "sim/**/*.test.ts",
          ],
        },
      },
      "worker/vitest.config.ts",
    ],
  },
});
