// Candidate-list codec: round trips, zero-copy views, and rejection of every kind of damaged value.
import { describe, expect, it } from "vitest";
import { type CandidateInput, CodecError, candidateAt, decodeCandidateList, encodeCandidateList } from "./codec.js";

const header = {
  row: "top-picks",
  scope: "user:1",
  generatedAt: 1_790_000_000_000,
  regions: ["us-east", "eu-west"],
  source: "ease",
};
const items: CandidateInput[] = [
  {
    id: 7,
    title: "Le Café (1999)",
    cfScore: 0.75,
    popularity: 0.5,
    genres: 0b101,
    tags: 3,
    regions: 0b11,
    year: 1999,
    primaryGenre: 0,
  },
  {
    id: 4_000_000_000,
    title: "",
    cfScore: -0.25,
    popularity: 1,
    genres: 0,
    tags: 0,
    regions: 0b10,
    year: 2024,
    primaryGenre: 255,
  },
  {
    id: 0,
    title: "映画 🎬",
    cfScore: 0,
    popularity: 0,
    genres: 0x7ffff,
    tags: 0xffff,
    regions: 0,
    year: 1900,
    primaryGenre: 18,
  },
];

describe("happy", () => {
  it("round-trips every field, titles in UTF-8", () => {
    const list = decodeCandidateList(encodeCandidateList(header, items));
    expect(list.header).toEqual({ ...header, count: 3 });
    expect(Array.from({ length: list.size }, (_, i) => candidateAt(list, i))).toEqual(items);
  });

  it("round-trips an empty list", () => {
    const list = decodeCandidateList(encodeCandidateList(header, []));
    expect([list.size, list.ids.length, list.header.count]).toEqual([0, 0, 0]);
  });

  it("decodes columns as views into the value, not copies", () => {
    const bytes = encodeCandidateList(header, items);
    const list = decodeCandidateList(bytes.buffer as ArrayBuffer);
    expect(list.ids.buffer).toBe(bytes.buffer);
    expect(list.cfScore.buffer).toBe(bytes.buffer);
  });

  it("decodes a value that starts at an unaligned offset by copying it once", () => {
    const bytes = encodeCandidateList(header, items);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const list = decodeCandidateList(shifted.subarray(1));
    expect(list.title(0)).toBe("Le Café (1999)");
  });
});

describe("errors", () => {
  const good = () => encodeCandidateList(header, items);

  it("rejects a value shorter than the fixed header", () => {
    expect(() => decodeCandidateList(new Uint8Array(5))).toThrow(
      new CodecError("candidate list is 5 bytes, shorter than its fixed header"),
    );
  });

  it("rejects another format", () => {
    const b = good();
    b[0] = 0x7b;
    expect(() => decodeCandidateList(b)).toThrow("candidate list: bad magic (not an FRC1 value)");
  });

  it("rejects a flipped bit anywhere in the body", () => {
    const b = good();
    b[b.length - 20] = (b[b.length - 20] as number) ^ 1;
    expect(() => decodeCandidateList(b)).toThrow("candidate list: checksum mismatch (value truncated or corrupt)");
  });

  it("rejects a truncated value", () => {
    expect(() => decodeCandidateList(good().subarray(0, 60))).toThrow(
      "candidate list: checksum mismatch (value truncated or corrupt)",
    );
  });

  it("refuses to encode ids that are not uint32 and non-finite scores", () => {
    expect(() => encodeCandidateList(header, [{ ...(items[0] as CandidateInput), id: -1 }])).toThrow(
      "candidate 0: id -1 is not a uint32",
    );
    expect(() => encodeCandidateList(header, [{ ...(items[0] as CandidateInput), cfScore: Number.NaN }])).toThrow(
      "candidate 0 (id 7): cfScore and popularity must be finite",
    );
  });

  it("refuses a header that breaks its schema", () => {
    expect(() => encodeCandidateList({ ...header, row: "" }, items)).toThrow();
  });
});
