// Edge config: files parse and merge in order; peak schedules follow local time across zones and DST; errors name file, line, key.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  activeSchedule,
  assembleConfig,
  type EdgeConfig,
  effectivePolicy,
  nextPeakStart,
  parseEdgeConfig,
  parseRegionFile,
  regionFor,
  regionIds,
  resolvePolicy,
} from "./schema.js";

const text = readFileSync(new URL("./defaults.jsonc", import.meta.url), "utf8");
const regionDir = new URL("./regions/", import.meta.url);
const regionFiles = readdirSync(regionDir).map((f) => ({
  region: f.replace(/\.jsonc$/, ""),
  file: `regions/${f}`,
  text: readFileSync(new URL(f, regionDir), "utf8"),
}));
const at = (iso: string) => Date.parse(iso);

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
  it("document every policy key inline with its default and allowed values", () => {
    for (const key of Object.keys(cfg.policy)) {
      const i = text.indexOf(`"${key}":`);
      const comment = text.slice(text.lastIndexOf('\n  "policy"', i), i).split("\n").slice(-3).join("\n");
      expect(comment, key).toMatch(/Default .*\n.*|Default /);
      expect(comment, key).toMatch(/Allowed/);
    }
  });
});

describe("assembled config (defaults + regions/*.jsonc)", () => {
  const cfg = assembleConfig({ text, file: "defaults.jsonc" }, regionFiles);
  const monNoonParis = at("2026-12-21T11:00:00Z");
  it("layers merge defaults < defaults row < region < region row < peak < peak row, and say who set what", () => {
    const custom = structuredClone(cfg) as EdgeConfig;
    const eu = custom.regions["eu-west"] as NonNullable<EdgeConfig["regions"][string]>;
    eu.rows = { trending: { freshSeconds: 90 } };
    (eu.peak as NonNullable<typeof eu.peak>).rows = { trending: { freshSeconds: 45 } };
    const base = resolvePolicy(custom, "eu-west", "trending", monNoonParis);
    expect([base.peak, base.policy.freshSeconds, base.policy.originTimeoutMs]).toEqual([false, 90, 600]);
    expect(base.sources.freshSeconds).toEqual({
      file: "edge-config/regions/eu-west.jsonc",
      key: "rows.trending.freshSeconds",
      value: 90,
    });
    expect(base.sources.originTimeoutMs?.key).toBe("policy.originTimeoutMs");
    expect(base.sources.kvCacheTtlSeconds).toEqual({
      file: "edge-config/defaults.jsonc",
      key: "policy.kvCacheTtlSeconds",
      value: 60,
    });
    const peak = resolvePolicy(custom, "eu-west", "trending", at("2026-12-21T19:00:00Z")); // 20:00 Paris
    expect([peak.peak, peak.schedule, peak.policy.freshSeconds, peak.policy.candidateDepth]).toEqual([
      true,
      "mon,tue,wed,thu,sun 19:00-23:00",
      45,
      250,
    ]);
    expect(peak.sources.candidateDepth?.key).toBe("peak.policy.candidateDepth");
    // The defaults row is beaten by the region row; a row the region does not name keeps the defaults row.
    expect(resolvePolicy(custom, "eu-west", "because-you-watched", monNoonParis).policy.candidateDepth).toBe(200);
  });
  it("a region without a file runs the defaults", () => {
    const onlyDefaults = assembleConfig({ text, file: "defaults.jsonc" }, []);
    expect(resolvePolicy(onlyDefaults, "eu-west", "top-picks", monNoonParis).policy).toEqual(
      effectivePolicy(onlyDefaults, "top-picks"),
    );
  });
  it("a region file for an unknown region names the file", () => {
    expect(() =>
      assembleConfig({ text, file: "defaults.jsonc" }, [{ region: "moon", file: "regions/moon.jsonc", text: "{}" }]),
    ).toThrow(
      'regions/moon.jsonc: no region "moon" in defaults.jsonc (regions: us-east, us-west, eu-west, ap-southeast)',
    );
  });
});

describe("peak schedules in local time", () => {
  const cfg = assembleConfig({ text, file: "defaults.jsonc" }, regionFiles);
  const profile = (region: string, iso: string) => resolvePolicy(cfg, region, "top-picks", at(iso)).peak;
  it("switch on at the local start and off at the local end (end exclusive)", () => {
    // Paris in winter is UTC+1: 19:00 local = 18:00Z.
    expect(profile("eu-west", "2026-12-21T17:59:00Z")).toBe(false);
    expect(profile("eu-west", "2026-12-21T18:00:00Z")).toBe(true);
    expect(profile("eu-west", "2026-12-21T21:59:00Z")).toBe(true);
    expect(profile("eu-west", "2026-12-21T22:00:00Z")).toBe(false);
  });
  it("the same instant is peak in one zone and not in another", () => {
    const t = "2026-12-21T12:30:00Z"; // 20:30 Singapore, 13:30 Paris, 07:30 New York
    expect([profile("ap-southeast", t), profile("eu-west", t), profile("us-east", t)]).toEqual([true, false, false]);
    const u = "2026-12-22T01:30:00Z"; // 20:30 New York (Mon), 17:30 Los Angeles
    expect([profile("us-east", u), profile("us-west", u)]).toEqual([true, false]);
  });
  it("a window crossing midnight belongs to the day it starts", () => {
    // Fri/Sat 19:00-01:00 in Paris: Saturday 00:30 is peak (Friday's window), Sunday 00:30 too (Saturday's),
    // Monday 00:30 is not (Sunday's window ends at 23:00).
    expect(profile("eu-west", "2026-12-25T23:30:00Z")).toBe(true); // Sat 00:30 local
    expect(profile("eu-west", "2026-12-27T00:00:00Z")).toBe(false); // Sun 01:00 local: end is exclusive
    expect(profile("eu-west", "2026-12-26T23:30:00Z")).toBe(true); // Sun 00:30 local
    expect(profile("eu-west", "2026-12-27T23:30:00Z")).toBe(false); // Mon 00:30 local
  });
  it("follows daylight-saving changes (Paris 2026-03-29, New York 2026-11-01)", () => {
    // Sunday 29 March 2026 Paris switches to UTC+2: 19:00 local is 17:00Z that day, 18:00Z the day before.
    expect(profile("eu-west", "2026-03-28T17:30:00Z")).toBe(false); // Sat 18:30 CET
    expect(profile("eu-west", "2026-03-28T18:00:00Z")).toBe(true); // Sat 19:00 CET
    expect(profile("eu-west", "2026-03-29T16:59:00Z")).toBe(false); // Sun 18:59 CEST
    expect(profile("eu-west", "2026-03-29T17:00:00Z")).toBe(true); // Sun 19:00 CEST
    // New York leaves UTC-4 on 1 November 2026: 23:30Z is 19:30 on 31 Oct (EDT) but 18:30 on 1 Nov (EST).
    expect(profile("us-east", "2026-10-31T23:30:00Z")).toBe(true);
    expect(profile("us-east", "2026-11-01T23:30:00Z")).toBe(false);
    expect(profile("us-east", "2026-11-02T00:00:00Z")).toBe(true);
  });
  it("nextPeakStart finds the next local opening within the horizon", () => {
    expect(nextPeakStart(cfg, "eu-west", at("2026-03-29T16:10:00Z"), 3_600_000)).toBe(at("2026-03-29T17:00:00Z"));
    expect(nextPeakStart(cfg, "eu-west", at("2026-03-29T15:00:00Z"), 3_600_000)).toBeNull();
    expect(nextPeakStart(cfg, "eu-west", at("2026-03-29T17:30:00Z"), 3_600_000)).toBeNull(); // already open
  });
  it("activeSchedule with an unknown weekday list fails validation instead", () => {
    const bad = '{ "peak": { "schedules": [{ "days": ["funday"], "start": "19:00", "end": "20:00" }] } }';
    expect(() => parseRegionFile(bad, "regions/x.jsonc")).toThrow(
      /^regions\/x\.jsonc:1: peak\.schedules\.0\.days\.0: /,
    );
    expect(activeSchedule({ schedules: [], policy: {}, rows: {} }, "UTC", 0)).toBeNull();
  });
});

describe("errors name the file, the line and the key", () => {
  it("a syntax error", () => {
    expect(() => parseEdgeConfig('{\n  "version": "x",\n  "policy": {,\n}', "bad.jsonc")).toThrow(/^bad\.jsonc:3: /);
  });
  it("a bad value", () => {
    const broken = text.replace('"freshSeconds": 300', '"freshSeconds": -5');
    const line = text.slice(0, text.indexOf('"freshSeconds": 300')).split("\n").length;
    expect(() => parseEdgeConfig(broken, "eu.jsonc")).toThrow(
      new RegExp(`^eu\\.jsonc:${line}: policy\\.freshSeconds: Too small`),
    );
  });
  it("a default region that does not exist", () => {
    const broken = text.replace('"defaultRegion": "eu-west"', '"defaultRegion": "moon"');
    const line = text.slice(0, text.indexOf('"defaultRegion"')).split("\n").length;
    expect(() => parseEdgeConfig(broken, "d.jsonc")).toThrow(`d.jsonc:${line}: defaultRegion: "moon" is not a region`);
  });
  it("an unknown (misspelt) key, with the allowed keys", () => {
    const rf = '{\n  "policy": {\n    "freshSecs": 10\n  }\n}';
    expect(() => parseRegionFile(rf, "regions/eu-west.jsonc")).toThrow(
      /^regions\/eu-west\.jsonc:3: policy\.freshSecs: unknown key \(allowed: kvCacheTtlSeconds, freshSeconds, /,
    );
  });
  it("a bad peak time and an unknown time zone", () => {
    const rf =
      '{\n  "peak": {\n    "schedules": [\n      { "days": ["mon"], "start": "7pm", "end": "23:00" }\n    ]\n  }\n}';
    expect(() => parseRegionFile(rf, "r.jsonc")).toThrow(
      "r.jsonc:4: peak.schedules.0.start: local time as HH:MM (00:00-24:00)",
    );
    const tz = text.replace('"Asia/Singapore"', '"Asia/Atlantis"');
    expect(() => parseEdgeConfig(tz, "d.jsonc")).toThrow(
      /d\.jsonc:\d+: regions\.ap-southeast\.timeZone: unknown IANA time zone "Asia\/Atlantis"/,
    );
  });
  it("a bad fallback list", () => {
    const rf = '{ "policy": { "fallback": ["popular", "popular"] } }';
    expect(() => parseRegionFile(rf, "r.jsonc")).toThrow("r.jsonc:1: policy.fallback: a list may appear once");
  });
});
