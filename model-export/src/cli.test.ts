// The model CLI end to end against a memory store: help, exit codes, deterministic training, the publish/activate/rollback flow, bad input.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "../../core/features.js";
import { type CliIo, runCli } from "./cli.js";
import { MemoryStore } from "./memory-store.js";

const FIXTURES = new URL("../../worker/test/fixtures/onnx/", import.meta.url).pathname;
const SCHEMAS = new URL("../fixtures/byom/", import.meta.url).pathname;

function session(progress = false) {
  const out: string[] = [];
  const err: string[] = [];
  const bar: string[] = [];
  const store = new MemoryStore();
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: progress ? (t) => bar.push(t) : undefined,
    openStore: async () => store,
    now: () => new Date("2026-11-25T12:00:00Z"),
  };
  const run = (...argv: string[]) => runCli(argv, io);
  return { out, err, bar, store, run };
}

const tmp = () => mkdtempSync(join(tmpdir(), "frontrow-cli-"));
const SMALL = ["--users", "80", "--items", "120", "--epochs", "2", "--seed", "5", "--no-evaluate"];
const FIXED = ["--created-at", "2026-11-25T00:00:00Z"];
// These tests check what validation decides, not how fast a shared machine runs ORT: 1 s per 1,000 candidates
// keeps the timing budget out of their outcome (validate.test.ts tests the budget check itself).
const UNTIMED = ["--max-ms", "1000"];

describe("help and usage errors", () => {
  it("every command answers --help with its usage and exit 0", async () => {
    for (const cmd of [
      "train",
      "evaluate",
      "export",
      "validate",
      "publish",
      "activate",
      "rollback",
      "list",
      "import",
    ]) {
      const s = session();
      expect(await s.run(cmd, "--help")).toBe(0);
      expect(s.out.join("\n")).toMatch(new RegExp(`^usage: npm run model -- ${cmd}`));
    }
    const s = session();
    expect(await s.run("--help")).toBe(0);
    expect(s.out[0]).toMatch(/^usage: npm run model -- <command>/);
  });

  it("exits 2 on no command, an unknown command or option, and a bad value", async () => {
    const s = session();
    expect(await s.run()).toBe(2);
    expect(await s.run("deploy")).toBe(2);
    expect(s.err[0]).toMatch(/^error: unknown command "deploy"/);
    expect(await s.run("train", "--epoch", "3")).toBe(2);
    expect(s.err[1]).toMatch(/^error: Unknown option '--epoch'/);
    expect(await s.run("train", "--seed", "x1")).toBe(2);
    expect(s.err[2]).toMatch(/^error: --seed: "x1" is not an integer >= 0/);
    expect(await s.run("activate", "bad version!")).toBe(2);
    expect(await s.run("publish", "--local", "--remote", "x")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --local and --remote exclude each other/);
  });
});

describe("train and export", () => {
  it("--teachers N distils the model from N nets: deterministic, reported, a different model", async () => {
    const dir = tmp();
    const s = session();
    const args = [...SMALL, ...FIXED, "--no-variant", "--teachers", "2"];
    expect(await s.run("train", ...args, "--out", join(dir, "a"))).toBe(0);
    expect(await s.run("train", ...args, "--out", join(dir, "b"))).toBe(0);
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--out", join(dir, "plain"))).toBe(0);
    const onnx = (d: string) => readFileSync(join(dir, d, "model.onnx"));
    expect(onnx("b")).toEqual(onnx("a"));
    expect(onnx("plain")).not.toEqual(onnx("a"));
    const report = JSON.parse(readFileSync(join(dir, "a", "report.json"), "utf8"));
    expect(report.fit.teachers).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, "plain", "report.json"), "utf8")).fit.teachers).toBe(0);
    for (const t of ["1/2", "2/2"])
      expect(
        s.out.filter((l) => new RegExp(`^teacher ${t}: epoch [12] kept, validation NDCG@10 \\d\\.\\d{4}$`).test(l)),
      ).toHaveLength(2);
    expect(await s.run("train", ...SMALL, "--teachers", "x", "--out", join(dir, "bad"))).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --teachers: "x" is not an integer >= 0/);
    expect(existsSync(join(dir, "bad"))).toBe(false);
  }, 60_000);

  it("--ema D keeps the weights' moving average: reported, a different model; bad values exit 2", async () => {
    const dir = tmp();
    const s = session();
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--ema", "0.9", "--out", join(dir, "a"))).toBe(0);
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--out", join(dir, "plain"))).toBe(0);
    const read = (d: string) => JSON.parse(readFileSync(join(dir, d, "report.json"), "utf8"));
    expect([read("a").fit.ema, read("plain").fit.ema]).toEqual([0.9, 0]);
    expect(readFileSync(join(dir, "a", "model.onnx"))).not.toEqual(readFileSync(join(dir, "plain", "model.onnx")));
    for (const bad of ["1", "1.5", "NaN", "x", ""]) {
      expect(await s.run("train", ...SMALL, "--ema", bad, "--out", join(dir, "bad"))).toBe(2);
      expect(s.err.at(-1)).toMatch(new RegExp(`^error: --ema: "${bad}" is not a number in \\[0, 1\\)`));
    }
    expect(existsSync(join(dir, "bad"))).toBe(false);
  }, 60_000);

  it("--swa E keeps the mean of the weights from epoch E: reported, a different model; bad values exit 2", async () => {
    const dir = tmp();
    const s = session();
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--swa", "1", "--out", join(dir, "a"))).toBe(0);
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--out", join(dir, "plain"))).toBe(0);
    const read = (d: string) => JSON.parse(readFileSync(join(dir, d, "report.json"), "utf8"));
    expect([read("a").fit.swa, read("plain").fit.swa, read("a").bestEpoch]).toEqual([1, 0, 2]);
    expect(readFileSync(join(dir, "a", "model.onnx"))).not.toEqual(readFileSync(join(dir, "plain", "model.onnx")));
    // 0 is train's default, none: the same bytes as no --swa.
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--swa", "0", "--out", join(dir, "zero"))).toBe(0);
    expect(read("zero").fit.swa).toBe(0);
    expect(readFileSync(join(dir, "zero", "model.onnx"))).toEqual(readFileSync(join(dir, "plain", "model.onnx")));
    for (const bad of ["1.5", "x", ""]) {
      expect(await s.run("train", ...SMALL, "--swa", bad, "--out", join(dir, "bad"))).toBe(2);
      expect(s.err.at(-1)).toMatch(new RegExp(`^error: --swa: "${bad}" is not an integer >= 0`));
    }
    expect(await s.run("train", ...SMALL, "--swa", "3", "--out", join(dir, "bad"))).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --swa: epoch 3 is past the last epoch \(2\); give --epochs N >= 3/);
    expect(await s.run("train", ...SMALL, "--swa", "1", "--ema", "0.9", "--out", join(dir, "bad"))).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --ema and --swa exclude each other/);
    expect(existsSync(join(dir, "bad"))).toBe(false);
  }, 60_000);

  it("--ease-lambda and --session-weight: bad values and a generator they do not apply to exit 2", async () => {
    const s = session();
    const dir = tmp();
    expect(await s.run("train", ...SMALL, "--session-weight=-1", "--out", join(dir, "bad"))).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --session-weight: "-1" is not a number >= 0/);
    expect(await s.run("evaluate", "--ease-lambda", "0", "--out", join(dir, "bad"))).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --ease-lambda: "0" is not a positive number/);
    expect(
      await s.run("train", ...SMALL, "--generator", "itemknn", "--session-weight", "1", "--out", join(dir, "bad")),
    ).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --ease-lambda and --session-weight apply to --generator ease only/);
    expect(existsSync(join(dir, "bad"))).toBe(false);
  });

  it("is deterministic under --seed and writes model, manifest and report; progress bar or plain lines", async () => {
    const dir = tmp();
    const a = session(true);
    const b = session(false);
    expect(await a.run("train", ...SMALL, ...FIXED, "--out", join(dir, "a"))).toBe(0);
    expect(await b.run("train", ...SMALL, ...FIXED, "--out", join(dir, "b"))).toBe(0);
    for (const f of ["model.onnx", "manifest.json"])
      expect(readFileSync(join(dir, "a", f))).toEqual(readFileSync(join(dir, "b", f)));
    const report = JSON.parse(readFileSync(join(dir, "a", "report.json"), "utf8"));
    expect(report.history).toHaveLength(2);
    expect(report.manifest.training.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // A terminal gets a redrawn bar and no epoch lines; a pipe gets one line per epoch.
    expect(a.bar.join("")).toContain("[########################] epoch 2/2  loss ");
    expect(a.out.some((l) => l.startsWith("epoch "))).toBe(false);
    expect(b.out.filter((l) => l.startsWith("epoch "))).toHaveLength(2);
    expect(b.bar).toEqual([]);

    const c = session();
    expect(
      await c.run("export", "--from", join(dir, "a"), "--out", join(dir, "x"), "--version", "syn-x", ...FIXED),
    ).toBe(0);
    expect(readFileSync(join(dir, "x", "model.onnx"))).toEqual(readFileSync(join(dir, "a", "model.onnx")));
    const exported = JSON.parse(readFileSync(join(dir, "x", "manifest.json"), "utf8"));
    const trained = JSON.parse(readFileSync(join(dir, "a", "manifest.json"), "utf8"));
    expect(exported).toEqual({ ...trained, version: "syn-x" });
    expect(exported.training.metrics.ndcg10Model).toBeGreaterThan(0);

    // The trained artifact goes through validate, publish, activate, list and rollback.
    expect(await c.run("validate", join(dir, "x"), ...UNTIMED)).toBe(0);
    expect(c.out.at(-1)).toMatch(
      /^model syn-x: valid\n[\s\S]*\n {2}1,000 candidates: [\d.]+ ms onnxruntime-web.*\n {2}edge engine: wasm-dense kernel \(scores equal onnxruntime-web's bit for bit; first layer planned: genre indicators as mask bits, per-request columns once per call\)$/,
    );
    expect(await c.run("publish", join(dir, "x"), ...UNTIMED)).toBe(0);
    expect(await c.run("publish", join(dir, "a"), ...UNTIMED)).toBe(0);
    expect(await c.run("activate", "syn-x")).toBe(0);
    expect(await c.run("activate", trained.version)).toBe(0);
    expect(await c.run("activate", "syn-x", "--region", "us-east")).toBe(0);
    expect(await c.run("publish", join(dir, "x"), ...UNTIMED)).toBe(2);
    expect(c.err.at(-1)).toMatch(/^error: model syn-x is already published/);
    expect(await c.run("rollback")).toBe(0);
    expect(c.out.at(-1)).toBe(`model:active: ${trained.version} -> syn-x (rolled back)`);
    expect(await c.run("list", "--json")).toBe(0);
    const listing = JSON.parse(c.out.at(-1) as string);
    expect(listing.versions.map((v: { version: string; activeIn: string[] }) => [v.version, v.activeIn])).toEqual([
      ["syn-x", ["global", "us-east"]],
      [trained.version, []],
    ]);
    expect(listing.versions[0].metrics.ndcg10Model).toBe(exported.training.metrics.ndcg10Model);
  }, 60_000);

  it("offers a pruned variant only within 0.5% NDCG@10, and export picks it with --variant pruned", async () => {
    const dir = tmp();
    const s = session();
    expect(await s.run("train", ...SMALL, ...FIXED, "--out", join(dir, "t"))).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "t", "report.json"), "utf8"));
    const v = report.variant;
    expect(v.hidden).toEqual([16, 8]);
    expect(v.macsPerCandidate).toEqual({
      full: FEATURE_COUNT * 32 + 32 * 16 + 16,
      variant: FEATURE_COUNT * 16 + 16 * 8 + 8,
    });
    expect(v.onnxBytes.variant).toBeLessThan(v.onnxBytes.full);
    expect(v.speed.rows).toBe(500);
    expect(v.offered).toBe(
      v.ndcg10.variant >= v.ndcg10.full * 0.995 && v.ndcg10.variantWindow >= v.ndcg10.fullWindow * 0.995,
    );
    expect(s.out.some((l) => l.startsWith("variant (pruned to 16-8 hidden units): "))).toBe(true);
    expect(existsSync(join(dir, "t", "pruned", "model.onnx"))).toBe(v.offered);
    // This seed's variant is within tolerance (it is level or better on both protocols).
    expect(v.offered).toBe(true);
    expect(await s.run("export", "--from", join(dir, "t"), "--variant", "pruned", "--out", join(dir, "p"))).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, "p", "manifest.json"), "utf8"));
    expect(m.training.prunedFrom).toBe(report.manifest.version);
    expect(m.training.trainer).toMatch(new RegExp(`^mlp ${FEATURE_COUNT}-16-8-1 `));
    expect(await s.run("validate", join(dir, "p"), ...UNTIMED)).toBe(0);
    // --no-variant skips it, and a rerun into the same directory removes a stale variant.
    expect(await s.run("train", ...SMALL, ...FIXED, "--no-variant", "--out", join(dir, "t"))).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "t", "report.json"), "utf8")).variant).toBeNull();
    expect(existsSync(join(dir, "t", "pruned"))).toBe(false);
    expect(await s.run("export", "--from", join(dir, "t"), "--variant", "pruned", "--out", join(dir, "q"))).toBe(2);
    expect(s.err.at(-1)).toBe(
      `error: ${join(dir, "t", "pruned")}: no pruned variant; \`train\` writes one only when it keeps NDCG@10 within 0.5% of the full model (see ${join(dir, "t", "report.json")} "variant")`,
    );
  }, 60_000);

  it("export refuses a directory that train did not write", async () => {
    const dir = tmp();
    const s = session();
    expect(
      await s.run(
        "import",
        "--model",
        `${FIXTURES}mlp_layernorm.onnx`,
        "--schema",
        `${SCHEMAS}mlp_layernorm.schema.json`,
        "--out",
        dir,
        "--dry-run",
        ...UNTIMED,
      ),
    ).toBe(0);
    expect(await s.run("export", "--from", dir, "--out", join(dir, "o"))).toBe(2);
    expect(s.err.at(-1)).toBe(
      `error: ${join(dir, "manifest.json")} field "training.dataset": missing; export needs a model from \`train\``,
    );
  });
});

describe("import", () => {
  it("imports, validates and publishes both PyTorch fixtures", async () => {
    const s = session();
    for (const name of ["mlp_layernorm", "crossnet_context"]) {
      expect(
        await s.run(
          "import",
          "--model",
          `${FIXTURES}${name}.onnx`,
          "--schema",
          `${SCHEMAS}${name}.schema.json`,
          ...FIXED,
          ...UNTIMED,
        ),
      ).toBe(0);
    }
    expect(s.out.filter((l) => l.startsWith("published "))).toEqual([
      "published torch-mlp-layernorm-1 to memory store (model:torch-mlp-layernorm-1:onnx, model:torch-mlp-layernorm-1:manifest)",
      "published torch-crossnet-context-1 to memory store (model:torch-crossnet-context-1:onnx, model:torch-crossnet-context-1:manifest)",
    ]);
    expect(s.store.json("model:torch-crossnet-context-1:manifest")).toEqual(
      JSON.parse(readFileSync(`${SCHEMAS}crossnet_context.manifest.json`, "utf8")),
    );
  });

  it("a schema that does not match the model publishes nothing", async () => {
    const dir = tmp();
    const schema = join(dir, "s.json");
    writeFileSync(schema, readFileSync(`${SCHEMAS}mlp_layernorm.schema.json`, "utf8"));
    const s = session();
    expect(
      await s.run("import", "--model", `${FIXTURES}crossnet_context.onnx`, "--schema", schema, "--out", join(dir, "o")),
    ).toBe(2);
    expect(s.err[0]).toContain(`error: ${schema} field "inputs.0": input "features" is not a graph input of`);
    expect(s.store.writes).toEqual([]);
    expect(existsSync(join(dir, "o"))).toBe(false);
  });

  it("a file that is not ONNX is refused", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "m.onnx"), "PK\u0003\u0004 definitely a zip");
    const s = session();
    expect(
      await s.run("import", "--model", join(dir, "m.onnx"), "--schema", `${SCHEMAS}mlp_layernorm.schema.json`),
    ).toBe(2);
    expect(s.err[0]).toMatch(new RegExp(`^error: ${join(dir, "m.onnx")}: not an ONNX model`));
    expect(s.store.writes).toEqual([]);
  });
});

/** The PyTorch cross network with its import schema: an item input and a broadcast context input. */
const crossnet = ["--model", `${FIXTURES}crossnet_context.onnx`, "--schema", `${SCHEMAS}crossnet_context.schema.json`];

describe("evaluate a given model", () => {
  const WORLD = ["--users", "80", "--items", "120"];

  it("scores an imported model (item input + broadcast context) and says the result is not clean", async () => {
    const out = join(tmp(), "eval");
    const s = session();
    expect(await s.run("evaluate", ...crossnet, ...WORLD, "--protocol", "random", "--out", out)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "evaluation.json"), "utf8"));
    expect(report.model).toMatchObject({ version: "torch-crossnet-context-1", kind: "imported", fallbacks: 0 });
    expect(report.model.caveat).toMatch(/^not a clean protocol result: this model was not trained on each protocol/);
    expect(report.results.map((r: { protocol: string }) => r.protocol)).toEqual(["random"]);
    expect(s.out).toContain(`model torch-crossnet-context-1 as given: ${report.model.caveat}`);
    expect(readFileSync(join(out, "evaluation.html"), "utf8")).toContain(
      "<b>Model as given: torch-crossnet-context-1</b>",
    );

    // The same model from an artifact directory (what import --out writes): the same numbers.
    const dir = join(tmp(), "artifact");
    expect(await s.run("import", ...crossnet, "--out", dir, "--dry-run", ...FIXED, ...UNTIMED)).toBe(0);
    const out2 = join(tmp(), "eval2");
    expect(await s.run("evaluate", "--model-dir", dir, ...WORLD, "--protocol", "random", "--out", out2)).toBe(0);
    const again = JSON.parse(readFileSync(join(out2, "evaluation.json"), "utf8"));
    expect(again.model).toMatchObject({
      kind: "artifact",
      files: [join(dir, "model.onnx"), join(dir, "manifest.json")],
    });
    expect(again.results[0].evaluation).toEqual(report.results[0].evaluation);
    expect(s.store.writes).toEqual([]);
  }, 60_000);

  it("bad input: the errors import and validate give, exit 2, nothing written", async () => {
    const dir = tmp();
    const out = join(dir, "eval");
    writeFileSync(join(dir, "m.onnx"), "PK\u0003\u0004 definitely a zip");
    const s = session();
    const evaluate = (...args: string[]) => s.run("evaluate", ...args, ...WORLD, "--out", out);
    expect(await evaluate("--model", join(dir, "m.onnx"), "--schema", `${SCHEMAS}mlp_layernorm.schema.json`)).toBe(2);
    expect(s.err.at(-1)).toMatch(new RegExp(`^error: ${join(dir, "m.onnx")}: not an ONNX model`));
    expect(
      await evaluate("--model", `${FIXTURES}crossnet_context.onnx`, "--schema", `${SCHEMAS}mlp_layernorm.schema.json`),
    ).toBe(2);
    expect(s.err.at(-1)).toContain(
      `error: ${SCHEMAS}mlp_layernorm.schema.json field "inputs.0": input "features" is not a graph input of`,
    );
    // A model validate refuses (NaN scores) is refused here too.
    const nanSchema = join(dir, "nan.schema.json");
    writeFileSync(
      nanSchema,
      JSON.stringify({
        version: "nan-1",
        output: "score",
        inputs: [{ name: "features", features: ["cf_score", "cf_rank", "popularity", "title_age"] }],
      }),
    );
    expect(await evaluate("--model", `${FIXTURES}nan_score.onnx`, "--schema", nanSchema)).toBe(2);
    expect(s.err.at(-1)?.split("\n").slice(0, 2)).toEqual([
      "error: model nan-1: INVALID (10 problems)",
      `  problem: ${FIXTURES}nan_score.onnx: score 0 of 50 is NaN on golden tv (onnxruntime-node)`,
    ]);
    expect(await evaluate("--model-dir", join(dir, "missing"))).toBe(2);
    expect(s.err.at(-1)).toBe(`error: ${join(dir, "missing", "model.onnx")}: cannot read file (ENOENT)`);
    expect(await evaluate("--model", `${FIXTURES}crossnet_context.onnx`)).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --model and --schema go together \(or give --model-dir\)/);
    expect(await evaluate(...crossnet, "--model-dir", dir)).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: give --model-dir, or --model with --schema, not both/);
    expect(await evaluate(...crossnet, "--epochs", "2")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --epochs applies to re-rankers evaluate trains/);
    expect(await evaluate(...crossnet, "--teachers", "2")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --teachers applies to re-rankers evaluate trains/);
    expect(await evaluate(...crossnet, "--ema", "0.9")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --ema applies to re-rankers evaluate trains/);
    expect(await evaluate(...crossnet, "--swa", "1")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --swa applies to re-rankers evaluate trains/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe("evaluate across seeds", () => {
  const WORLD = ["--users", "80", "--items", "120", "--protocol", "random"];

  it("--seeds runs once per seed and summarises the gain; each run equals the same --seed alone", async () => {
    const out = join(tmp(), "eval");
    const s = session();
    expect(await s.run("evaluate", ...crossnet, ...WORLD, "--seeds", "2,3", "--out", out)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "evaluation.json"), "utf8"));
    expect(report.seeds).toEqual([2, 3]);
    expect(report.runs.map((r: { seed: number }) => r.seed)).toEqual([2, 3]);
    const [r2, r3] = report.runs.map(
      (r: { results: { headline: Record<string, { ndcg10: number }> }[] }) => r.results[0]?.headline,
    );
    const [g2, g3] = [r2.model.ndcg10 - r2.origin.ndcg10, r3.model.ndcg10 - r3.origin.ndcg10];
    expect(report.summary).toHaveLength(1);
    const summary = report.summary[0];
    expect(summary.protocol).toBe("random");
    expect(summary.origin).toEqual([r2.origin.ndcg10, r3.origin.ndcg10]);
    expect(summary.gain.perSeed).toEqual([g2, g3]);
    expect(summary.gain.mean).toBeCloseTo((g2 + g3) / 2, 15);
    expect(summary.gain.sd).toBeCloseTo(Math.abs(g2 - g3) / Math.SQRT2, 15);
    // The split differs per seed, so the two runs' origin order scores do too.
    expect(r2.origin.ndcg10).not.toBe(r3.origin.ndcg10);
    expect(s.out.find((l) => l.startsWith("random, seeds 2, 3: re-ranker - origin NDCG@10 "))).toMatch(
      /mean, s\.d\. \d\.\d{4}, s\.e\. \d\.\d{4} across seeds; per seed 2: [+-]\d+\.\d%, 3: [+-]\d+\.\d%$/,
    );
    const html = readFileSync(join(out, "evaluation.html"), "utf8");
    expect(html).toContain("seeds 2, 3, 500 origin candidates per user");
    expect(html.match(/<h2>seed \d: random<\/h2>/g)).toEqual(["<h2>seed 2: random</h2>", "<h2>seed 3: random</h2>"]);

    const single = join(tmp(), "eval3");
    expect(await s.run("evaluate", ...crossnet, ...WORLD, "--seed", "3", "--out", single)).toBe(0);
    const alone = JSON.parse(readFileSync(join(single, "evaluation.json"), "utf8"));
    expect(alone.seed).toBe(3);
    expect(alone.results[0].evaluation).toEqual(report.runs[1].results[0].evaluation);
  }, 120_000);

  it("--teachers reaches each protocol's re-ranker and the report says so", async () => {
    const s = session();
    const small = ["--users", "80", "--items", "120", "--epochs", "1", "--protocol", "random"];
    const dirs = [join(tmp(), "plain"), join(tmp(), "distilled")];
    expect(await s.run("evaluate", ...small, "--out", dirs[0] as string)).toBe(0);
    expect(await s.run("evaluate", ...small, "--teachers", "2", "--out", dirs[1] as string)).toBe(0);
    const [plain, distilled] = dirs.map((d) => JSON.parse(readFileSync(join(d, "evaluation.json"), "utf8")));
    expect([plain.teachers, distilled.teachers]).toEqual([0, 2]);
    expect(distilled.results[0].headline.origin).toEqual(plain.results[0].headline.origin);
    expect(distilled.results[0].headline.model).not.toEqual(plain.results[0].headline.model);
    expect(s.out.filter((l) => /^teacher [12]\/2: epoch 1 kept/.test(l))).toHaveLength(2);
    expect(readFileSync(join(dirs[1] as string, "evaluation.html"), "utf8")).toContain(
      "500 origin candidates per user, re-rankers distilled from 2 nets each.",
    );
    expect(readFileSync(join(dirs[0] as string, "evaluation.html"), "utf8")).not.toContain("distilled");
  }, 60_000);

  it("--ema reaches each protocol's re-ranker and the report says so", async () => {
    const s = session();
    const small = ["--users", "80", "--items", "120", "--epochs", "1"];
    const dirs = [join(tmp(), "plain"), join(tmp(), "averaged")];
    expect(await s.run("evaluate", ...small, "--out", dirs[0] as string)).toBe(0);
    expect(await s.run("evaluate", ...small, "--ema", "0.9", "--out", dirs[1] as string)).toBe(0);
    const [plain, averaged] = dirs.map((d) => JSON.parse(readFileSync(join(d, "evaluation.json"), "utf8")));
    const emas = (r: { results: { protocol: string; ema: number }[] }) => r.results.map((x) => [x.protocol, x.ema]);
    expect(emas(plain)).toEqual([
      ["temporal", 0],
      ["random", 0],
    ]);
    expect(emas(averaged)).toEqual([
      ["temporal", 0.9],
      ["random", 0.9],
    ]);
    // The random protocol's default weight average gives way to the moving average.
    const swas = (r: { results: { swa: number }[] }) => r.results.map((x) => x.swa);
    expect([swas(plain), swas(averaged)]).toEqual([
      [0, 1],
      [0, 0],
    ]);
    for (const k of [0, 1]) {
      expect(averaged.results[k].headline.origin).toEqual(plain.results[k].headline.origin);
      expect(averaged.results[k].headline.model).not.toEqual(plain.results[k].headline.model);
    }
    const page = (d: string) => readFileSync(join(d, "evaluation.html"), "utf8");
    expect(page(dirs[1] as string).split("its weights' moving average kept (decay 0.9 per step)")).toHaveLength(3);
    expect(page(dirs[0] as string)).not.toContain("moving average");
    expect(page(dirs[0] as string).split("the mean of its weights from epoch 1 on kept")).toHaveLength(2);
  }, 120_000);

  it("--swa reaches each protocol's re-ranker and the report says so; an epoch past the last exits 2", async () => {
    const s = session();
    const small = ["--users", "80", "--items", "120", "--epochs", "2"];
    const dir = join(tmp(), "swa");
    expect(await s.run("evaluate", ...small, "--swa", "2", "--out", dir)).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, "evaluation.json"), "utf8"));
    expect(r.results.map((x: { protocol: string; swa: number }) => [x.protocol, x.swa])).toEqual([
      ["temporal", 2],
      ["random", 2],
    ]);
    type Origin = { origin: { name: string; params: Record<string, number> } };
    // Each protocol names the origin it scored: EASE with session rows by default.
    for (const x of r.results as Origin[]) {
      expect(x.origin.name).toBe("ease");
      expect(Object.keys(x.origin.params).sort()).toEqual([
        "items",
        "lambda",
        "maxItems",
        "sessionMs",
        "sessionWeight",
      ]);
      expect(x.origin.params).toMatchObject({ lambda: 300, maxItems: 2500, sessionWeight: 2, sessionMs: 300_000 });
    }
    const page = readFileSync(join(dir, "evaluation.html"), "utf8");
    expect(page.split("the mean of its weights from epoch 2 on kept (stochastic weight averaging)")).toHaveLength(3);
    // --swa 0 turns the random protocol's default average off.
    const off = join(tmp(), "off");
    // ... and, with --ease-lambda 200 --session-weight 0, the origin is plain EASE as the public tables fit it.
    expect(
      await s.run("evaluate", ...small, "--swa", "0", "--ease-lambda", "200", "--session-weight", "0", "--out", off),
    ).toBe(0);
    const o = JSON.parse(readFileSync(join(off, "evaluation.json"), "utf8"));
    expect(o.results.map((x: { swa: number }) => x.swa)).toEqual([0, 0]);
    for (const x of o.results as Origin[]) {
      expect(Object.keys(x.origin.params).sort()).toEqual(["items", "lambda", "maxItems"]);
      expect(x.origin.params).toMatchObject({ lambda: 200, maxItems: 2500 });
    }
    expect(readFileSync(join(off, "evaluation.html"), "utf8")).not.toContain("stochastic weight averaging");
    const past = join(tmp(), "past");
    expect(await s.run("evaluate", "--users", "80", "--items", "120", "--swa", "13", "--out", past)).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --swa: epoch 13 is past the last epoch \(12\); give --epochs N >= 13/);
    expect(existsSync(past)).toBe(false);
  }, 120_000);

  it("bad --seeds: exit 2, the option named, nothing written", async () => {
    const out = join(tmp(), "eval");
    const s = session();
    const evaluate = (...args: string[]) => s.run("evaluate", ...crossnet, ...WORLD, ...args, "--out", out);
    expect(await evaluate("--seeds", "1")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --seeds: "1" is not a comma-separated list of two or more integers >= 0/);
    expect(await evaluate("--seeds", "1,x")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --seeds: "1,x" is not a comma-separated list/);
    expect(await evaluate("--seeds", "1,-2")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --seeds: "1,-2" is not a comma-separated list/);
    expect(await evaluate("--seeds", "4,5,4")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --seeds: seed 4 is listed twice/);
    expect(await evaluate("--seed", "1", "--seeds", "2,3")).toBe(2);
    expect(s.err.at(-1)).toMatch(/^error: --seed and --seeds exclude each other/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("validate and publish refuse bad artifacts", () => {
  it("a manifest whose checksum does not match: exit 2, the field named, nothing published", async () => {
    const dir = tmp();
    const m = JSON.parse(readFileSync(`${SCHEMAS}mlp_layernorm.manifest.json`, "utf8"));
    writeFileSync(join(dir, "model.onnx"), readFileSync(`${FIXTURES}mlp_layernorm.onnx`));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...m, sha256: "a".repeat(64) }));
    const s = session();
    expect(await s.run("validate", join(dir))).toBe(2);
    expect(s.err[0]).toContain(
      `problem: ${join(dir, "model.onnx")}: sha256 ${m.sha256} does not match ${join(dir, "manifest.json")} field "sha256"`,
    );
    expect(await s.run("publish", "--model", join(dir, "model.onnx"), "--manifest", join(dir, "manifest.json"))).toBe(
      2,
    );
    expect(s.store.writes).toEqual([]);
  });

  it("missing and empty files are named", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "model.onnx"), "");
    const s = session();
    expect(await s.run("validate", dir)).toBe(2);
    expect(s.err[0]).toBe(`error: ${join(dir, "model.onnx")}: empty file`);
    expect(await s.run("validate", "--model", join(dir, "nope.onnx"), "--manifest", "x.json")).toBe(2);
    expect(s.err[1]).toBe(`error: ${join(dir, "nope.onnx")}: cannot read file (ENOENT)`);
  });
});

describe("train refuses bad MovieLens data, naming file, line and field", () => {
  const MOVIES = "movieId,title,genres\n1,Heat (1995),Action|Crime\n2,Up (2009),Animation\n3,Alien (1979),Horror\n";
  async function trainOn(ratings: string, movies = MOVIES): Promise<{ code: number; err: string; dir: string }> {
    const dir = tmp();
    mkdirSync(join(dir, "ml"));
    writeFileSync(join(dir, "ml", "movies.csv"), movies);
    writeFileSync(join(dir, "ml", "ratings.csv"), ratings);
    const s = session();
    const code = await s.run("train", "--data", join(dir, "ml"), "--out", join(dir, "out"));
    expect(existsSync(join(dir, "out"))).toBe(false);
    return { code, err: s.err.join("\n"), dir: join(dir, "ml") };
  }
  const HEADER = "userId,movieId,rating,timestamp\n";

  it("a malformed row", async () => {
    const r = await trainOn(`${HEADER}1,1,4.0,100\n1,2,4.0\n`);
    expect([r.code, r.err]).toEqual([2, `error: ${r.dir}/ratings.csv:3: expected 4 fields, found 3`]);
  });

  it("a bad value", async () => {
    const r = await trainOn(`${HEADER}1,1,4.0,100\n1,2,great,101\n`);
    expect([r.code, r.err]).toEqual([2, `error: ${r.dir}/ratings.csv:3: field "rating": "great" is not a number`]);
  });

  it("missing and unknown columns", async () => {
    const missing = await trainOn("userId,movieId,rating\n1,1,4.0\n");
    expect(missing.err).toBe(
      `error: ${missing.dir}/ratings.csv:1: missing header column "timestamp" (expected userId,movieId,rating,timestamp)`,
    );
    const unknown = await trainOn("userId,movieId,rating,timestamp,mood\n1,1,4.0,100,ok\n");
    expect(unknown.err).toBe(
      `error: ${unknown.dir}/ratings.csv:1: unknown header column "mood" (expected userId,movieId,rating,timestamp)`,
    );
  });

  it("an empty file", async () => {
    const r = await trainOn("");
    expect([r.code, r.err]).toEqual([
      2,
      `error: ${r.dir}/ratings.csv: empty file (expected header userId,movieId,rating,timestamp)`,
    ]);
  });

  it("a user with a single interaction", async () => {
    const r = await trainOn(`${HEADER}1,1,4.0,100\n1,2,3.0,101\n2,3,5.0,102\n1,3,2.0,103\n`);
    expect([r.code, r.err]).toEqual([
      2,
      `error: ${r.dir}/ratings.csv:4: field "userId": user 2 has a single interaction; every user needs at least 2 to be split into past and future`,
    ]);
  });
});
