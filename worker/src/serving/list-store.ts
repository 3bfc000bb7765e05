// Cache tiers for encoded candidate lists: the isolate's memory in front of Workers KV.

/** A place encoded candidate lists are read from and written back to. */
export interface ListStore {
  readonly name: string;
  /** The encoded list, or null when the tier does not hold the key. */
  get(key: string, opts: { cacheTtlSeconds: number }): Promise<ArrayBuffer | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** Workers KV: the tier the origin publishes into. `cacheTtl` keeps hot keys at the edge location. */
export class KvListStore implements ListStore {
  readonly name = "kv";
  constructor(private readonly kv: KVNamespace) {}
  async get(key: string, opts: { cacheTtlSeconds: number }): Promise<ArrayBuffer | null> {
    return this.kv.get(key, { type: "arrayBuffer", cacheTtl: Math.max(30, opts.cacheTtlSeconds) });
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.kv.put(key, bytes);
  }
}

/**
 * Isolate memory, bounded by bytes with least-recently-used eviction. An entry is held as long as the read's
 * `cacheTtlSeconds` (the policy's KV `cacheTtl`): KV's own edge cache may already serve a value that old, so
 * holding it here is no staler, and it saves a KV read per request for a hot list. A list this isolate
 * refreshes is written here at once; freshness itself is judged from the list's own timestamp.
 */
export class MemoryListStore implements ListStore {
  readonly name = "memory";
  private readonly entries = new Map<string, { bytes: ArrayBuffer; storedAt: number }>();
  private size = 0;
  constructor(
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly clock: () => number = Date.now,
  ) {}
  async get(key: string, opts: { cacheTtlSeconds: number }): Promise<ArrayBuffer | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (this.clock() - e.storedAt > opts.cacheTtlSeconds * 1000) {
      this.delete(key);
      return null;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.bytes;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.delete(key);
    if (bytes.byteLength > this.maxBytes) return;
    const copy = bytes.slice().buffer as ArrayBuffer;
    this.entries.set(key, { bytes: copy, storedAt: this.clock() });
    this.size += copy.byteLength;
    for (const [k] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.delete(k);
    }
  }
  /** Bytes held, for /healthz and tests. */
  get bytesHeld(): number {
    return this.size;
  }
  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.size -= e.bytes.byteLength;
      this.entries.delete(key);
    }
  }
}

/** Reads through tiers in order (filling the faster ones on a hit) and writes to all of them. */
export class TieredListStore implements ListStore {
  readonly name: string;
  constructor(private readonly tiers: readonly ListStore[]) {
    this.name = tiers.map((t) => t.name).join("+");
  }
  async get(key: string, opts: { cacheTtlSeconds: number }): Promise<ArrayBuffer | null> {
    for (let i = 0; i < this.tiers.length; i++) {
      const bytes = await (this.tiers[i] as ListStore).get(key, opts);
      if (bytes) {
        for (let j = 0; j < i; j++) await (this.tiers[j] as ListStore).put(key, new Uint8Array(bytes));
        return bytes;
      }
    }
    return null;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    for (const t of this.tiers) await t.put(key, bytes);
  }
}
