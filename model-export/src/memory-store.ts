// An in-memory ModelStore: what the lifecycle tests and dry runs write to instead of KV.
import type { ModelStore, StoreEntry } from "./lifecycle.js";

/** A Map-backed store; `failOn` makes writes of one key throw, to test interrupted publishes. */
export class MemoryStore implements ModelStore {
  readonly description = "memory store";
  readonly data = new Map<string, Uint8Array>();
  /** Every key written, in order. */
  readonly writes: string[] = [];
  failOn: string | null = null;

  async get(key: string): Promise<Uint8Array | null> {
    return this.data.get(key) ?? null;
  }

  async putAll(entries: readonly StoreEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.key === this.failOn) throw new Error(`write of ${e.key} failed`);
      this.data.set(e.key, typeof e.value === "string" ? new TextEncoder().encode(e.value) : e.value.slice());
      this.writes.push(e.key);
    }
  }

  async close(): Promise<void> {}

  json(key: string): unknown {
    const v = this.data.get(key);
    return v ? JSON.parse(new TextDecoder().decode(v)) : null;
  }
}
