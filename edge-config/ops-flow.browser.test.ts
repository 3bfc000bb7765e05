// End to end for ops: publish a config with the CLI, serve traffic through the real worker, read /ops in headless Chromium.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_dev } from "wrangler";
import { createApp } from "../origin/src/app.js";
import { createGenerator } from "../origin/src/cf/index.js";
import { REPO_ROOT } from "../origin/src/kv-store.js";
import { OriginRows } from "../origin/src/rows.js";
import { generateSynthetic } from "../origin/src/synthetic.js";
import { run } from "./cli.js";
import { configVersion, loadConfigDir } from "./publish.js";

/** Debian's package (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "browser-test-token";
const present = existsSync(CHROMIUM);
if (!present) console.warn(`ops browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

describe.skipIf(!present)("ops page in a real browser", () => {
  let origin: ReturnType<typeof serve>;
  let worker: Awaited<ReturnType<typeof unstable_dev>>;
  const persist = mkdtempSync(join(tmpdir(), "frontrow-ops-"));

  beforeAll(async () => {
    const dataset = generateSynthetic({ seed: 7, users: 200, items: 400 });
    const generator = createGenerator("ease");
    generator.fit(dataset.interactions);
    origin = serve({
      fetch: createApp(new OriginRows(dataset, generator), { log: () => {} }).fetch,
      port: 0,
      hostname: "127.0.0.1",
    });
    await new Promise<void>((resolve, reject) => {
      origin.once("listening", () => resolve());
      origin.once("error", reject);
    });
    const out: string[] = [];
    expect(
      await run(
        ["publish", "--local", "--persist-to", persist],
        (s) => out.push(s),
        (s) => out.push(s),
      ),
    ).toBe(0);
    worker = await unstable_dev(join(REPO_ROOT, "worker/src/index.ts"), {
      config: join(REPO_ROOT, "wrangler.toml"),
      persistTo: persist,
      envFiles: [],
      ip: "127.0.0.1",
      port: 0,
      logLevel: "none",
      vars: {
        ORIGIN_URL: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
        ALLOW_CONTEXT_OVERRIDE: "true",
        OPS_TOKEN: TOKEN,
      },
      experimental: { disableExperimentalWarning: true, testMode: true },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    origin?.close();
    rmSync(persist, { recursive: true, force: true });
  });

  it("serves under the published config and charts the traffic per region", async () => {
    const version = await configVersion(loadConfigDir().cfg);
    // Personal lists are keyed by user, not region: each region gets its own users, so each has misses.
    const regions = { "eu-west": ["Europe/Paris", "1"], "us-east": ["America/New_York", "4"] };
    for (const [region, [tz, first]] of Object.entries(regions)) {
      const users = [0, 1, 2].map((i) => String(Number(first) + i));
      for (const user of [...users, ...users]) {
        const res = await worker.fetch(`/v1/recommendations/${user}?limit=5`, {
          headers: { "x-frontrow-region": region, "x-frontrow-timezone": tz },
        });
        const body = (await res.json()) as { config: { version: string }; items: unknown[] };
        expect([res.status, body.config.version, body.items.length]).toEqual([200, version, 5]);
      }
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      const denied = await page.goto(`http://127.0.0.1:${worker.port}/ops`);
      expect(denied?.status()).toBe(401);
      const res = await page.goto(`http://127.0.0.1:${worker.port}/ops?token=${TOKEN}`);
      expect(res?.status()).toBe(200);
      expect(await page.locator("body > p").first().textContent()).toContain(version);
      for (const region of Object.keys(regions)) {
        const card = page.locator(`section.region[data-region="${region}"]`);
        expect(await card.locator("p.meta").textContent()).toMatch(
          new RegExp(`^6 requests · model .* · config ${version}$`),
        );
        expect(await card.locator("svg.chart").count()).toBe(5);
        // Drawn, with data: the cache bar's segments add up to the requests and fill the chart's width.
        const segments = card.locator('svg[data-chart="cache"] rect[data-series]');
        const values = await segments.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-value"))));
        expect(values.reduce((a, b) => a + b, 0)).toBe(6);
        expect(await segments.evaluateAll((els) => els.map((e) => e.getAttribute("data-series")))).toEqual([
          "hit",
          "miss",
        ]);
        const widths = await segments.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
        expect(widths.every((w) => w > 0)).toBe(true);
        expect(Math.round(widths.reduce((a, b) => a + b, 0))).toBe(360);
        const fetches = card.locator('svg[data-chart="origin"] rect[data-series="fetches"]');
        expect(Number(await fetches.getAttribute("data-value"))).toBe(3);
        expect((await fetches.boundingBox())?.height ?? 0).toBeGreaterThan(0);
        const p99 = card.locator('svg[data-chart="latency"] rect[data-series="p99"]');
        expect((await p99.boundingBox())?.height ?? 0).toBeGreaterThan(0);
        const line = card.locator('svg[data-chart="requests"] polyline');
        expect(await line.getAttribute("data-value")).toBe("6");
      }
    } finally {
      await browser.close();
    }
  }, 60_000);
});
