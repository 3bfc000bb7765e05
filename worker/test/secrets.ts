// Test-only secrets, shared by the vitest config (worker bindings), global-setup (the origin) and the tests.

/** ARTIFACT_SIGNING_KEY of the workerd tests: signing is on, as in production. */
export const TEST_SIGNING_KEY = "test-artifact-signing-key-5f2c9a";
/** ORIGIN_TOKEN: the test origin requires it, the worker sends it. */
export const TEST_ORIGIN_TOKEN = "test-origin-token-81d07e";
/** ID_HASH_KEY: pseudonyms of user ids in logs and limiter keys. */
export const TEST_ID_HASH_KEY = "test-id-hash-key-3b64f1";
/** Limit of the small test limiters (TEST_USER_LIMIT, TEST_IP_LIMIT), per 60 s. */
export const TEST_LIMIT = 3;
