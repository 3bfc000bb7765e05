// An in-memory ModelStore: what the lifecycle tests and dry runs write to instead of KV.
import type { KvListedKey } from "../../core/keys.js";
import type { ModelStore, StoreEntry } from "./lifecycle.js";

const utf8 = new TextEncoder();

/** UTF-8 byte order, as KV lists keys. */
function byteOrder(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/**
 * A Map-backed store with KV semantics for get, put (with metadata) and prefix listing. `failOn` makes writes
 * of one key throw, to test interrupted publishes; `holdWrites(n)` makes the next n writes wait for each other,
 * to interleave concurrent writers deterministically.
 */
export class MemoryStore implements ModelStore {
  readonly description = "memory store";
  readonly data = new Map<string, Uint8Array>();
  readonly metadata = new Map<string, Record<string, unknown>>();
  /** Every key written, in order. */
  readonly writes: string[] = [];
  failOn: string | null = null;
  private held: { waiting: (() => void)[]; count: number } | null = null;

  async get(key: string): Promise<Uint8Array | null> {
    return this.data.get(key) ?? null;
  }

  async putAll(entries: readonly StoreEntry[]): Promise<void> {
    const hold = this.held;
    if (hold && hold.waiting.length < hold.count) {
      // This write waits until `count` writes have arrived, then they all go on in arrival order.
      await new Promise<void>((go) => {
        hold.waiting.push(go);
        if (hold.waiting.length === hold.count) {
          this.held = null;
          for (const g of hold.waiting) g();
        }
      });
    }
    for (const e of entries) {
      if (e.key === this.failOn) throw new Error(`write of ${e.key} failed`);
      this.data.set(e.key, typeof e.value === "string" ? utf8.encode(e.value) : e.value.slice());
      if (e.metadata) this.metadata.set(e.key, structuredClone(e.metadata));
      else this.metadata.delete(e.key);
      this.writes.push(e.key);
    }
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
    this.metadata.delete(key);
    this.writes.push(`delete ${key}`);
  }

  async list(prefix: string): Promise<KvListedKey[]> {
    return [...this.data.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort(byteOrder)
      .map((name) => {
        const metadata = this.metadata.get(name);
        return metadata ? { name, metadata: structuredClone(metadata) } : { name };
      });
  }

  /** The next `count` writes (putAll calls) wait until all of them have been issued. */
  holdWrites(count: number): void {
    this.held = { waiting: [], count };
  }

  async close(): Promise<void> {}

  json(key: string): unknown {
    const v = this.data.get(key);
    return v ? JSON.parse(new TextDecoder().decode(v)) : null;
  }
}
