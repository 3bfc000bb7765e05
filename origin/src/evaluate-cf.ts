// CLI: compares the CF generators (and a popularity baseline) by NDCG@10 / Recall@10 on a temporal holdout.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { EaseGenerator, PLAIN_EASE } from "./cf/ease.js";
import {
  type CfScore,
  evaluateGenerator,
  popularityRecommender,
  scoreRecommender,
  temporalSplit,
} from "./cf/evaluate.js";
import { ItemKnnGenerator } from "./cf/itemknn.js";
import type { CandidateGenerator } from "./cf/types.js";
import type { Dataset } from "./dataset.js";
import { loadMovieLens } from "./movielens.js";
import { generateSynthetic } from "./synthetic.js";

const USAGE = `usage: tsx origin/src/evaluate-cf.ts [--data <movielens dir>] [--seed n] [--holdout 0.2] [--sweep]
  Without --data, evaluates on the default synthetic data set. --sweep also tries other hyper-parameters.`;

function main(): void {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { values } = args;
  const holdout = Number(values.holdout);
  if (!(holdout > 0 && holdout < 1)) fail(`--holdout must be a number in (0, 1), got "${values.holdout}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`);
  let ds: Dataset;
  const t0 = performance.now();
  if (values.data) {
    if (!existsSync(values.data)) fail(`--data: ${values.data} does not exist`);
    ds = loadMovieLens(values.data);
  } else {
    ds = generateSynthetic({ seed });
  }
  const loadMs = performance.now() - t0;
  const split = temporalSplit(ds.interactions, holdout);
  console.log(
    `${ds.name}: ${ds.users.length} users, ${ds.items.length} titles, ${ds.interactions.length} interactions ` +
      `(loaded in ${loadMs.toFixed(0)} ms); holdout: last ${holdout * 100}% per user, ${split.test.size} test users`,
  );
  const rows: CfScore[] = [scoreRecommender("popularity", popularityRecommender(split.train), split)];
  const variants: [string, () => CandidateGenerator][] = values.sweep
    ? [
        ...[50, 100, 200, 500, 1000].map((l): [string, () => CandidateGenerator] => [
          `ease lambda=${l}`,
          () => new EaseGenerator({ lambda: l }),
        ]),
        ...[0, 1, 4].map((w): [string, () => CandidateGenerator] => [
          `ease sessionWeight=${w}`,
          () => new EaseGenerator({ sessionWeight: w }),
        ]),
        ...[0, 10, 50].map((h): [string, () => CandidateGenerator] => [
          `itemknn shrink=${h}`,
          () => new ItemKnnGenerator({ shrink: h }),
        ]),
      ]
    : [
        ["ease (default)", () => new EaseGenerator()],
        ["ease, no session rows", () => new EaseGenerator(PLAIN_EASE)],
        ["itemknn (default)", () => new ItemKnnGenerator()],
      ];
  for (const [label, make] of variants) {
    const gen = make();
    const score = evaluateGenerator(gen, split);
    rows.push({
      ...score,
      name: `${label} [${Object.entries(gen.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}]`,
    });
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${"generator".padEnd(width)}  NDCG@10  Recall@10  fit s`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${r.ndcg.toFixed(4).padStart(7)}  ${r.recall.toFixed(4).padStart(9)}  ${(r.fitMs / 1000).toFixed(2).padStart(5)}`,
    );
  }
}

function parse() {
  return parseArgs({
    options: {
      data: { type: "string" },
      seed: { type: "string", default: "42" },
      holdout: { type: "string", default: "0.2" },
      sweep: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}

function fail(message: string): never {
  console.error(`evaluate-cf: ${message}\n${USAGE}`);
  process.exit(2);
}

main();
