// The contract every ListStore (cache tier) keeps; each implementation's test file runs it.
import { describe, expect, it } from "vitest";
import type { ListStore } from "../src/serving/list-store.js";

const opts = { cacheTtlSeconds: 60 };
const bytes = (...v: number[]) => new Uint8Array(v);
const read = async (s: ListStore, key: string) => {
  const b = await s.get(key, opts);
  return b === null ? null : [...new Uint8Array(b)];
};

/** Registers the shared ListStore tests for one implementation; `make` returns a fresh, empty store. */
export function listStoreContract(name: string, make: () => ListStore | Promise<ListStore>): void {
  describe(`ListStore contract: ${name}`, () => {
    it("answers null for a key it does not hold", async () => {
      expect(await read(await make(), "cand:none")).toBeNull();
    });

    it("returns the bytes put under a key", async () => {
      const s = await make();
      await s.put("cand:a", bytes(1, 2, 3));
      expect(await read(s, "cand:a")).toEqual([1, 2, 3]);
    });

    it("replaces a key's bytes on a second put", async () => {
      const s = await make();
      await s.put("cand:a", bytes(1, 2, 3));
      await s.put("cand:a", bytes(9));
      expect(await read(s, "cand:a")).toEqual([9]);
    });

    it("keeps keys apart", async () => {
      const s = await make();
      await s.put("cand:a", bytes(1));
      await s.put("cand:b", bytes(2));
      expect([await read(s, "cand:a"), await read(s, "cand:b")]).toEqual([[1], [2]]);
    });

    it("is not changed by later writes to the caller's buffer", async () => {
      const s = await make();
      const b = bytes(5, 6);
      await s.put("cand:a", b);
      b[0] = 0;
      expect(await read(s, "cand:a")).toEqual([5, 6]);
    });
  });
}
