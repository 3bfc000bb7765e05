// Tests for the soak's request mix: reproducible, valid requests, one address per user, bounded per-user rates.
import { describe, expect, it } from "vitest";
import { clientIp, homeRegion, perUserPerMinute, REGIONS, rng, SessionMix } from "./soak-mix.js";

const base = { seed: 7, users: 1000, newUserShare: 0.05, rerankShare: 0.25, concurrentSessions: 50, itemIds: [] };

describe("rng", () => {
  it("is reproducible from its seed and stays in [0, 1)", () => {
    const a = rng(42);
    const b = rng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(rng(43)()).not.toBe(xs[0]);
  });
});

describe("clientIp and homeRegion", () => {
  it("gives each user one address, known and new users in separate ranges", () => {
    expect(clientIp(1, false)).toBe("10.0.0.1");
    expect(clientIp(1000, false)).toBe("10.0.3.232");
    expect(clientIp(1, true)).toBe("100.64.0.1");
    expect(new Set(Array.from({ length: 1000 }, (_, i) => clientIp(i + 1, false))).size).toBe(1000);
  });

  it("fixes a user's region", () => {
    expect(homeRegion(1)).toBe("us-east");
    expect(homeRegion(4)).toBe("eu-west");
    expect(REGIONS).toContain(homeRegion(999));
  });
});

describe("SessionMix", () => {
  it("is reproducible from its seed", () => {
    const a = new SessionMix(base);
    const b = new SessionMix(base);
    for (let i = 0; i < 200; i++) expect(b.next()).toEqual(a.next());
  });

  it("sends well-formed recommendation requests with the context headers", () => {
    const mix = new SessionMix(base);
    for (let i = 0; i < 2000; i++) {
      const r = mix.next();
      expect(r.method).toBe("GET");
      expect(r.path).toMatch(
        /^\/v1\/recommendations\/(\d{1,4}|new-\d+)\?row=(top-picks|trending|because-you-watched)&limit=(10|20|40)&device=(tv|phone|tablet|web)$/,
      );
      expect(r.path).toContain(`row=${r.kind}`);
      expect(REGIONS).toContain(r.headers["x-frontrow-region"]);
      expect(r.headers["x-frontrow-now"]).toMatch(/^2026-11-(0[2-8])T\d\d:\d\d:00\.000Z$/);
      const user = /recommendations\/([^?]+)/.exec(r.path)?.[1] as string;
      const isNew = user.startsWith("new-");
      const n = Number(isNew ? user.slice(4) : user);
      expect(r.headers["cf-connecting-ip"]).toBe(clientIp(n, isNew));
      if (!isNew) expect(n >= 1 && n <= 1000).toBe(true);
    }
    // Without catalog ids there is nothing to re-rank.
    expect(mix.counts.rerank).toBe(0);
  });

  it("loads every row of a session once and re-ranks ids from the catalog it was given", () => {
    const itemIds = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];
    const mix = new SessionMix({ ...base, concurrentSessions: 1, rerankShare: 1, itemIds });
    const session = [mix.next(), mix.next(), mix.next(), mix.next()];
    expect(session.map((r) => r.kind).sort()).toEqual(["because-you-watched", "rerank", "top-picks", "trending"]);
    const rerank = session.find((r) => r.kind === "rerank");
    expect(rerank?.method).toBe("POST");
    expect(rerank?.path).toBe("/v1/rerank");
    const body = JSON.parse(rerank?.body as string) as { userId: string; candidates: { id: number }[] };
    expect(body.candidates).toHaveLength(20);
    expect(body.candidates.every((c) => itemIds.includes(c.id))).toBe(true);
    expect(new Set(body.candidates.map((c) => c.id)).size).toBe(20);
    // The whole session comes from one client: one user, one address.
    expect(new Set(session.map((r) => r.headers["cf-connecting-ip"])).size).toBe(1);
  });

  it("keeps each user's share of the load near uniform, so per-user and per-IP rates stay low", () => {
    const mix = new SessionMix({ ...base, itemIds: [1, 2, 3] });
    const perIp = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const ip = mix.next().headers["cf-connecting-ip"] as string;
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    }
    // 60,000 requests at 100 req/s is 10 minutes; the busiest known address stays under 3x the mean.
    const known = [...perIp].filter(([ip]) => ip.startsWith("10.")).map(([, c]) => c);
    const mean = known.reduce((a, b) => a + b, 0) / known.length;
    expect(known.length).toBe(1000);
    expect(Math.max(...known)).toBeLessThan(3 * mean);
    const newShare = [...perIp].filter(([ip]) => ip.startsWith("100.")).reduce((a, [, c]) => a + c, 0) / n;
    expect(newShare).toBeGreaterThan(0.03);
    expect(newShare).toBeLessThan(0.07);
  });

  it("refuses an empty user population", () => {
    expect(() => new SessionMix({ ...base, users: 0 })).toThrow("users must be at least 1");
  });
});

describe("perUserPerMinute", () => {
  it("spreads the known users' share of the rate over them", () => {
    expect(perUserPerMinute(100, 1000, 0.05)).toBeCloseTo(5.7, 12);
    expect(perUserPerMinute(200, 1000, 0)).toBe(12);
  });
});
