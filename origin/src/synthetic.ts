// Deterministic synthetic catalogue and viewing log: latent tastes, long-tail popularity, regions and context effects.
import { localClock } from "../../core/clock.js";
import { DEVICES, type Device, GENRES, type Genre, TAGS, type Tag } from "../../core/vocab.js";
import type { Dataset, Interaction, Item, Region } from "./dataset.js";
import { Rng } from "./random.js";
import { loadRegions } from "./regions.js";

/** The log ends here (exclusive), so output never depends on the wall clock. */
export const SYNTHETIC_END = Date.UTC(2026, 10, 1);
/** Length of the log in days. */
export const SYNTHETIC_DAYS = 120;
/** First instant of the log. */
export const SYNTHETIC_START = SYNTHETIC_END - SYNTHETIC_DAYS * 86_400_000;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const END_YEAR = new Date(SYNTHETIC_END).getUTCFullYear();
const DIM = 16;

export interface SyntheticOptions {
  /** Users, numbered 1..users (default 1,000). */
  users?: number;
  /** Titles, numbered 1..items (default 1,500). */
  items?: number;
  seed?: number;
  /** Regions in availability-bit order; defaults to edge-config/defaults.jsonc. */
  regions?: Region[];
}

const g = (name: Genre): number => GENRES.indexOf(name);
const t = (name: Tag): number => TAGS.indexOf(name);

// How often each genre is a title's primary genre (IMAX only ever rides along).
const PRIMARY_WEIGHT: Record<Genre, number> = {
  Action: 8,
  Adventure: 5,
  Animation: 4,
  Children: 3,
  Comedy: 14,
  Crime: 6,
  Documentary: 4,
  Drama: 18,
  Fantasy: 3,
  "Film-Noir": 0.6,
  Horror: 6,
  IMAX: 0,
  Musical: 1,
  Mystery: 3,
  Romance: 7,
  "Sci-Fi": 5,
  Thriller: 7,
  War: 1.5,
  Western: 1,
};

// Plausible secondary genres for each primary genre.
const COMPANIONS: Record<Genre, Genre[]> = {
  Action: ["Adventure", "Thriller", "Sci-Fi", "Crime"],
  Adventure: ["Action", "Fantasy", "Children", "Comedy"],
  Animation: ["Children", "Comedy", "Adventure", "Fantasy"],
  Children: ["Animation", "Comedy", "Adventure", "Fantasy"],
  Comedy: ["Romance", "Drama", "Children", "Crime"],
  Crime: ["Thriller", "Drama", "Action", "Mystery"],
  Documentary: ["Drama", "War", "Musical"],
  Drama: ["Romance", "Crime", "War", "Thriller"],
  Fantasy: ["Adventure", "Children", "Romance", "Action"],
  "Film-Noir": ["Crime", "Mystery", "Thriller"],
  Horror: ["Thriller", "Mystery", "Sci-Fi"],
  IMAX: [],
  Musical: ["Romance", "Comedy", "Children"],
  Mystery: ["Thriller", "Crime", "Horror"],
  Romance: ["Comedy", "Drama"],
  "Sci-Fi": ["Action", "Adventure", "Thriller"],
  Thriller: ["Crime", "Mystery", "Action", "Horror"],
  War: ["Drama", "Action"],
  Western: ["Action", "Adventure", "Drama"],
};

// Tags a genre tends to carry: [genre, tag, probability].
const GENRE_TAGS: [Genre, Tag, number][] = [
  ["Comedy", "feel-good", 0.3],
  ["Children", "feel-good", 0.4],
  ["Musical", "feel-good", 0.5],
  ["Romance", "feel-good", 0.3],
  ["Horror", "dark", 0.6],
  ["Thriller", "dark", 0.4],
  ["Crime", "dark", 0.4],
  ["Film-Noir", "dark", 0.7],
  ["Comedy", "funny", 0.7],
  ["Animation", "funny", 0.3],
  ["Documentary", "thought-provoking", 0.6],
  ["Sci-Fi", "thought-provoking", 0.3],
  ["Drama", "thought-provoking", 0.25],
  ["IMAX", "visually-stunning", 0.7],
  ["Animation", "visually-stunning", 0.4],
  ["Fantasy", "visually-stunning", 0.4],
  ["Sci-Fi", "visually-stunning", 0.3],
  ["Drama", "based-on-book", 0.2],
  ["Fantasy", "based-on-book", 0.3],
  ["Mystery", "based-on-book", 0.3],
  ["Crime", "based-on-book", 0.2],
  ["Documentary", "true-story", 0.8],
  ["War", "true-story", 0.4],
  ["Drama", "true-story", 0.15],
  ["Mystery", "twist", 0.5],
  ["Thriller", "twist", 0.4],
  ["Children", "family", 0.8],
  ["Animation", "family", 0.6],
  ["Action", "violent", 0.4],
  ["War", "violent", 0.6],
  ["Horror", "violent", 0.5],
  ["Crime", "violent", 0.3],
  ["Western", "violent", 0.3],
  ["Romance", "romantic", 0.8],
  ["Comedy", "quirky", 0.2],
  ["Film-Noir", "atmospheric", 0.6],
  ["Horror", "atmospheric", 0.3],
  ["Mystery", "atmospheric", 0.3],
  ["Sci-Fi", "atmospheric", 0.2],
  ["Drama", "slow", 0.2],
  ["Documentary", "slow", 0.2],
  ["Drama", "award-winning", 0.15],
];

// Share of sessions starting in each local hour, on weekdays and at weekends.
const HOURS_WEEKDAY = [
  1.0, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 1.8, 1.0, 0.9, 1.0, 1.3, 1.2, 1.2, 1.4, 1.6, 2.0, 2.2, 3.0, 3.6, 3.6, 2.8,
  1.8,
];
const HOURS_WEEKEND = [
  1.5, 0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.6, 2.0, 2.2, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.6, 3.2, 3.6, 3.4, 2.8,
  2.0,
];
const DEVICE_SHARE = [0.35, 0.3, 0.15, 0.2];

const isCommute = (h: number) => (h >= 7 && h < 9) || (h >= 17 && h < 19);
const isLateNight = (h: number) => h >= 22 || h < 3;

/** How much more likely a device is used at this local hour (multiplier). */
function deviceHourFactor(device: Device, hour: number, weekend: boolean): number {
  switch (device) {
    case "tv":
      if (hour >= 18) return 2.0;
      if (weekend && hour >= 9) return 1.4;
      return isCommute(hour) ? 0.4 : hour < 5 ? 0.8 : 1;
    case "phone":
      if (isCommute(hour)) return 3.0;
      return isLateNight(hour) ? 1.5 : hour >= 19 ? 0.7 : 1;
    case "tablet":
      if (weekend && hour >= 9 && hour < 19) return 1.6;
      return hour >= 13 && hour < 18 ? 1.8 : 1;
    case "web":
      if (weekend) return 0.7;
      return hour >= 9 && hour < 17 ? 2.0 : 1;
  }
}

/**
 * The ground-truth context effect: log-odds added to a genre at a local hour, weekend flag and device. CF fitted on
 * who-watched-what cannot see it; a ranker given the request's context can learn it.
 */
export function contextLogBoost(genre: number, hour: number, weekend: boolean, device: Device): number {
  switch (GENRES[genre]) {
    case "Animation":
    case "Children": {
      let b = 0;
      if (hour >= 13 && hour < 18) b += 1.0;
      if (weekend && hour >= 8 && hour < 18) b += 0.8;
      if (hour >= 21 || hour < 5) b -= 1.2;
      if (device === "tablet") b += 0.5;
      return b;
    }
    case "Horror":
      return isLateNight(hour) ? 1.3 : hour >= 6 && hour < 14 ? -0.8 : 0;
    case "Thriller":
      return isLateNight(hour) ? 0.9 : hour >= 6 && hour < 14 ? -0.5 : 0;
    case "Drama":
      return device === "tv" && hour >= 19 && hour < 23 ? 1.0 : device === "phone" ? -0.4 : 0;
    case "Comedy":
      return device === "phone" && isCommute(hour) ? 1.3 : 0;
    case "Documentary":
      return device === "web" && !weekend && hour >= 9 && hour < 17 ? 1.0 : 0;
    case "Action":
    case "Adventure":
    case "Sci-Fi":
      return device === "tv" && weekend && hour >= 18 ? 0.6 : 0;
    case "Romance":
      return weekend && hour >= 19 ? 0.5 : 0;
    default:
      return 0;
  }
}

const ADJECTIVES = [
  "Silent",
  "Golden",
  "Broken",
  "Hidden",
  "Last",
  "Crimson",
  "Distant",
  "Frozen",
  "Burning",
  "Hollow",
  "Electric",
  "Quiet",
  "Wild",
  "Secret",
  "Lonely",
  "Restless",
  "Forgotten",
  "Bright",
  "Dark",
  "Endless",
  "Fallen",
  "Northern",
  "Southern",
  "Velvet",
  "Iron",
  "Paper",
  "Glass",
  "Midnight",
  "Scarlet",
  "Silver",
  "Lost",
  "Brave",
  "Gentle",
  "Savage",
  "Stolen",
  "Sleeping",
  "Wandering",
  "Shattered",
  "Crooked",
  "Little",
  "Infinite",
  "Painted",
  "Bitter",
  "Sweet",
  "Falling",
  "Rising",
  "Eternal",
  "Faded",
  "Open",
  "Narrow",
  "Emerald",
  "Copper",
  "Winter",
  "Summer",
  "Autumn",
  "Hungry",
  "Curious",
  "Reckless",
  "Stray",
  "Invisible",
  "Second",
  "Final",
  "Marble",
  "Blue",
  "Red",
];
const NOUNS = [
  "Harbor",
  "Garden",
  "River",
  "Mountain",
  "Letter",
  "Kingdom",
  "Station",
  "Island",
  "Mirror",
  "Forest",
  "Signal",
  "Orchard",
  "Bridge",
  "Lighthouse",
  "Road",
  "Desert",
  "Tide",
  "Empire",
  "Frontier",
  "Winter",
  "Machine",
  "Voyage",
  "Promise",
  "Shadow",
  "Canyon",
  "Carnival",
  "Archive",
  "Compass",
  "Echo",
  "Horizon",
  "Hotel",
  "Kitchen",
  "Ladder",
  "Lantern",
  "Meadow",
  "Orbit",
  "Palace",
  "Planet",
  "Quarry",
  "Rain",
  "Saint",
  "Season",
  "Secret",
  "Sky",
  "Song",
  "Storm",
  "Street",
  "Summer",
  "Theatre",
  "Thief",
  "Tower",
  "Train",
  "Valley",
  "Village",
  "Wolf",
  "Witness",
  "Crown",
  "Dance",
  "Detective",
  "Door",
  "Engine",
  "Field",
  "Fire",
  "Game",
  "Ghost",
  "Heart",
  "Hour",
  "Journey",
  "Key",
  "Map",
  "Ocean",
  "Paradise",
  "Pilot",
  "Prince",
  "Queen",
  "Circus",
  "Sister",
  "Brother",
  "Stranger",
];
const NAMES = [
  "Anna",
  "Marco",
  "Lena",
  "Hugo",
  "Iris",
  "Felix",
  "Nora",
  "Oscar",
  "Ruth",
  "Theo",
  "Vera",
  "Ezra",
  "Mira",
  "Otto",
  "Clara",
  "Jonas",
  "Ada",
  "Leo",
  "Maya",
  "Sami",
];

function makeTitle(rng: Rng, year: number, used: Set<string>): string {
  const pick = (a: string[]) => a[rng.int(a.length)] as string;
  for (let attempt = 0; ; attempt++) {
    let base: string;
    const form = rng.int(4);
    if (form === 0) base = `The ${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    else if (form === 1) base = `${pick(NOUNS)} of the ${pick(NOUNS)}`;
    else if (form === 2) base = `${pick(NAMES)} and the ${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    else base = `${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    // After many collisions, number the title like a sequel rather than loop for ever.
    const title = attempt < 20 ? `${base} (${year})` : `${base} ${attempt - 18} (${year})`;
    if (!used.has(title)) {
      used.add(title);
      return title;
    }
  }
}

function unitVector(v: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] as number) ** 2;
  const s = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * s;
  return v;
}

function randomVector(rng: Rng, scale = 1): Float64Array {
  const v = new Float64Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = rng.normal() * scale;
  return v;
}

function dot(a: Float64Array, b: Float64Array, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < DIM; i++) s += (a[i] as number) * (b[bOffset + i] as number);
  return s;
}

/** UTC offset of `tz` in ms around noon UTC of the day starting at `dayStartUtc`, via the shared local clock. */
function utcOffsetMs(dayStartUtc: number, tz: string): number {
  const probe = dayStartUtc + 12 * HOUR_MS;
  const local = localClock(probe, tz);
  const utcWeekday = new Date(probe).getUTCDay();
  const delta = (local.weekday - utcWeekday + 7) % 7;
  const dayShift = delta === 0 ? 0 : delta === 1 ? 1 : -1;
  return Math.round((local.hour - 12 + 24 * dayShift) * 60) * 60_000;
}

/**
 * Generates a synthetic data set. Same options, same output, byte for byte: nothing reads the wall clock.
 *
 * Ground truth: each title has a latent factor near its genres' directions and a Zipf popularity rank; each user a
 * taste vector near 1-3 favourite genres, a home region and a device mix. A view picks a title with probability
 * proportional to exp(taste affinity + popularity + release-year and regional genre terms + context boost) times a
 * launch bump for this year's releases; titles unavailable in the home region or already watched are never picked.
 */
export function generateSynthetic(opts: SyntheticOptions = {}): Dataset {
  const nUsers = opts.users ?? 1000;
  const nItems = opts.items ?? 1500;
  const seed = opts.seed ?? 42;
  const regions = opts.regions ?? loadRegions();
  if (!Number.isInteger(nUsers) || nUsers < 1) throw new RangeError(`synthetic: users must be a positive integer`);
  if (!Number.isInteger(nItems) || nItems < 20) throw new RangeError(`synthetic: items must be an integer >= 20`);
  if (regions.length < 1 || regions.length > 32)
    throw new RangeError(`synthetic: 1 to 32 regions, got ${regions.length}`);
  const rng = new Rng(seed);
  const nGenres = GENRES.length;

  const genreDir = GENRES.map(() => unitVector(randomVector(rng)));
  const tagDir = TAGS.map(() => unitVector(randomVector(rng)));
  const primaryWeights = GENRES.map((name) => PRIMARY_WEIGHT[name]);
  const regionGenre = regions.map(() => GENRES.map(() => 0.35 * rng.normal()));
  const regionWeight = regions.map(() => 0.6 + 0.8 * rng.next());

  // Catalogue.
  const items: Item[] = [];
  const factors = new Float64Array(nItems * DIM);
  const launchDay = new Float64Array(nItems).fill(Number.NEGATIVE_INFINITY);
  const usedTitles = new Set<string>();
  const allRegions = regions.length === 32 ? 0xffffffff : (1 << regions.length) - 1;
  for (let i = 0; i < nItems; i++) {
    const primary = rng.weighted(primaryWeights);
    const r = rng.next();
    const nSecondary = r < 0.3 ? 0 : r < 0.75 ? 1 : 2;
    const companions = COMPANIONS[GENRES[primary] as Genre].map(g);
    const secondary: number[] = [];
    for (let k = 0; k < nSecondary && companions.length > 0; k++) {
      const c = companions.splice(rng.int(companions.length), 1)[0] as number;
      secondary.push(c);
    }
    let year = END_YEAR - Math.floor(-Math.log(1 - rng.next()) * 11);
    if (year < 1930) year = 1930 + rng.int(30);
    const bigScreen = [g("Action"), g("Adventure"), g("Sci-Fi"), g("Animation")];
    if (year >= 2005 && bigScreen.includes(primary) && rng.next() < 0.15) secondary.push(g("IMAX"));
    let genres = 1 << primary;
    for (const s of secondary) genres |= 1 << s;

    const f = randomVector(rng, 0.9 / Math.sqrt(DIM));
    for (let d = 0; d < DIM; d++) {
      let v = (f[d] as number) + ((genreDir[primary] as Float64Array)[d] as number);
      for (const s of secondary) v += 0.5 * ((genreDir[s] as Float64Array)[d] as number);
      f[d] = v;
    }
    unitVector(f);
    factors.set(f, i * DIM);

    let tags = 0;
    for (const [gn, tn, p] of GENRE_TAGS) if ((genres >>> g(gn)) & 1 && rng.next() < p) tags |= 1 << t(tn);
    for (let k = 0; k < TAGS.length; k++) if (dot(f, tagDir[k] as Float64Array) > 0.6) tags |= 1 << k;
    if (year < 1980 && rng.next() < 0.6) tags |= 1 << t("classic");
    if (rng.next() < 0.03) tags |= 1 << t("award-winning");

    let avail = 0;
    for (let k = 0; k < regions.length; k++) if (rng.next() < 0.9) avail |= 1 << k;
    if (avail === 0) avail = 1 << rng.int(regions.length);
    // This year's releases launch on a day of the window (or shortly before it) and trend for a few weeks.
    if (year === END_YEAR) launchDay[i] = -150 + rng.int(SYNTHETIC_DAYS + 145);

    items.push({
      id: i + 1,
      title: makeTitle(rng, year, usedTitles),
      genres: genres >>> 0,
      tags: tags >>> 0,
      year,
      primaryGenre: primary,
      regions: (avail & allRegions) >>> 0,
    });
  }
  const rank = rng.shuffle(Array.from({ length: nItems }, (_, i) => i));
  const logPop = new Float64Array(nItems);
  rank.forEach((item, r) => {
    logPop[item] = -Math.log(r + 1);
  });
  const staticTerm = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const y = (items[i] as Item).year;
    staticTerm[i] = 0.4 * Math.min(1.4, Math.max(-1.5, (y - 2005) / 15));
  }

  // Context multipliers per (local hour, weekend, device) and launch bumps per day, shared by all users.
  const ctxMult = new Float64Array(24 * 2 * DEVICES.length * nItems);
  const genreBoost = new Float64Array(nGenres);
  for (let h = 0; h < 24; h++) {
    for (let w = 0; w < 2; w++) {
      for (let d = 0; d < DEVICES.length; d++) {
        for (let k = 0; k < nGenres; k++) genreBoost[k] = contextLogBoost(k, h, w === 1, DEVICES[d] as Device);
        const base = ((h * 2 + w) * DEVICES.length + d) * nItems;
        for (let i = 0; i < nItems; i++) {
          const it = items[i] as Item;
          let b = genreBoost[it.primaryGenre] as number;
          for (let k = 0; k < nGenres; k++)
            if (k !== it.primaryGenre && (it.genres >>> k) & 1) b += 0.5 * (genreBoost[k] as number);
          ctxMult[base + i] = Math.exp(b);
        }
      }
    }
  }
  const newReleases: number[] = [];
  for (let i = 0; i < nItems; i++) if (launchDay[i] !== Number.NEGATIVE_INFINITY) newReleases.push(i);
  const launchMult = new Float64Array(SYNTHETIC_DAYS * newReleases.length);
  for (let day = 0; day < SYNTHETIC_DAYS; day++) {
    newReleases.forEach((i, k) => {
      const age = day - (launchDay[i] as number);
      launchMult[day * newReleases.length + k] = age < 0 ? 0 : 1 + 4 * Math.exp(-age / 12);
    });
  }
  const offsets = regions.map((r) =>
    Array.from({ length: SYNTHETIC_DAYS }, (_, day) => utcOffsetMs(SYNTHETIC_START + day * DAY_MS, r.timeZone)),
  );

  // Users and their views.
  const users: number[] = [];
  const homeRegion = new Map<number, string>();
  const interactions: Interaction[] = [];
  const weights = new Float64Array(nItems);
  const userBase = new Float64Array(nItems);
  const deviceWeights = new Float64Array(DEVICES.length);
  for (let u = 1; u <= nUsers; u++) {
    users.push(u);
    const home = rng.weighted(regionWeight);
    const region = regions[home] as Region;
    homeRegion.set(u, region.id);
    const taste = randomVector(rng, 0.8 / Math.sqrt(DIM));
    const nFav = 1 + rng.int(3);
    for (let k = 0; k < nFav; k++) {
      const fav = genreDir[rng.weighted(primaryWeights)] as Float64Array;
      const w = k === 0 ? 1 : 0.6;
      for (let d = 0; d < DIM; d++) taste[d] = (taste[d] as number) + w * (fav[d] as number);
    }
    unitVector(taste);
    const mainstream = 0.5 + 0.6 * rng.next();
    const deviceMix = DEVICE_SHARE.map((s) => s * Math.exp(0.9 * rng.normal()));

    let available = 0;
    let maxLogit = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < nItems; i++) {
      const it = items[i] as Item;
      const logit =
        5 * dot(taste, factors, i * DIM) +
        0.7 * mainstream * (logPop[i] as number) +
        (staticTerm[i] as number) +
        ((regionGenre[home] as number[])[it.primaryGenre] as number);
      userBase[i] = logit;
      if ((it.regions >>> home) & 1) {
        available++;
        if (logit > maxLogit) maxLogit = logit;
      }
    }
    for (let i = 0; i < nItems; i++) {
      userBase[i] = ((items[i] as Item).regions >>> home) & 1 ? Math.exp((userBase[i] as number) - maxLogit) : 0;
    }

    const n = Math.max(3, Math.min(Math.floor(available * 0.6), Math.round(Math.exp(3.55 + 0.85 * rng.normal()))));
    const events: { ts: number; hour: number; weekend: boolean; day: number; device: Device }[] = [];
    while (events.length < n) {
      const day = rng.int(SYNTHETIC_DAYS);
      const dayStart = SYNTHETIC_START + day * DAY_MS;
      const weekday = new Date(dayStart).getUTCDay();
      const profile = weekday === 0 || weekday === 6 ? HOURS_WEEKEND : HOURS_WEEKDAY;
      const localMs = (rng.weighted(profile) + rng.next()) * HOUR_MS;
      const ts = Math.floor(dayStart + localMs - ((offsets[home] as number[])[day] as number));
      if (ts < SYNTHETIC_START || ts >= SYNTHETIC_END) continue;
      const clock = localClock(ts, region.timeZone);
      const hour = Math.floor(clock.hour);
      const weekend = clock.weekday === 0 || clock.weekday === 6;
      for (let d = 0; d < DEVICES.length; d++) {
        deviceWeights[d] = (deviceMix[d] as number) * deviceHourFactor(DEVICES[d] as Device, hour, weekend);
      }
      const device = DEVICES[rng.weighted(deviceWeights)] as Device;
      events.push({ ts, hour, weekend, day: Math.floor((ts - SYNTHETIC_START) / DAY_MS), device });
    }
    events.sort((a, b) => a.ts - b.ts);

    for (const ev of events) {
      const ctxBase = ((ev.hour * 2 + (ev.weekend ? 1 : 0)) * DEVICES.length + DEVICES.indexOf(ev.device)) * nItems;
      for (let i = 0; i < nItems; i++) weights[i] = (userBase[i] as number) * (ctxMult[ctxBase + i] as number);
      const launchBase = ev.day * newReleases.length;
      for (let k = 0; k < newReleases.length; k++) {
        const i = newReleases[k] as number;
        weights[i] = (weights[i] as number) * (launchMult[launchBase + k] as number);
      }
      let total = 0;
      for (let i = 0; i < nItems; i++) total += weights[i] as number;
      if (total <= 0) break;
      let r = rng.next() * total;
      let chosen = -1;
      for (let i = 0; i < nItems; i++) {
        const w = weights[i] as number;
        if (w <= 0) continue;
        chosen = i;
        r -= w;
        if (r < 0) break;
      }
      userBase[chosen] = 0;
      interactions.push({ userId: u, itemId: chosen + 1, ts: ev.ts, region: region.id, device: ev.device });
    }
  }
  interactions.sort((a, b) => a.ts - b.ts || a.userId - b.userId || a.itemId - b.itemId);

  return {
    name: `synthetic(seed=${seed},users=${nUsers},items=${nItems})`,
    items,
    users,
    interactions,
    regions: regions.map((r) => ({ ...r })),
    homeRegion,
  };
}
