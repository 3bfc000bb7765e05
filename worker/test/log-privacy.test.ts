// No raw user id in logs: every console line written while requests degrade is captured and searched for the id.
import { env, reset } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keys } from "../../core/keys.js";
import { pseudonym } from "../src/privacy.js";
import {
  aged,
  DOWN,
  EU_EVENING,
  fault,
  harness,
  ORIGIN,
  publishModel,
  seed,
  seedUser,
  trainedModel,
} from "./helpers.js";

let lines: string[] = [];

beforeEach(async () => {
  await reset();
  lines = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The id as a token of its own (not a digit run inside a hash or a number). */
const rawId = (id: string) => new RegExp(`(?<![A-Za-z0-9_-])${id}(?![A-Za-z0-9_-])`);

async function get(user: string, origin: string): Promise<Response> {
  return harness().call(`/v1/recommendations/${user}?limit=5`, { headers: EU_EVENING }, { ORIGIN_URL: origin });
}

describe("logs carry a keyed pseudonym, never the user id", () => {
  it("a corrupt cached list, a corrupt profile, a failed revalidation and a remembered 404", async () => {
    await publishModel(trainedModel());
    // 187: a user the test origin knows. Corrupt list in KV, corrupt profile.
    await env.KV.put(keys.candidates("top-picks", "187", "eu-west"), new Uint8Array([70, 82, 67, 49, 0, 1, 2, 3]));
    await env.KV.put(keys.profile("187"), "{not json");
    expect((await get("187", fault("ok"))).status).toBe(200);
    // 188: a list past its freshness (300 s ± 10%) but inside stale-while-revalidate, the origin down: served
    // stale, and the background refresh fails.
    const key = keys.candidates("top-picks", "188", "eu-west");
    const bytes = await seed(key, "/v1/candidates/top-picks?user=188&region=eu-west&depth=500");
    await env.KV.put(key, aged(bytes, 1000));
    expect((await get("188", DOWN)).status).toBe(200);
    // 99999189: unknown to the origin (404), asked twice: the second answer cites the remembered key.
    const h = harness();
    for (let i = 0; i < 2; i++) {
      const res = await h.call("/v1/recommendations/99999189?limit=5", { headers: EU_EVENING }, { ORIGIN_URL: ORIGIN });
      expect(res.status).toBe(200);
    }
    const text = lines.join("\n");
    // The scenarios did log about each user (so the search below searched something)...
    for (const id of ["187", "188", "99999189"]) expect(text).toContain(await pseudonym(env, "user", id));
    expect(text).toContain('"event":"degraded"');
    expect(text).toContain('"event":"revalidate-failed"');
    expect(text).toContain(`cand:top-picks:user:${await pseudonym(env, "user", "187")}`);
    // ...and never named them.
    for (const id of ["187", "188", "99999189"]) expect(text).not.toMatch(rawId(id));
  });

  it("the pseudonym is keyed: another ID_HASH_KEY gives another one, so ids cannot be found by hashing 1, 2, 3", async () => {
    const a = await pseudonym(env, "user", "1");
    const b = await pseudonym({ ID_HASH_KEY: "another-key" }, "user", "1");
    expect(a).toMatch(/^u_[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(await pseudonym(env, "user", "1")).toBe(a);
  });

  it("a user with no list anywhere and the origin down: still no id in the log", async () => {
    await seedUser("190");
    await env.KV.delete(keys.candidates("top-picks", "190", "eu-west"));
    expect((await get("190", DOWN)).status).toBe(200);
    const text = lines.join("\n");
    expect(text).toContain(await pseudonym(env, "user", "190"));
    expect(text).not.toMatch(rawId("190"));
  });
});
