// MovieLens loader (movies.csv, ratings.csv, optional tags.csv) into the origin's Dataset, with exact errors.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { DEVICES, GENRES, TAGS, type Tag } from "../../core/vocab.js";
import { type CsvTable, DatasetError, readTable } from "./csv.js";
import type { Dataset, Interaction, Item, Region } from "./dataset.js";
import { hashInts } from "./random.js";
import { loadRegions } from "./regions.js";

/**
 * Keywords (whole words or phrases, case-insensitive) that fold MovieLens' free-text tags onto TAGS. A tag may
 * match several (e.g. "dark comedy" is dark and funny).
 */
export const TAG_KEYWORDS: Record<Tag, readonly string[]> = {
  "feel-good": [
    "feel-good",
    "feel good",
    "feelgood",
    "heartwarming",
    "uplifting",
    "happy ending",
    "wholesome",
    "inspirational",
    "inspiring",
    "cute",
  ],
  dark: ["dark", "disturbing", "bleak", "grim", "depressing", "gritty", "sinister", "creepy", "nihilism", "nihilistic"],
  funny: [
    "funny",
    "comedy",
    "comedic",
    "hilarious",
    "humor",
    "humour",
    "humorous",
    "witty",
    "satire",
    "satirical",
    "parody",
    "amusing",
  ],
  "thought-provoking": [
    "thought-provoking",
    "thought provoking",
    "philosophical",
    "philosophy",
    "intellectual",
    "social commentary",
    "existential",
    "existentialism",
    "political",
    "politics",
  ],
  "visually-stunning": [
    "visually stunning",
    "visually appealing",
    "visual",
    "visuals",
    "stunning",
    "beautiful",
    "beautifully shot",
    "cinematography",
    "gorgeous",
    "stylized",
    "cgi",
    "special effects",
  ],
  "based-on-book": [
    "based on a book",
    "based on book",
    "based on the book",
    "based on a novel",
    "novel",
    "book",
    "books",
    "adaptation",
    "literary adaptation",
    "stephen king",
    "jane austen",
    "shakespeare",
  ],
  "true-story": [
    "true story",
    "based on a true story",
    "based on true events",
    "true events",
    "biography",
    "biographical",
    "biopic",
    "history",
    "historical",
    "real events",
  ],
  classic: [
    "classic",
    "classics",
    "cult classic",
    "cult film",
    "masterpiece",
    "afi 100",
    "criterion",
    "national film registry",
  ],
  twist: [
    "twist",
    "twists",
    "twist ending",
    "plot twist",
    "surprise ending",
    "mindfuck",
    "mind-bending",
    "mind bending",
    "unreliable narrator",
    "nonlinear",
    "non-linear",
  ],
  family: ["family", "kids", "children", "disney", "pixar", "for kids", "family friendly"],
  violent: ["violent", "violence", "gore", "gory", "bloody", "brutal", "brutality", "graphic violence"],
  romantic: ["romantic", "romance", "love story", "love"],
  quirky: ["quirky", "weird", "surreal", "absurd", "offbeat", "bizarre", "eccentric", "strange", "off-beat"],
  atmospheric: ["atmospheric", "atmosphere", "moody", "haunting", "eerie", "noir", "dreamlike"],
  slow: ["slow", "slow-paced", "slow paced", "boring", "tedious", "meditative", "long"],
  "award-winning": [
    "oscar",
    "oscars",
    "academy award",
    "award",
    "awards",
    "award-winning",
    "award winning",
    "golden globe",
    "palme d'or",
  ],
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const TAG_PATTERNS: [number, RegExp][] = TAGS.map((tag, bit) => [
  bit,
  new RegExp(`(?:^|[^a-z0-9])(?:${TAG_KEYWORDS[tag].map(escapeRegExp).join("|")})(?![a-z0-9])`, "i"),
]);

/** TAGS mask of one free-text tag (0 when no keyword matches). */
export function foldTag(text: string): number {
  let mask = 0;
  for (const [bit, re] of TAG_PATTERNS) if (re.test(text)) mask |= 1 << bit;
  return mask >>> 0;
}

/** Release year from a "Title (1995)" suffix, or 0 when the title has none. */
export function yearFromTitle(title: string): number {
  const m = /\((\d{4})\)\s*$/.exec(title);
  return m ? Number(m[1]) : 0;
}

export interface MovieLensOptions {
  /** Regions in availability-bit order; defaults to edge-config/defaults.jsonc. */
  regions?: Region[];
}

function readFile(dir: string, name: string): { text: string; file: string } {
  const file = join(dir, name);
  try {
    return { text: readFileSync(file, "utf8"), file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unknown error";
    throw new DatasetError(file, null, null, `cannot read file (${code})`);
  }
}

function cell(t: CsvTable, row: { line: number; fields: string[] }, name: string): string {
  return row.fields[t.column[name] as number] as string;
}

function idField(t: CsvTable, row: { line: number; fields: string[] }, name: string): number {
  const v = cell(t, row, name).trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 0xffffffff) {
    throw new DatasetError(t.file, row.line, name, `"${v}" is not a non-negative integer id`);
  }
  return n;
}

function numberField(t: CsvTable, row: { line: number; fields: string[] }, name: string): number {
  const v = cell(t, row, name).trim();
  const n = Number(v);
  if (v === "" || !Number.isFinite(n)) throw new DatasetError(t.file, row.line, name, `"${v}" is not a number`);
  return n;
}

/**
 * Loads a MovieLens directory (ml-latest-small or a larger release with the same files).
 *
 * Every rating is one implicit interaction (the rating is kept on it). MovieLens has no regions or devices, so they
 * are assigned deterministically by hashing: a user's home region is regions[hash(userId) mod R] and every one of
 * their interactions happens there; an interaction's device is DEVICES[hash(userId, movieId) mod 4]. Every title is
 * available in every region. The primary genre is the title's genre that is rarest in the catalogue (MovieLens lists
 * genres alphabetically, so the first is no signal; the rarest is the most specific). A title without a "(year)"
 * suffix gets year 0.
 */
export function loadMovieLens(dir: string, opts: MovieLensOptions = {}): Dataset {
  const regions = opts.regions ?? loadRegions();
  if (regions.length < 1 || regions.length > 32)
    throw new RangeError(`movielens: 1 to 32 regions, got ${regions.length}`);
  const allRegions = regions.length === 32 ? 0xffffffff : (1 << regions.length) - 1;

  const movies = readFile(dir, "movies.csv");
  const mt = readTable(movies.text, movies.file, ["movieId", "title", "genres"]);
  const items: Item[] = [];
  const byId = new Map<number, Item>();
  const genreCount = new Array<number>(GENRES.length).fill(0);
  for (const row of mt.rows) {
    const id = idField(mt, row, "movieId");
    if (byId.has(id)) throw new DatasetError(mt.file, row.line, "movieId", `movie ${id} appears twice`);
    const title = cell(mt, row, "title").trim();
    if (title === "") throw new DatasetError(mt.file, row.line, "title", "empty title");
    const rawGenres = cell(mt, row, "genres").trim();
    let genres = 0;
    if (rawGenres !== "(no genres listed)" && rawGenres !== "") {
      for (const name of rawGenres.split("|")) {
        const bit = (GENRES as readonly string[]).indexOf(name);
        if (bit < 0) throw new DatasetError(mt.file, row.line, "genres", `unknown genre "${name}"`);
        genres |= 1 << bit;
        genreCount[bit] = (genreCount[bit] as number) + 1;
      }
    }
    const item: Item = {
      id,
      title,
      genres: genres >>> 0,
      tags: 0,
      year: yearFromTitle(title),
      primaryGenre: 255,
      regions: allRegions >>> 0,
    };
    items.push(item);
    byId.set(id, item);
  }
  if (items.length === 0) throw new DatasetError(mt.file, null, null, "no movies after the header");
  for (const item of items) {
    let best = 255;
    for (let b = 0; b < GENRES.length; b++) {
      if ((item.genres >>> b) & 1 && (best === 255 || (genreCount[b] as number) < (genreCount[best] as number)))
        best = b;
    }
    item.primaryGenre = best;
  }

  const ratings = readFile(dir, "ratings.csv");
  const rt = readTable(ratings.text, ratings.file, ["userId", "movieId", "rating", "timestamp"]);
  const interactions: Interaction[] = [];
  const homeRegion = new Map<number, string>();
  for (const row of rt.rows) {
    const userId = idField(rt, row, "userId");
    const itemId = idField(rt, row, "movieId");
    if (!byId.has(itemId)) throw new DatasetError(rt.file, row.line, "movieId", `movie ${itemId} is not in movies.csv`);
    const rating = numberField(rt, row, "rating");
    const ts = idField(rt, row, "timestamp") * 1000;
    let region = homeRegion.get(userId);
    if (region === undefined) {
      region = (regions[hashInts(userId) % regions.length] as Region).id;
      homeRegion.set(userId, region);
    }
    const device = DEVICES[hashInts(userId, itemId) % DEVICES.length] as (typeof DEVICES)[number];
    interactions.push({ userId, itemId, ts, region, device, rating });
  }
  if (interactions.length === 0) throw new DatasetError(rt.file, null, null, "no ratings after the header");
  interactions.sort((a, b) => a.ts - b.ts || a.userId - b.userId || a.itemId - b.itemId);

  const tagsFile = join(dir, "tags.csv");
  if (existsSync(tagsFile)) {
    const tags = readFile(dir, "tags.csv");
    const tt = readTable(tags.text, tags.file, ["userId", "movieId", "tag", "timestamp"]);
    for (const row of tt.rows) {
      idField(tt, row, "userId");
      const itemId = idField(tt, row, "movieId");
      idField(tt, row, "timestamp");
      const item = byId.get(itemId);
      if (!item) throw new DatasetError(tt.file, row.line, "movieId", `movie ${itemId} is not in movies.csv`);
      item.tags = (item.tags | foldTag(cell(tt, row, "tag"))) >>> 0;
    }
  }

  return {
    name: `movielens:${basename(dir.replace(/[\\/]+$/, ""))}`,
    items,
    users: [...homeRegion.keys()].sort((a, b) => a - b),
    interactions,
    regions: regions.map((r) => ({ ...r })),
    homeRegion,
    contextObserved: false,
  };
}
