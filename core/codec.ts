// Candidate-list codec: a columnar binary layout the edge decodes as typed-array views, without parsing per item.
import { z } from "zod";
import { crc32 } from "./crc32.js";

/** One candidate as the origin produces it, before encoding. */
export interface CandidateInput {
  id: number;
  title: string;
  /** Collaborative-filtering score from the origin; lists are sorted by it, best first. */
  cfScore: number;
  /** Popularity in [0, 1] (log-scaled interaction count, relative to the catalog's most popular title). */
  popularity: number;
  genres: number;
  tags: number;
  /** Availability: bit i set means available in header.regions[i]. */
  regions: number;
  year: number;
  /** Index into GENRES of the title's primary genre (255 = none); drives the diversity rule. */
  primaryGenre: number;
}

export const CandidateListHeaderSchema = z.object({
  row: z.string().min(1).max(64),
  /** What the list is for: `user:<id>`, `region:<id>` or `catalog`. */
  scope: z.string().min(1).max(128),
  generatedAt: z.number().int().nonnegative(),
  count: z.number().int().nonnegative().max(100_000),
  regions: z.array(z.string().min(1).max(32)).max(32),
  source: z.string().min(1).max(64),
  /** Title the row is anchored on (because-you-watched). */
  seedItem: z.number().int().nonnegative().optional(),
});
export type CandidateListHeader = z.infer<typeof CandidateListHeaderSchema>;

/** A decoded list: typed-array views into the encoded buffer; titles decode lazily. */
export interface CandidateList {
  readonly header: CandidateListHeader;
  readonly size: number;
  readonly ids: Uint32Array;
  readonly cfScore: Float32Array;
  readonly popularity: Float32Array;
  readonly genres: Uint32Array;
  readonly tags: Uint32Array;
  readonly regions: Uint32Array;
  readonly year: Uint16Array;
  readonly primaryGenre: Uint8Array;
  title(index: number): string;
}

/** Raised when bytes are not a valid candidate list; the message says which part is wrong. */
export class CodecError extends Error {
  override name = "CodecError";
}

const MAGIC = 0x31435246; // "FRC1" little-endian
const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const align = (n: number, to: number) => (n + to - 1) & ~(to - 1);

interface Layout {
  ids: number;
  cfScore: number;
  popularity: number;
  genres: number;
  tags: number;
  regions: number;
  year: number;
  primaryGenre: number;
  titleOffsets: number;
  titles: number;
}

function layout(bodyStart: number, n: number): Layout {
  const ids = bodyStart;
  const cfScore = ids + 4 * n;
  const popularity = cfScore + 4 * n;
  const genres = popularity + 4 * n;
  const tags = genres + 4 * n;
  const regions = tags + 4 * n;
  const year = regions + 4 * n;
  const primaryGenre = align(year + 2 * n, 4);
  const titleOffsets = align(primaryGenre + n, 4);
  const titles = titleOffsets + 4 * (n + 1);
  return { ids, cfScore, popularity, genres, tags, regions, year, primaryGenre, titleOffsets, titles };
}

/** Encodes a list; candidates keep the order given (the origin's ranking). */
export function encodeCandidateList(
  header: Omit<CandidateListHeader, "count">,
  candidates: readonly CandidateInput[],
): Uint8Array {
  const n = candidates.length;
  const full = CandidateListHeaderSchema.parse({ ...header, count: n });
  const headerBytes = utf8.encode(JSON.stringify(full));
  const bodyStart = align(8 + headerBytes.length, 8);
  const at = layout(bodyStart, n);
  const titleBytes = candidates.map((c) => utf8.encode(c.title));
  const titlesLength = titleBytes.reduce((sum, t) => sum + t.length, 0);
  const total = align(at.titles + titlesLength, 4) + 4;
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, headerBytes.length, true);
  bytes.set(headerBytes, 8);
  const ids = new Uint32Array(buf, at.ids, n);
  const cf = new Float32Array(buf, at.cfScore, n);
  const pop = new Float32Array(buf, at.popularity, n);
  const genres = new Uint32Array(buf, at.genres, n);
  const tags = new Uint32Array(buf, at.tags, n);
  const regions = new Uint32Array(buf, at.regions, n);
  const year = new Uint16Array(buf, at.year, n);
  const primary = new Uint8Array(buf, at.primaryGenre, n);
  const offsets = new Uint32Array(buf, at.titleOffsets, n + 1);
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    const c = candidates[i] as CandidateInput;
    if (!Number.isInteger(c.id) || c.id < 0 || c.id > 0xffffffff) {
      throw new CodecError(`candidate ${i}: id ${c.id} is not a uint32`);
    }
    if (!Number.isFinite(c.cfScore) || !Number.isFinite(c.popularity)) {
      throw new CodecError(`candidate ${i} (id ${c.id}): cfScore and popularity must be finite`);
    }
    ids[i] = c.id;
    cf[i] = c.cfScore;
    pop[i] = c.popularity;
    genres[i] = c.genres >>> 0;
    tags[i] = c.tags >>> 0;
    regions[i] = c.regions >>> 0;
    year[i] = c.year;
    primary[i] = c.primaryGenre;
    offsets[i] = cursor;
    bytes.set(titleBytes[i] as Uint8Array, at.titles + cursor);
    cursor += (titleBytes[i] as Uint8Array).length;
  }
  offsets[n] = cursor;
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

/**
 * Decodes and verifies a list. Verification is structural (magic, lengths, offsets) plus a CRC32 of the
 * whole value, so a truncated or bit-flipped KV value is rejected rather than ranked.
 */
export function decodeCandidateList(input: ArrayBuffer | Uint8Array): CandidateList {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  // Typed-array views need an aligned start; KV and fetch hand out fresh buffers, so this copy is rare.
  const own = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const buf = own.buffer as ArrayBuffer;
  const base = own.byteOffset;
  const len = own.byteLength;
  if (len < 12) throw new CodecError(`candidate list is ${len} bytes, shorter than its fixed header`);
  const view = new DataView(buf, base, len);
  if (view.getUint32(0, true) !== MAGIC) throw new CodecError("candidate list: bad magic (not an FRC1 value)");
  const storedCrc = view.getUint32(len - 4, true);
  if (crc32(own.subarray(0, len - 4)) !== storedCrc) {
    throw new CodecError("candidate list: checksum mismatch (value truncated or corrupt)");
  }
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > len - 4) throw new CodecError("candidate list: header length runs past the value");
  let raw: unknown;
  try {
    raw = JSON.parse(utf8d.decode(own.subarray(8, 8 + headerLength)));
  } catch {
    throw new CodecError("candidate list: header is not JSON");
  }
  const parsed = CandidateListHeaderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CodecError(`candidate list header: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  const header = parsed.data;
  const n = header.count;
  const at = layout(base + align(8 + headerLength, 8), n);
  if (at.titles - base > len - 4) throw new CodecError(`candidate list: ${n} candidates do not fit the value`);
  const offsets = new Uint32Array(buf, at.titleOffsets, n + 1);
  const titlesLength = offsets[n] as number;
  if (at.titles - base + titlesLength > len - 4) throw new CodecError("candidate list: titles run past the value");
  const titles = new Uint8Array(buf, at.titles, titlesLength);
  // Decoded titles are kept: a hot list (trending, a user's rows revisited) serves the same top titles again.
  const decodedTitles: (string | undefined)[] = [];
  return {
    header,
    size: n,
    ids: new Uint32Array(buf, at.ids, n),
    cfScore: new Float32Array(buf, at.cfScore, n),
    popularity: new Float32Array(buf, at.popularity, n),
    genres: new Uint32Array(buf, at.genres, n),
    tags: new Uint32Array(buf, at.tags, n),
    regions: new Uint32Array(buf, at.regions, n),
    year: new Uint16Array(buf, at.year, n),
    primaryGenre: new Uint8Array(buf, at.primaryGenre, n),
    title(i: number): string {
      const cached = decodedTitles[i];
      if (cached !== undefined) return cached;
      const start = offsets[i];
      const end = offsets[i + 1];
      if (start === undefined || end === undefined || end < start) {
        throw new CodecError(`candidate list: no title at index ${i}`);
      }
      const title = utf8d.decode(titles.subarray(start, end));
      decodedTitles[i] = title;
      return title;
    },
  };
}

/** Reads candidate i back into a plain object (for tests, re-encoding and the origin). */
export function candidateAt(list: CandidateList, i: number): CandidateInput {
  return {
    id: list.ids[i] as number,
    title: list.title(i),
    cfScore: list.cfScore[i] as number,
    popularity: list.popularity[i] as number,
    genres: list.genres[i] as number,
    tags: list.tags[i] as number,
    regions: list.regions[i] as number,
    year: list.year[i] as number,
    primaryGenre: list.primaryGenre[i] as number,
  };
}
