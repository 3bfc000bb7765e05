// Feature inputs shared by the Node side (onnxruntime-node reference) and the workerd parity test.
import type { RankingContext } from "../../core/features.js";
import { sampleColumns } from "../../core/ranker.contract.js";

/** Deterministic lists, a warm and a cold user, and contexts across devices and hours. */
export function parityInputs() {
  const warm = {
    genreAffinity: Array.from({ length: 19 }, (_, i) => ((i * 7) % 19) / 60),
    tagAffinity: Array.from({ length: 16 }, (_, i) => ((i * 5) % 16) / 32),
    activity: 340,
    yearMean: 1998.5,
    popularityMean: 0.42,
  };
  const ctx = (device: RankingContext["device"], localHour: number, weekday: number): RankingContext => ({
    region: "eu-west",
    localHour,
    weekday,
    year: 2026,
    device,
  });
  return [
    { columns: sampleColumns(1), profile: warm, ctx: ctx("tv", 21.5, 5) },
    { columns: sampleColumns(100), profile: null, ctx: ctx("phone", 8.25, 2) },
    { columns: sampleColumns(500), profile: warm, ctx: ctx("web", 13, 0) },
    { columns: sampleColumns(1000), profile: warm, ctx: ctx("tablet", 23.9, 6) },
  ];
}
