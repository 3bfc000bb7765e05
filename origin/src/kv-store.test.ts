// Remote KV store through a recorded wrangler runner: exact commands, base64 bulk files, metadata, listing, temp files removed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KvEntry } from "./kv-entries.js";
import { openLocalStore, openStore, remoteStore } from "./kv-store.js";

describe("remoteStore", () => {
  it("bulk-puts through wrangler with base64 for binary values and removes its files", async () => {
    const calls: string[][] = [];
    const files: { path: string; body: unknown }[] = [];
    const store = remoteStore({ mode: "remote", env: "dev" }, (args) => {
      calls.push(args);
      if (args[1] === "bulk")
        files.push({ path: args[3] as string, body: JSON.parse(readFileSync(args[3] as string, "utf8")) });
      return Buffer.from("Success!");
    });
    const entries: KvEntry[] = [
      { key: "catalog", value: Uint8Array.from([1, 2, 250]), kind: "catalog" },
      { key: "profile:1", value: '{"userId":"1"}', kind: "profile" },
    ];
    await store.putAll(entries);
    expect(calls).toEqual([
      ["kv", "bulk", "put", files[0]?.path, "--binding", "KV", "--remote", "--preview", "false", "--env", "dev"],
    ]);
    expect(files[0]?.body).toEqual([
      { key: "catalog", value: "AQL6", base64: true },
      { key: "profile:1", value: '{"userId":"1"}' },
    ]);
    expect(existsSync(files[0]?.path as string)).toBe(false);
    expect(store.description).toBe("remote KV (env dev)");
  });

  it("reads a key only if listing shows it (wrangler prints a message for missing keys)", async () => {
    const calls: string[][] = [];
    const store = remoteStore({ mode: "remote" }, (args) => {
      calls.push(args);
      if (args[2] === "list") return Buffer.from(args[4] === "model:a:onnx" ? '[{"name":"model:a:onnx"}]' : "[]");
      return Buffer.from([9, 8, 7]);
    });
    expect(await store.get("model:a:onnx")).toEqual(Uint8Array.from([9, 8, 7]));
    expect(await store.get("model:b:onnx")).toBeNull();
    expect(calls.map((c) => c.slice(0, 5).join(" "))).toEqual([
      "kv key list --prefix model:a:onnx",
      "kv key get model:a:onnx --binding",
      "kv key list --prefix model:b:onnx",
    ]);
    await store.delete("model:active:us-east");
    expect(calls.at(-1)).toEqual([
      "kv",
      "key",
      "delete",
      "model:active:us-east",
      "--binding",
      "KV",
      "--remote",
      "--preview",
      "false",
    ]);
  });

  it("writes KV metadata through the bulk file and lists a prefix with its metadata", async () => {
    const calls: string[][] = [];
    const files: unknown[] = [];
    const store = remoteStore({ mode: "remote" }, (args) => {
      calls.push(args);
      if (args[1] === "bulk") files.push(JSON.parse(readFileSync(args[3] as string, "utf8")));
      if (args[2] === "list")
        return Buffer.from(
          JSON.stringify([
            { name: "model:a:manifest", metadata: { publishedAt: "2026-11-25T12:00:00.000Z" } },
            { name: "model:a:onnx" },
            { name: "model:active", expiration: 1 },
          ]),
        );
      return Buffer.from("Success!");
    });
    await store.putAll([
      { key: "model:a:manifest", value: "{}", kind: "model:manifest", metadata: { sha256: "ab" } },
      { key: "model:active", value: "{}", kind: "model:active" },
    ]);
    expect(files).toEqual([
      [
        { key: "model:a:manifest", value: "{}", metadata: { sha256: "ab" } },
        { key: "model:active", value: "{}" },
      ],
    ]);
    expect(await store.list("model:")).toEqual([
      { name: "model:a:manifest", metadata: { publishedAt: "2026-11-25T12:00:00.000Z" } },
      { name: "model:a:onnx" },
      { name: "model:active" },
    ]);
    expect(calls.at(-1)).toEqual([
      "kv",
      "key",
      "list",
      "--prefix",
      "model:",
      "--binding",
      "KV",
      "--remote",
      "--preview",
      "false",
    ]);
  });

  it("refuses --persist-to for remote targets", async () => {
    await expect(openStore({ mode: "remote", persistTo: "/tmp/x" })).rejects.toThrow(
      "--persist-to applies to local KV only",
    );
  });
});

describe("local store", () => {
  it("keeps metadata and lists a prefix across cursor pages (KV returns at most 1,000 keys a page)", async () => {
    const root = mkdtempSync(join(tmpdir(), "frontrow-kv-store-test-"));
    try {
      const store = await openLocalStore({ mode: "local", persistTo: root });
      try {
        const entries = Array.from({ length: 1005 }, (_, i) => ({
          key: `model:v${String(i).padStart(4, "0")}:manifest`,
          value: "{}",
          kind: "model:manifest",
          ...(i % 500 === 0 ? { metadata: { publishedAt: `t${i}` } } : {}),
        }));
        await store.putAll([...entries, { key: "other", value: "x", kind: "catalog" }]);
        const listed = await store.list("model:");
        expect(listed.map((k) => k.name)).toEqual(entries.map((e) => e.key));
        expect(listed.filter((k) => k.metadata !== undefined)).toEqual([
          { name: "model:v0000:manifest", metadata: { publishedAt: "t0" } },
          { name: "model:v0500:manifest", metadata: { publishedAt: "t500" } },
          { name: "model:v1000:manifest", metadata: { publishedAt: "t1000" } },
        ]);
        expect(await store.list("nothing:")).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
