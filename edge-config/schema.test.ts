// Edge config: the shipped defaults parse; broken files fail naming the file, line or key.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { effectivePolicy, parseEdgeConfig, regionFor, regionIds } from "./schema.js";

const text = readFileSync(new URL("./defaults.jsonc", import.meta.url), "utf8");

describe("defaults", () => {
  const cfg = parseEdgeConfig(text, "defaults.jsonc");
  it("parse and keep region order", () => {
    expect(regionIds(cfg)).toEqual(["us-east", "us-west", "eu-west", "ap-southeast"]);
    expect(cfg.version).toBe("defaults-1");
  });
  it("merge row overrides over the policy", () => {
    expect(effectivePolicy(cfg, "trending").freshSeconds).toBe(120);
    expect(effectivePolicy(cfg, "top-picks").freshSeconds).toBe(300);
    expect(effectivePolicy(cfg, "because-you-watched").candidateDepth).toBe(200);
  });
  it("map colos before countries, else the default region", () => {
    expect(regionFor(cfg, "LAX", "US")).toBe("us-west");
    expect(regionFor(cfg, "XXX", "US")).toBe("us-east");
    expect(regionFor(cfg, undefined, "ZA")).toBe("eu-west");
  });
});

describe("errors", () => {
  it("names the line of a syntax error", () => {
    expect(() => parseEdgeConfig('{\n  "version": "x",\n  "policy": {,\n}', "bad.jsonc")).toThrow(/^bad\.jsonc:3: /);
  });
  it("names the key of a bad value", () => {
    const broken = text.replace('"freshSeconds": 300', '"freshSeconds": -5');
    expect(() => parseEdgeConfig(broken, "eu.jsonc")).toThrow(/^eu\.jsonc: policy\.freshSeconds: Too small/);
  });
  it("names a default region that does not exist", () => {
    const broken = text.replace('"defaultRegion": "eu-west"', '"defaultRegion": "moon"');
    expect(() => parseEdgeConfig(broken, "d.jsonc")).toThrow('d.jsonc: defaultRegion: "moon" is not a region');
  });
});
