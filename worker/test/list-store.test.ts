// Cache tiers: the shared contract for memory, KV and tiered stores, then each one's own behaviour.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { KvListStore, MemoryListStore, TieredListStore } from "../src/serving/list-store.js";
import { listStoreContract } from "./list-store.contract.js";

beforeEach(async () => {
  await reset();
});

listStoreContract("memory", () => new MemoryListStore());
listStoreContract("kv", () => new KvListStore(env.KV));
listStoreContract("memory+kv", () => new TieredListStore([new MemoryListStore(), new KvListStore(env.KV)]));

const opts = { cacheTtlSeconds: 60 };

describe("MemoryListStore", () => {
  it("holds an entry for the read's cacheTtlSeconds (KV's own edge staleness), so a republished list is seen", async () => {
    let now = 1_000;
    const s = new MemoryListStore(1024, () => now);
    await s.put("k", new Uint8Array([1]));
    now += 60_000;
    expect(await s.get("k", { cacheTtlSeconds: 300 })).not.toBeNull();
    expect(await s.get("k", { cacheTtlSeconds: 60 })).not.toBeNull();
    now += 1;
    expect(await s.get("k", { cacheTtlSeconds: 300 })).not.toBeNull();
    expect(await s.get("k", opts)).toBeNull();
    expect(s.bytesHeld).toBe(0);
  });

  it("evicts the least recently used entries past its byte budget", async () => {
    const s = new MemoryListStore(10);
    await s.put("a", new Uint8Array(4));
    await s.put("b", new Uint8Array(4));
    await s.get("a", opts);
    await s.put("c", new Uint8Array(4));
    expect([await s.get("a", opts), await s.get("b", opts), await s.get("c", opts)].map((x) => x !== null)).toEqual([
      true,
      false,
      true,
    ]);
    expect(s.bytesHeld).toBe(8);
  });

  it("does not hold a value larger than its whole budget", async () => {
    const s = new MemoryListStore(10);
    await s.put("big", new Uint8Array(11));
    expect([await s.get("big", opts), s.bytesHeld]).toEqual([null, 0]);
  });
});

describe("TieredListStore", () => {
  it("fills the memory tier from a KV hit, and later reads come from memory", async () => {
    const memory = new MemoryListStore();
    const kv = new KvListStore(env.KV);
    await kv.put("k", new Uint8Array([7, 7]));
    const tiered = new TieredListStore([memory, kv]);
    expect(tiered.name).toBe("memory+kv");
    expect(await memory.get("k", opts)).toBeNull();
    expect([...new Uint8Array((await tiered.get("k", opts)) as ArrayBuffer)]).toEqual([7, 7]);
    expect([...new Uint8Array((await memory.get("k", opts)) as ArrayBuffer)]).toEqual([7, 7]);
  });

  it("writes to every tier", async () => {
    const memory = new MemoryListStore();
    const tiered = new TieredListStore([memory, new KvListStore(env.KV)]);
    await tiered.put("k", new Uint8Array([3]));
    expect([...new Uint8Array((await memory.get("k", opts)) as ArrayBuffer)]).toEqual([3]);
    expect([...new Uint8Array((await env.KV.get("k", "arrayBuffer")) as ArrayBuffer)]).toEqual([3]);
  });
});
