// The publisher's pure part: every KV key/value the edge reads, model checks, and Wrangler bulk-file chunks.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ActiveModelPointer, keys, PERSONAL_ROWS } from "../../core/keys.js";
import { type ModelManifest, ModelManifestSchema, manifestIncompatibility, sha256Hex } from "../../core/manifest.js";
import { canonicalJson, withoutSignature } from "../../core/signature.js";
import { encodeRowList, type OriginRows } from "./rows.js";

/** What a key holds, for the publish summary. */
export type EntryKind =
  | "cand:top-picks"
  | "cand:because-you-watched"
  | "cand:trending"
  | "cand:popular"
  | "profile"
  | "catalog"
  | "model:onnx"
  | "model:manifest"
  | "model:active";

/** One KV write: binary values are encoded candidate lists or ONNX bytes, strings are JSON. */
export interface KvEntry {
  key: string;
  value: Uint8Array | string;
  kind: EntryKind;
}

/** One element of a `wrangler kv bulk put` file. */
export interface BulkItem {
  key: string;
  value: string;
  base64?: true;
}

const utf8 = new TextEncoder();

/** Size in bytes of an entry's value as stored. */
export function entryBytes(e: KvEntry): number {
  return typeof e.value === "string" ? utf8.encode(e.value).length : e.value.length;
}

/**
 * Every data key: per user the personal rows (PERSONAL_ROWS) and the profile, per region trending and popular, and
 * the catalogue. Lists are `depth` deep (catalogue: every title). Users come out in ascending id order.
 */
export function dataEntries(rows: OriginRows, depth: number): KvEntry[] {
  const out: KvEntry[] = [];
  for (const userId of rows.dataset.users) {
    const user = String(userId);
    for (const row of PERSONAL_ROWS) {
      out.push({
        key: keys.candidates(row, user, ""),
        value: encodeRowList(rows.row(row, { userId }, depth)),
        kind: `cand:${row}` as EntryKind,
      });
    }
    out.push({ key: keys.profile(user), value: JSON.stringify(rows.profileFor(userId)), kind: "profile" });
  }
  for (const region of rows.regionIds) {
    out.push({
      key: keys.candidates("trending", "", region),
      value: encodeRowList(rows.trending(region, depth)),
      kind: "cand:trending",
    });
    out.push({ key: keys.popular(region), value: encodeRowList(rows.popular(region, depth)), kind: "cand:popular" });
  }
  out.push({ key: keys.catalog, value: encodeRowList(rows.catalogList()), kind: "catalog" });
  return out;
}

/** A model ready to publish: the checked manifest (canonical JSON) and the ONNX bytes it describes. */
export interface ModelBundle {
  manifest: ModelManifest;
  manifestJson: string;
  bytes: Uint8Array;
}

/**
 * Reads `model.onnx` and `manifest.json` from a directory and checks them: the manifest against
 * ModelManifestSchema, the edge's feature schema, and the bytes' size and SHA-256. Errors name the file and field.
 */
export async function readModelDir(dir: string): Promise<ModelBundle> {
  const manifestFile = join(dir, "manifest.json");
  const onnxFile = join(dir, "model.onnx");
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${file}: cannot read file (${(e as NodeJS.ErrnoException).code ?? "unknown error"})`);
    }
  };
  const manifestText = read(manifestFile).toString("utf8");
  const bytes = new Uint8Array(read(onnxFile));
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (e) {
    throw new Error(`${manifestFile}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${manifestFile}: field "${issue?.path.join(".") || "(root)"}": ${issue?.message}`);
  }
  const manifest = parsed.data;
  const incompatible = manifestIncompatibility(manifest);
  if (incompatible) throw new Error(`${manifestFile}: ${incompatible}`);
  if (manifest.sizeBytes !== bytes.length) {
    throw new Error(
      `${onnxFile}: ${bytes.length} bytes, but ${manifestFile} field "sizeBytes" says ${manifest.sizeBytes}`,
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256) {
    throw new Error(`${onnxFile}: sha256 ${sha} does not match ${manifestFile} field "sha256" (${manifest.sha256})`);
  }
  return { manifest, manifestJson: JSON.stringify(manifest), bytes };
}

/** The immutable version keys of a model (bytes, manifest); the active pointer is separate, written last. */
export function modelVersionEntries(model: ModelBundle): KvEntry[] {
  const v = model.manifest.version;
  return [
    { key: keys.modelBytes(v), value: model.bytes, kind: "model:onnx" },
    { key: keys.modelManifest(v), value: model.manifestJson, kind: "model:manifest" },
  ];
}

/** The model:active pointer. */
export function activeModelEntry(version: string, activatedAt: Date): KvEntry {
  const pointer: ActiveModelPointer = { version, activatedAt: activatedAt.toISOString() };
  return { key: keys.activeModel, value: JSON.stringify(pointer), kind: "model:active" };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Model versions are immutable: given what KV holds now (`read` returns null for an absent key), returns the
 * version entries still to write (identical ones are skipped) or throws if a key holds different bytes.
 */
export async function versionEntriesToWrite(
  entries: readonly KvEntry[],
  read: (key: string) => Promise<Uint8Array | null>,
): Promise<KvEntry[]> {
  const out: KvEntry[] = [];
  for (const e of entries) {
    const existing = await read(e.key);
    const mine = typeof e.value === "string" ? utf8.encode(e.value) : e.value;
    if (existing === null) out.push(e);
    else if (e.kind === "model:manifest" && !sameBytes(existing, mine) && sameManifestContent(existing, mine)) {
      // Same manifest, other signature (signed now, or with a rotated key): the version is unchanged, re-sign it.
      out.push(e);
    } else if (!sameBytes(existing, mine)) {
      throw new Error(
        `${e.key} already holds different bytes (${existing.length} stored, ${mine.length} new): model versions ` +
          "are immutable, publish this model under a new version",
      );
    }
  }
  return out;
}

/** Whether two stored manifests say the same thing once their signatures are set aside. */
function sameManifestContent(a: Uint8Array, b: Uint8Array): boolean {
  try {
    const parse = (x: Uint8Array) => canonicalJson(withoutSignature(JSON.parse(new TextDecoder().decode(x))));
    return parse(a) === parse(b);
  } catch {
    return false;
  }
}

/** The bulk-file form of an entry: binary values base64 with `base64: true`. */
export function toBulkItem(e: KvEntry): BulkItem {
  return typeof e.value === "string"
    ? { key: e.key, value: e.value }
    : { key: e.key, value: Buffer.from(e.value).toString("base64"), base64: true };
}

/** Wrangler accepts at most 10,000 pairs per bulk put; the byte cap keeps each file well under request limits. */
export const MAX_BULK_ENTRIES = 10_000;
export const MAX_BULK_BYTES = 64 * 1024 * 1024;

/** Splits bulk items into files of at most `maxEntries` items and about `maxBytes` of JSON (one oversized item alone). */
export function chunkBulk(
  items: readonly BulkItem[],
  maxEntries = MAX_BULK_ENTRIES,
  maxBytes = MAX_BULK_BYTES,
): BulkItem[][] {
  const chunks: BulkItem[][] = [];
  let current: BulkItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.key.length + item.value.length + 40;
    if (current.length > 0 && (current.length >= maxEntries || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Keys and bytes per kind, in first-seen order. */
export function summarize(entries: readonly KvEntry[]): Map<EntryKind, { keys: number; bytes: number }> {
  const out = new Map<EntryKind, { keys: number; bytes: number }>();
  for (const e of entries) {
    const s = out.get(e.kind) ?? { keys: 0, bytes: 0 };
    s.keys++;
    s.bytes += entryBytes(e);
    out.set(e.kind, s);
  }
  return out;
}
