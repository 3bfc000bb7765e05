// Values global-setup.ts provides to the workerd tests.
declare module "vitest" {
  interface ProvidedContext {
    /** The reference origin, the fault proxy in front of it, and a port nothing listens on. */
    urls: { origin: string; faults: string; down: string };
    model: { onnxBase64: string; manifestJson: string };
    nanModel: { onnxBase64: string; manifestJson: string };
    /** The test model with one weight set to +Infinity (the one case where the dense kernel and ORT differ). */
    infWeightModel: { onnxBase64: string; manifestJson: string };
    wideModel: { onnxBase64: string; manifestJson: string };
    /** The repo's edge-config as Node's `config publish` stores it, signed with TEST_SIGNING_KEY. */
    publishedConfig: { version: string; documentJson: string };
    /** onnxruntime-node's scores for the test model on each of parityInputs(). */
    parityScores: { n: number; scores: number[] }[];
  }
}

declare global {
  namespace Cloudflare {
    interface Env {
      /** Small real limiters (worker/vitest.config.ts) the rate-limit tests put in place of the app's own. */
      TEST_USER_LIMIT: RateLimit;
      TEST_IP_LIMIT: RateLimit;
    }
  }
}

export {};
