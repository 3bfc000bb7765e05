// MovieLens loader: CSV fixtures (good and malformed, with exact messages) and ml-latest-small when present.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEVICES, GENRES, genreMask, TAGS } from "../../core/vocab.js";
import { foldTag, loadMovieLens, yearFromTitle } from "./movielens.js";
import { hashInts } from "./random.js";
import { loadRegions } from "./regions.js";

const regions = loadRegions();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "frontrow-ml-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const MOVIES = [
  "movieId,title,genres",
  "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
  '2,"American President, The (1995)",Comedy|Drama|Romance',
  '3,"Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)",Comedy|War',
  "4,Untitled Project,(no genres listed)",
  '5,"The ""Quoted"" Film (2001)",Drama',
].join("\n");
const RATINGS = [
  "userId,movieId,rating,timestamp",
  "1,1,4.0,964982703",
  "1,3,4.5,964981247",
  "2,2,3.5,1445714994",
  "2,1,5,1445714990",
].join("\n");
const TAGS_CSV = [
  "userId,movieId,tag,timestamp",
  '2,1,"pixar, funny",1445714994',
  "2,3,dark comedy,1445714996",
  "1,3,Oscar (Best Picture),1445714997",
].join("\n");

describe("loadMovieLens on fixtures", () => {
  it("loads movies, ratings and tags", () => {
    const ds = loadMovieLens(fixture({ "movies.csv": MOVIES, "ratings.csv": RATINGS, "tags.csv": TAGS_CSV }), {
      regions,
    });
    const all = (1 << regions.length) - 1;
    expect(ds.items.map((i) => [i.id, i.title, i.year, i.regions])).toEqual([
      [1, "Toy Story (1995)", 1995, all],
      [2, "American President, The (1995)", 1995, all],
      [3, "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)", 1964, all],
      [4, "Untitled Project", 0, all],
      [5, 'The "Quoted" Film (2001)', 2001, all],
    ]);
    const [toy, president, strangelove, untitled] = ds.items;
    expect(toy?.genres).toBe(genreMask(["Adventure", "Animation", "Children", "Comedy", "Fantasy"]));
    // Rarest genre in the catalogue wins; ties go to the lower genre index.
    expect(toy?.primaryGenre).toBe(GENRES.indexOf("Adventure"));
    expect(president?.primaryGenre).toBe(GENRES.indexOf("Romance"));
    expect(strangelove?.primaryGenre).toBe(GENRES.indexOf("War"));
    expect(untitled?.genres).toBe(0);
    expect(untitled?.primaryGenre).toBe(255);
    const bit = (t: string) => 1 << TAGS.indexOf(t as (typeof TAGS)[number]);
    expect(toy?.tags).toBe(bit("family") | bit("funny"));
    expect(strangelove?.tags).toBe(bit("dark") | bit("funny") | bit("award-winning"));
    expect(ds.users).toEqual([1, 2]);
    expect(ds.interactions.map((x) => [x.userId, x.itemId, x.ts, x.rating])).toEqual([
      [1, 3, 964981247000, 4.5],
      [1, 1, 964982703000, 4],
      [2, 1, 1445714990000, 5],
      [2, 2, 1445714994000, 3.5],
    ]);
    for (const x of ds.interactions) {
      expect(x.region).toBe(regions[hashInts(x.userId) % regions.length]?.id);
      expect(x.device).toBe(DEVICES[hashInts(x.userId, x.itemId) % DEVICES.length]);
      expect(ds.homeRegion.get(x.userId)).toBe(x.region);
    }
    expect(ds.name).toMatch(/^movielens:frontrow-ml-/);
    // Devices and regions are made up and timestamps are rating times: no viewing context to learn from.
    expect(ds.contextObserved).toBe(false);
  });

  it("treats tags.csv as optional", () => {
    const ds = loadMovieLens(fixture({ "movies.csv": MOVIES, "ratings.csv": RATINGS }), { regions });
    expect(ds.items.every((i) => i.tags === 0)).toBe(true);
  });

  const broken: [string, Record<string, string>, string][] = [
    ["a missing file", { "movies.csv": MOVIES }, "ratings.csv: cannot read file (ENOENT)"],
    [
      "an empty file",
      { "movies.csv": "", "ratings.csv": RATINGS },
      "movies.csv: empty file (expected header movieId,title,genres)",
    ],
    [
      "a missing header column",
      { "movies.csv": "movieId,title\n1,X (1990)\n", "ratings.csv": RATINGS },
      'movies.csv:1: missing header column "genres" (expected movieId,title,genres)',
    ],
    [
      "an unknown header column",
      { "movies.csv": MOVIES, "ratings.csv": "userId,movieId,rating,timestamp,extra\n" },
      'ratings.csv:1: unknown header column "extra" (expected userId,movieId,rating,timestamp)',
    ],
    [
      "a non-numeric id",
      { "movies.csv": MOVIES, "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4,964982703\nabc,1,4,964982703\n" },
      'ratings.csv:3: field "userId": "abc" is not a non-negative integer id',
    ],
    [
      "a non-numeric rating",
      { "movies.csv": MOVIES, "ratings.csv": "userId,movieId,rating,timestamp\n1,1,good,964982703\n" },
      'ratings.csv:2: field "rating": "good" is not a number',
    ],
    [
      "a malformed row",
      { "movies.csv": `${MOVIES}\n6,Broken, Title (1999),Drama`, "ratings.csv": RATINGS },
      "movies.csv:7: expected 3 fields, found 4",
    ],
    [
      "an unclosed quote",
      { "movies.csv": 'movieId,title,genres\n1,"Open (1999),Drama\n2,X,Drama\n', "ratings.csv": RATINGS },
      "movies.csv:2: field 2: quoted field is never closed",
    ],
    [
      "an unknown genre",
      { "movies.csv": "movieId,title,genres\n1,X (1990),Drama|Cooking\n", "ratings.csv": RATINGS },
      'movies.csv:2: field "genres": unknown genre "Cooking"',
    ],
    [
      "a duplicate movie",
      { "movies.csv": "movieId,title,genres\n1,X (1990),Drama\n1,Y (1991),Drama\n", "ratings.csv": RATINGS },
      'movies.csv:3: field "movieId": movie 1 appears twice',
    ],
    [
      "a rating of an unknown movie",
      { "movies.csv": MOVIES, "ratings.csv": "userId,movieId,rating,timestamp\n1,77,4,964982703\n" },
      'ratings.csv:2: field "movieId": movie 77 is not in movies.csv',
    ],
    [
      "a tag on an unknown movie",
      { "movies.csv": MOVIES, "ratings.csv": RATINGS, "tags.csv": "userId,movieId,tag,timestamp\n1,88,fun,1\n" },
      'tags.csv:2: field "movieId": movie 88 is not in movies.csv',
    ],
    [
      "no ratings",
      { "movies.csv": MOVIES, "ratings.csv": "userId,movieId,rating,timestamp\n" },
      "ratings.csv: no ratings after the header",
    ],
  ];
  for (const [what, files, message] of broken) {
    it(`reports ${what} by file, line and field`, () => {
      const dir = fixture(files);
      expect(() => loadMovieLens(dir, { regions })).toThrow(
        `${join(dir, message.split(":")[0] as string)}${message.slice(message.indexOf(":"))}`,
      );
    });
  }
});

describe("tag folding and years", () => {
  it("folds free-text tags by keyword, as whole words", () => {
    const bit = (t: string) => 1 << TAGS.indexOf(t as (typeof TAGS)[number]);
    expect(foldTag("Hilarious!")).toBe(bit("funny"));
    expect(foldTag("twist ending")).toBe(bit("twist"));
    expect(foldTag("based on a book")).toBe(bit("based-on-book"));
    expect(foldTag("disturbing")).toBe(bit("dark"));
    expect(foldTag("darkness")).toBe(0);
    expect(foldTag("Highly quotable")).toBe(0);
  });

  it("reads the year suffix", () => {
    expect(yearFromTitle("Heat (1995)")).toBe(1995);
    expect(yearFromTitle("Babylon 5")).toBe(0);
    expect(yearFromTitle("1984 (1984) ")).toBe(1984);
  });
});

const ML_SMALL = join(import.meta.dirname, "../../../shared/datasets/ml-latest-small");
describe.skipIf(!existsSync(ML_SMALL))(`ml-latest-small (${ML_SMALL})`, () => {
  it("loads the whole release", () => {
    const ds = loadMovieLens(ML_SMALL, { regions });
    expect(ds.users).toHaveLength(610);
    expect(ds.items).toHaveLength(9742);
    expect(ds.interactions).toHaveLength(100_836);
    expect(ds.items[0]).toMatchObject({ id: 1, title: "Toy Story (1995)", year: 1995 });
    expect(ds.items.filter((i) => i.tags !== 0).length).toBeGreaterThan(300);
  });
});
if (!existsSync(ML_SMALL)) console.warn(`skipping ml-latest-small tests: ${ML_SMALL} is absent`);
