// Artifact signatures: an HMAC-SHA256 over a published JSON document (model manifest, edge config), WebCrypto only.
//
// The publisher holds a secret key and adds `"signature": "hmac-sha256:<hex>"` to the document it writes to KV;
// the worker holds the same key and refuses a document whose signature is missing or wrong. KV write access
// (a leaked API token, a compromised CI job) is then not enough to make the edge serve a model or a policy.

/** The signature field's value: algorithm tag, then 64 lowercase hex digits. */
export const SIGNATURE_PATTERN = /^hmac-sha256:[0-9a-f]{64}$/;

/** What a signed document is; part of the signed bytes, so a config's signature cannot pass for a manifest's. */
export type ArtifactKind = "model-manifest" | "edge-config";

/** Canonical JSON: object keys sorted, undefined members dropped; the same content always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** A document without its `signature` member (what is signed, and what the schemas parse). */
export function withoutSignature<T>(doc: T): T {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return doc;
  const { signature: _sig, ...rest } = doc as Record<string, unknown>;
  return rest as T;
}

/** The exact bytes the MAC covers: a format tag, the kind, and the canonical document minus its signature. */
export function signedPayload(kind: ArtifactKind, doc: unknown): Uint8Array {
  return new TextEncoder().encode(`frontrow-artifact/1\n${kind}\n${canonicalJson(withoutSignature(doc))}`);
}

const keyCache = new Map<string, Promise<CryptoKey>>();

/** The WebCrypto HMAC-SHA256 key for `secret` (sign and verify), imported once per secret. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    // One key per isolate or process in practice; the bound only guards against a caller cycling secrets.
    if (keyCache.size >= 8) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `signature` value for `doc` under `secret`. */
export async function signArtifact(kind: ArtifactKind, doc: unknown, secret: string): Promise<string> {
  if (!secret) throw new Error("signing key is empty");
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    signedPayload(kind, doc) as Uint8Array<ArrayBuffer>,
  );
  return `hmac-sha256:${hex(mac)}`;
}

/** `doc` with its signature member set (replacing any earlier one). */
export async function signed<T extends object>(
  kind: ArtifactKind,
  doc: T,
  secret: string,
): Promise<T & { signature: string }> {
  return { ...withoutSignature(doc), signature: await signArtifact(kind, doc, secret) };
}

/**
 * Why `doc` does not carry a valid signature under `secret`, or null when it does. The comparison is
 * WebCrypto's HMAC verify, which does not leak where a wrong MAC differs.
 */
export async function signatureProblem(kind: ArtifactKind, doc: unknown, secret: string): Promise<string | null> {
  const sig = (doc as { signature?: unknown } | null)?.signature;
  if (sig === undefined) return "unsigned (the edge requires signed artifacts)";
  if (typeof sig !== "string" || !SIGNATURE_PATTERN.test(sig))
    return "signature malformed (expected hmac-sha256:<64 hex>)";
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mac[i] = Number.parseInt(sig.slice(12 + 2 * i, 14 + 2 * i), 16);
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    mac,
    signedPayload(kind, doc) as Uint8Array<ArrayBuffer>,
  );
  return ok ? null : "signature mismatch (not signed with the edge's key, or changed after signing)";
}
