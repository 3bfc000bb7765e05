// Artifact signatures: the signed bytes are pinned, a known HMAC vector matches, and every change is caught.
import { describe, expect, it } from "vitest";
import { canonicalJson, signArtifact, signatureProblem, signed, signedPayload, withoutSignature } from "./signature.js";

const KEY = "k3y";
const doc = { version: "v1", b: [1, { y: 2, x: "é" }], a: true, skip: undefined };

describe("canonical payload", () => {
  it("sorts keys at every depth, drops undefined members and the signature, and names the kind", () => {
    expect(canonicalJson({ ...doc, signature: "x" })).toBe(
      '{"a":true,"b":[1,{"x":"é","y":2}],"signature":"x","version":"v1"}',
    );
    expect(new TextDecoder().decode(signedPayload("edge-config", { ...doc, signature: "x" }))).toBe(
      'frontrow-artifact/1\nedge-config\n{"a":true,"b":[1,{"x":"é","y":2}],"version":"v1"}',
    );
    expect(withoutSignature({ signature: 1, z: 2 })).toEqual({ z: 2 });
  });
});

describe("sign and verify", () => {
  it("the signature is HMAC-SHA256 of the payload (vector from node:crypto's createHmac, computed apart)", async () => {
    expect(await signArtifact("model-manifest", doc, KEY)).toBe(
      "hmac-sha256:eb155b4939976ffc6a2123e05cac38d1999c3d1298c8696bc84e986481dd71fb",
    );
  });

  it("a signed document verifies, whatever its key order", async () => {
    const s = await signed("model-manifest", doc, KEY);
    const reordered = JSON.parse(
      JSON.stringify({ signature: s.signature, version: "v1", a: true, b: [1, { x: "é", y: 2 }] }),
    );
    expect(await signatureProblem("model-manifest", s, KEY)).toBeNull();
    expect(await signatureProblem("model-manifest", reordered, KEY)).toBeNull();
  });

  it("refuses unsigned, malformed, other-key, other-kind and changed documents", async () => {
    const s = await signed("model-manifest", doc, KEY);
    const mismatch = "signature mismatch (not signed with the edge's key, or changed after signing)";
    expect(await signatureProblem("model-manifest", doc, KEY)).toBe("unsigned (the edge requires signed artifacts)");
    expect(await signatureProblem("model-manifest", { ...doc, signature: 7 }, KEY)).toBe(
      "signature malformed (expected hmac-sha256:<64 hex>)",
    );
    expect(await signatureProblem("model-manifest", { ...s, signature: s.signature.toUpperCase() }, KEY)).toBe(
      "signature malformed (expected hmac-sha256:<64 hex>)",
    );
    expect(await signatureProblem("model-manifest", s, "other")).toBe(mismatch);
    expect(await signatureProblem("edge-config", s, KEY)).toBe(mismatch);
    expect(await signatureProblem("model-manifest", { ...s, a: false }, KEY)).toBe(mismatch);
    expect(await signatureProblem("model-manifest", { ...s, extra: 1 }, KEY)).toBe(mismatch);
    expect(await signatureProblem("model-manifest", null, KEY)).toBe("unsigned (the edge requires signed artifacts)");
  });

  it("refuses to sign with an empty key", async () => {
    await expect(signArtifact("edge-config", doc, "")).rejects.toThrow("signing key is empty");
  });
});
