// Remote KV store through a recorded wrangler runner: exact commands, base64 bulk files, temp files removed.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { KvEntry } from "./kv-entries.js";
import { openStore, remoteStore } from "./kv-store.js";

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
  });

  it("refuses --persist-to for remote targets", async () => {
    await expect(openStore({ mode: "remote", persistTo: "/tmp/x" })).rejects.toThrow(
      "--persist-to applies to local KV only",
    );
  });
});
