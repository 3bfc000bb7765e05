// Where published keys go: local KV state (what `wrangler dev` reads) or the remote namespace via `wrangler kv`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { KvListedKey } from "../../core/keys.js";
import { type BulkItem, chunkBulk, type KvEntry, toBulkItem } from "./kv-entries.js";

/** The repository root: wrangler.toml lives here, and local state under .wrangler/state. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface KvTarget {
  mode: "local" | "remote";
  /** Wrangler environment (`--env`), e.g. `dev`. */
  env?: string | undefined;
  /** Local state directory, as wrangler's `--persist-to` (default .wrangler/state under the repository). */
  persistTo?: string | undefined;
}

/** A KV namespace the publisher can read and write. */
export interface KvStore {
  readonly description: string;
  get(key: string): Promise<Uint8Array | null>;
  /** Writes entries; resolves once all are stored. */
  putAll(entries: readonly KvEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** A write that may carry KV key metadata (at most 1,024 bytes serialised; returned by list). */
export type KvWrite = Omit<KvEntry, "kind"> & { kind: string; metadata?: Record<string, unknown> | undefined };

/** The stores openStore returns: writes with metadata, and prefix listing (what the model lifecycle needs). */
export interface ListingKvStore extends KvStore {
  putAll(entries: readonly KvWrite[]): Promise<void>;
  /** Every key with `prefix` and its metadata, all pages (KV list: eventually consistent, up to ~60 s remote). */
  list(prefix: string): Promise<KvListedKey[]>;
  /** Removes one key; absent keys are not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Local KV on the same state `wrangler dev` and `wrangler kv --local` use: a Miniflare instance with only the KV
 * binding, resolved from wrangler.toml by wrangler itself (the namespace id names the state on disk). Not
 * getPlatformProxy: it also starts the config's Durable Object bindings without the worker that exports their
 * class, and workerd prints a warning about it on every command. Not `wrangler kv bulk put --local`: in wrangler
 * 4.86 its local path decodes base64 values to a UTF-8 string before storing, which corrupts every binary value
 * (candidate lists, ONNX bytes). Its remote path is fine.
 */
export async function openLocalStore(target: KvTarget): Promise<ListingKvStore> {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { Miniflare } = await import("miniflare");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(REPO_ROOT, "wrangler.toml"), target.env);
  const kvNamespaces = workerOptions.kvNamespaces as Record<string, string | { id: string }> | undefined;
  const binding = kvNamespaces?.KV;
  if (!binding) throw new Error(`wrangler.toml${target.env ? ` [env.${target.env}]` : ""} has no KV binding named KV`);
  const state = target.persistTo ? resolve(target.persistTo) : join(REPO_ROOT, ".wrangler/state");
  const mf = new Miniflare({
    modules: true,
    script: "export default {};",
    kvNamespaces: { KV: typeof binding === "string" ? binding : binding.id },
    // --persist-to <dir> keeps KV under <dir>/v3/kv, as wrangler dev does.
    kvPersist: join(state, "v3", "kv"),
  });
  const kv = (await mf.getKVNamespace("KV")) as unknown as KVNamespaceLike;
  return {
    description: `local KV (${state})`,
    async get(key) {
      const v = await kv.get(key, "arrayBuffer");
      return v === null ? null : new Uint8Array(v);
    },
    async putAll(entries) {
      // A few writes in flight at once; the proxy serialises them anyway, this hides the round trips.
      let next = 0;
      const worker = async () => {
        while (next < entries.length) {
          const e = entries[next++] as KvWrite;
          await kv.put(e.key, e.value, e.metadata ? { metadata: e.metadata } : undefined);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    },
    async list(prefix) {
      const out: KvListedKey[] = [];
      for (let cursor: string | undefined; ; ) {
        const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const k of page.keys)
          out.push(k.metadata == null ? { name: k.name } : { name: k.name, metadata: k.metadata });
        if (page.list_complete) return out;
        cursor = page.cursor;
      }
    },
    delete: (key) => kv.delete(key),
    close: () => mf.dispose(),
  };
}

/** The slice of the Workers KV API the local store uses. */
interface KVNamespaceLike {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  put(key: string, value: string | Uint8Array, options?: { metadata?: unknown }): Promise<void>;
  list(options: {
    prefix?: string;
    cursor?: string;
  }): Promise<{ keys: { name: string; metadata?: unknown }[]; list_complete: boolean; cursor?: string }>;
  delete(key: string): Promise<void>;
}

/** Runs wrangler with arguments and returns stdout; throws with wrangler's last output lines on failure. */
export type WranglerRunner = (args: string[]) => Buffer;

function wranglerEntry(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve("wrangler/package.json");
  const bin = (require(pkgFile) as { bin: Record<string, string> }).bin.wrangler as string;
  return join(dirname(pkgFile), bin);
}

/** Spawns the project's wrangler (what `npx wrangler` runs) in the repository root. */
export const runWrangler: WranglerRunner = (args) => {
  const r = spawnSync(process.execPath, [wranglerEntry(), ...args], {
    cwd: REPO_ROOT,
    env: { WRANGLER_SEND_METRICS: "false", ...process.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  const what = `wrangler ${args.slice(0, 3).join(" ")}`;
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stderr.toString("utf8")}\n${r.stdout.toString("utf8")}`.trim().split("\n").slice(-8).join("\n");
    throw new Error(`${what} exited with ${r.status}:\n${out}`);
  }
  return r.stdout;
};

/**
 * The remote namespace through the wrangler CLI: `wrangler kv bulk put <file> --binding KV --remote` with
 * files of at most 10,000 entries (binary values base64, metadata as given), removed after use; listing with
 * `wrangler kv key list --prefix`, which follows the API's cursor pages itself.
 */
export function remoteStore(target: KvTarget, run: WranglerRunner = runWrangler): ListingKvStore {
  // wrangler.toml gives KV both an id and a preview id; name the production one explicitly.
  const common = ["--binding", "KV", "--remote", "--preview", "false", ...(target.env ? ["--env", target.env] : [])];
  return {
    description: `remote KV${target.env ? ` (env ${target.env})` : ""}`,
    async get(key) {
      const listed = JSON.parse(run(["kv", "key", "list", "--prefix", key, ...common]).toString("utf8")) as {
        name: string;
      }[];
      // Listing first: `kv key get` prints "Value not found" with status 0 for a missing key.
      if (!listed.some((k) => k.name === key)) return null;
      return new Uint8Array(run(["kv", "key", "get", key, ...common]));
    },
    async putAll(entries) {
      const chunks: BulkItem[][] = chunkBulk(
        entries.map((e) => ({ ...toBulkItem(e as KvEntry), ...(e.metadata ? { metadata: e.metadata } : {}) })),
      );
      const dir = mkdtempSync(join(tmpdir(), "frontrow-publish-"));
      try {
        chunks.forEach((chunk, i) => {
          const file = join(dir, `chunk-${i}.json`);
          writeFileSync(file, JSON.stringify(chunk));
          run(["kv", "bulk", "put", file, ...common]);
          rmSync(file);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async list(prefix) {
      const listed = JSON.parse(run(["kv", "key", "list", "--prefix", prefix, ...common]).toString("utf8")) as {
        name: string;
        metadata?: unknown;
      }[];
      return listed.map((k) => (k.metadata == null ? { name: k.name } : { name: k.name, metadata: k.metadata }));
    },
    async delete(key) {
      run(["kv", "key", "delete", key, ...common]);
    },
    close: async () => {},
  };
}

/** Opens the store a target names. */
export async function openStore(target: KvTarget): Promise<ListingKvStore> {
  if (target.mode === "remote" && target.persistTo) throw new Error("--persist-to applies to local KV only");
  return target.mode === "local" ? openLocalStore(target) : remoteStore(target);
}
