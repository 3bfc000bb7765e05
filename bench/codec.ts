// Candidate-list codec benchmark: the binary FRC1 layout against JSON (both validated), at 100/500/1,000 items.
import { gzipSync } from "node:zlib";
import { z } from "zod";
import { type CandidateInput, decodeCandidateList, encodeCandidateList } from "../core/codec.js";
import { median, table } from "./stats.js";

const JsonList = z.object({
  header: z.object({
    row: z.string(),
    scope: z.string(),
    generatedAt: z.number(),
    regions: z.array(z.string()),
    source: z.string(),
  }),
  items: z.array(
    z.object({
      id: z.number().int(),
      title: z.string(),
      cfScore: z.number(),
      popularity: z.number(),
      genres: z.number().int(),
      tags: z.number().int(),
      regions: z.number().int(),
      year: z.number().int(),
      primaryGenre: z.number().int(),
    }),
  ),
});

function candidates(n: number): CandidateInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: 100_000 + i * 7,
    title: `The Long Title Number ${i} (${1950 + (i % 70)})`,
    cfScore: 1 - i / n,
    popularity: ((i * 37) % 100) / 100,
    genres: (i * 2654435761) >>> 13,
    tags: (i * 40503) & 0xffff,
    regions: 0b1011,
    year: 1950 + (i % 70),
    primaryGenre: i % 19,
  }));
}

/** Median microseconds per call of `fn`, over rounds of `inner` calls. */
function time(fn: () => unknown, inner = 200, rounds = 25): number {
  for (let i = 0; i < inner; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / inner);
  }
  return median(samples);
}

export function runCodecBench() {
  const header = {
    row: "top-picks",
    scope: "user:1",
    generatedAt: Date.now(),
    regions: ["a", "b", "c", "d"],
    source: "ease",
  };
  const rows = [];
  for (const n of [100, 500, 1000]) {
    const items = candidates(n);
    const bin = encodeCandidateList(header, items);
    const json = new TextEncoder().encode(JSON.stringify({ header, items }));
    const binBuf = bin.slice().buffer;
    const binUs = time(() => {
      const l = decodeCandidateList(binBuf);
      // The edge reads every feature column and decodes titles for the returned row only.
      let s = 0;
      for (let i = 0; i < l.size; i++) s += (l.cfScore[i] as number) + (l.genres[i] as number);
      for (let i = 0; i < 20; i++) l.title(i);
      return s;
    });
    const jsonText = new TextDecoder().decode(json);
    const jsonUs = time(() => JsonList.parse(JSON.parse(jsonText)));
    const jsonRawUs = time(() => JSON.parse(jsonText));
    rows.push({
      candidates: n,
      binaryBytes: bin.length,
      binaryGzipBytes: gzipSync(bin).length,
      jsonBytes: json.length,
      jsonGzipBytes: gzipSync(json).length,
      binaryDecodeUs: Number(binUs.toFixed(1)),
      jsonZodDecodeUs: Number(jsonUs.toFixed(1)),
      jsonParseOnlyUs: Number(jsonRawUs.toFixed(1)),
      speedupVsJsonZod: Number((jsonUs / binUs).toFixed(1)),
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runCodecBench();
  console.log(
    table(
      [
        "candidates",
        "FRC1 bytes (gz)",
        "JSON bytes (gz)",
        "FRC1 decode µs",
        "JSON+zod µs",
        "JSON.parse µs",
        "speed-up",
      ],
      rows.map((r) => [
        r.candidates,
        `${r.binaryBytes} (${r.binaryGzipBytes})`,
        `${r.jsonBytes} (${r.jsonGzipBytes})`,
        r.binaryDecodeUs,
        r.jsonZodDecodeUs,
        r.jsonParseOnlyUs,
        `${r.speedupVsJsonZod}x`,
      ]),
    ),
  );
}
