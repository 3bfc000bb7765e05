// Pseudonyms: the keyed-hash rule matches an HMAC computed apart, depends on the key and the namespace.
import { describe, expect, it } from "vitest";
import { pseudonymOf } from "./pseudonym.js";

describe("pseudonymOf", () => {
  it("is the first 64 bits of HMAC-SHA256(key, '<ns>:<value>'), prefixed by namespace (vectors from node:crypto, computed apart)", async () => {
    expect(await pseudonymOf("k3y", "user", "42")).toBe("u_1c608027f260466c");
    expect(await pseudonymOf("k3y", "ip", "192.0.2.1")).toBe("ip_0b76004394e37e7d");
  });

  it("another key or namespace gives another pseudonym; the same inputs the same one", async () => {
    const a = await pseudonymOf("k3y", "user", "1");
    expect(await pseudonymOf("k3y", "user", "1")).toBe(a);
    expect(await pseudonymOf("other", "user", "1")).not.toBe(a);
    expect((await pseudonymOf("k3y", "ip", "1")).slice(3)).not.toBe(a.slice(2));
  });
});
