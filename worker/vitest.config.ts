// Worker tests run inside workerd with the same wrangler.toml (bindings, module rules) as `wrangler dev`.
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";
import { TEST_ID_HASH_KEY, TEST_LIMIT, TEST_ORIGIN_TOKEN, TEST_SIGNING_KEY } from "./test/secrets.js";

// The project root is the repo root, not worker/: files that load through wrangler module rules (ORT's wasm in
// node_modules, edge-config's JSONC) must sit inside it, or the pool asks workerd for an unloadable "/@fs/" module.
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineProject({
  resolve: {
    alias: {
      // Wrangler resolves ORT's wasm by file path; Vite honours the package's exports map, which names it
      // "onnxruntime-web/ort-wasm-simd-threaded.wasm". Point the file path at the same file.
      "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm": `${repoRoot}node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm`,
    },
  },
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Tests pass the origin they mean (global-setup picks free ports); override headers are allowed here.
        // Signing, origin auth and id hashing are on, as on a production account.
        bindings: {
          ALLOW_CONTEXT_OVERRIDE: "true",
          ARTIFACT_SIGNING_KEY: TEST_SIGNING_KEY,
          ORIGIN_TOKEN: TEST_ORIGIN_TOKEN,
          ID_HASH_KEY: TEST_ID_HASH_KEY,
        },
        // Real limiters (Miniflare's), enforcing. The app's own two are set out of reach here: every test file
        // shares them within a minute. The rate-limit tests swap in the small ones.
        ratelimits: {
          USER_RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } },
          IP_RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } },
          TEST_USER_LIMIT: { simple: { limit: TEST_LIMIT, period: 60 } },
          TEST_IP_LIMIT: { simple: { limit: TEST_LIMIT, period: 60 } },
        },
      },
    }),
  ],
  test: {
    name: "worker",
    // Degraded requests log on purpose; show those logs only for tests that fail.
    silent: "passed-only",
    root: repoRoot,
    include: ["worker/test/**/*.test.ts"],
    // Starts the real origin and a fault proxy (Node) and trains the test model before any workerd test.
    globalSetup: ["worker/test/global-setup.ts"],
  },
});
