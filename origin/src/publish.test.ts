// publish() end to end into a throwaway local KV state (the one `wrangler dev --persist-to` would read).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { UserProfileSchema } from "../../core/features.js";
import { openLocalStore } from "./kv-store.js";
import { writeModelFixture } from "./model-fixture.js";
import { publish } from "./publish.js";

const root = mkdtempSync(join(tmpdir(), "frontrow-publish-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const persistTo = join(root, "state");
const target = { mode: "local" as const, persistTo };
const small = { users: 12, items: 40, seed: 4, depth: 15, log: () => {} };
const model = (name: string, bytes: number[], version = "v1") =>
  writeModelFixture(mkdtempSync(join(root, `${name}-`)), Uint8Array.from(bytes), version);

async function read(keys: string[]): Promise<Map<string, Uint8Array | null>> {
  const store = await openLocalStore(target);
  try {
    const out = new Map<string, Uint8Array | null>();
    for (const k of keys) out.set(k, await store.get(k));
    return out;
  } finally {
    await store.close();
  }
}

describe("publish to local KV", () => {
  it("writes lists, profiles, catalogue, model and pointer that read back intact", async () => {
    const dir = await model("m1", [1, 2, 3, 200, 255]);
    const result = await publish({ ...small, target, modelDir: dir });
    expect(result.written).toHaveLength(12 * 3 + 4 * 2 + 1 + 3);
    const got = await read([
      "cand:top-picks:user:4",
      "profile:4",
      "catalog",
      "model:v1:onnx",
      "model:v1:manifest",
      "model:active",
    ]);
    const list = decodeCandidateList(got.get("cand:top-picks:user:4") as Uint8Array);
    expect(list.header.scope).toBe("user:4");
    expect(list.size).toBe(15);
    expect(
      UserProfileSchema.parse(JSON.parse(new TextDecoder().decode(got.get("profile:4") as Uint8Array))).userId,
    ).toBe("4");
    expect(decodeCandidateList(got.get("catalog") as Uint8Array).size).toBe(40);
    expect([...(got.get("model:v1:onnx") as Uint8Array)]).toEqual([1, 2, 3, 200, 255]);
    expect(JSON.parse(new TextDecoder().decode(got.get("model:active") as Uint8Array)).version).toBe("v1");
  }, 30_000);

  it("leaves an identical model version alone and refuses different bytes under the same version", async () => {
    const same = await publish({ ...small, target, modelDir: await model("m2", [1, 2, 3, 200, 255]) });
    expect(same.unchanged).toEqual(["model:v1:onnx", "model:v1:manifest"]);
    const before = await read(["catalog"]);
    await expect(publish({ ...small, target, modelDir: await model("m3", [1, 2, 3, 200, 254]) })).rejects.toThrow(
      "model:v1:onnx already holds different bytes (5 stored, 5 new): model versions are immutable, publish this model under a new version",
    );
    // Nothing was written by the refused run.
    expect(await read(["catalog"])).toEqual(before);
  }, 30_000);
});
