// The isolate's profile cache over the real KV: holding time, problems, and what is cached.
import { env, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { UserProfile } from "../../core/features.js";
import { keys } from "../../core/keys.js";
import { GENRES, TAGS } from "../../core/vocab.js";
import { ProfileCache } from "../src/serving/profiles.js";

beforeEach(async () => {
  await reset();
});

function profile(watched: number[]): UserProfile {
  return {
    userId: "7",
    genreAffinity: GENRES.map((_, i) => (i === 0 ? 1 : 0)),
    tagAffinity: TAGS.map(() => 0),
    activity: watched.length,
    yearMean: null,
    popularityMean: null,
    watched,
    lastWatched: watched.at(-1) ?? null,
    updatedAt: 1_700_000_000_000,
  };
}

describe("ProfileCache", () => {
  it("holds a profile for the read's cacheTtlSeconds (KV's own edge staleness), then reads the republished one", async () => {
    let now = 1_000;
    const cache = new ProfileCache(100, () => now);
    await env.KV.put(keys.profile("7"), JSON.stringify(profile([1, 2])));
    const degraded: string[] = [];
    expect([...((await cache.get(env.KV, "7", degraded, 60))?.watched ?? [])]).toEqual([1, 2]);
    await env.KV.put(keys.profile("7"), JSON.stringify(profile([1, 2, 3])));
    now += 60_000;
    expect([...((await cache.get(env.KV, "7", degraded, 60))?.watched ?? [])]).toEqual([1, 2]);
    now += 1;
    expect([...((await cache.get(env.KV, "7", degraded, 300))?.watched ?? [])]).toEqual([1, 2]);
    expect([...((await cache.get(env.KV, "7", degraded, 60))?.watched ?? [])]).toEqual([1, 2, 3]);
    expect(degraded).toEqual([]);
  });

  it("caches a cold user (no profile in KV) for the same time", async () => {
    let now = 1_000;
    const cache = new ProfileCache(100, () => now);
    const degraded: string[] = [];
    expect(await cache.get(env.KV, "7", degraded, 30)).toBeNull();
    await env.KV.put(keys.profile("7"), JSON.stringify(profile([5])));
    expect(await cache.get(env.KV, "7", degraded, 30)).toBeNull();
    now += 30_001;
    expect([...((await cache.get(env.KV, "7", degraded, 30))?.watched ?? [])]).toEqual([5]);
  });

  it("does not cache a corrupt profile: the next request reads KV again", async () => {
    const cache = new ProfileCache(100, () => 1_000);
    await env.KV.put(keys.profile("7"), "{not json");
    const first: string[] = [];
    expect(await cache.get(env.KV, "7", first, 60)).toBeNull();
    expect(first).toEqual(["profile corrupt (not JSON)"]);
    await env.KV.put(keys.profile("7"), JSON.stringify(profile([9])));
    const second: string[] = [];
    expect([...((await cache.get(env.KV, "7", second, 60))?.watched ?? [])]).toEqual([9]);
    expect(second).toEqual([]);
  });

  it("drops the oldest entry past its capacity", async () => {
    let now = 1_000;
    const cache = new ProfileCache(2, () => now);
    for (const id of ["a", "b", "c"]) {
      await env.KV.put(keys.profile(id), JSON.stringify({ ...profile([1]), userId: id }));
      await cache.get(env.KV, id, [], 60);
    }
    for (const id of ["a", "b", "c"])
      await env.KV.put(keys.profile(id), JSON.stringify({ ...profile([2]), userId: id }));
    now += 1;
    const watched = async (id: string) => [...((await cache.get(env.KV, id, [], 60))?.watched ?? [])];
    expect(await watched("c")).toEqual([1]);
    expect(await watched("b")).toEqual([1]);
    expect(await watched("a")).toEqual([2]);
  });
});
