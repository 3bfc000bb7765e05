// The model bundled with the worker validates, fits the edge's feature schema, and preloads into the session
// a later KV load of the same bytes reuses.
import { describe, expect, it } from "vitest";
import { manifestIncompatibility, sha256Hex } from "../../core/manifest.js";
import { BUNDLED_BYTES, BUNDLED_MANIFEST } from "../src/bundled-model.js";
import { loadModel, preloadModel } from "../src/model/index.js";

describe("bundled model", () => {
  it("has a valid, compatible manifest whose checksum and size match the bytes", async () => {
    expect(BUNDLED_MANIFEST).not.toBeNull();
    const m = BUNDLED_MANIFEST as NonNullable<typeof BUNDLED_MANIFEST>;
    expect(manifestIncompatibility(m)).toBeNull();
    expect(await sha256Hex(BUNDLED_BYTES)).toBe(m.sha256);
    expect(BUNDLED_BYTES.byteLength).toBe(m.sizeBytes);
  });

  it("preloads once; loading the same bytes from KV later gets the preloaded ranker", async () => {
    const m = BUNDLED_MANIFEST as NonNullable<typeof BUNDLED_MANIFEST>;
    const preloaded = await preloadModel(BUNDLED_BYTES, m);
    const fromKv = await loadModel(new Uint8Array(BUNDLED_BYTES.slice(0)), m);
    expect(fromKv).toBe(preloaded);
    expect(fromKv.version).toBe(m.version);
  });
});
