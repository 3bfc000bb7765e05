// Closed vocabularies shared by the origin, training and the edge: their order is part of the feature schema.

/** Genre vocabulary (MovieLens' genres); bit i of a genre mask means GENRES[i]. */
export const GENRES = [
  "Action",
  "Adventure",
  "Animation",
  "Children",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Film-Noir",
  "Horror",
  "IMAX",
  "Musical",
  "Mystery",
  "Romance",
  "Sci-Fi",
  "Thriller",
  "War",
  "Western",
] as const;
export type Genre = (typeof GENRES)[number];

/** Content tags; bit i of a tag mask means TAGS[i]. MovieLens free-text tags are folded onto these. */
export const TAGS = [
  "feel-good",
  "dark",
  "funny",
  "thought-provoking",
  "visually-stunning",
  "based-on-book",
  "true-story",
  "classic",
  "twist",
  "family",
  "violent",
  "romantic",
  "quirky",
  "atmospheric",
  "slow",
  "award-winning",
] as const;
export type Tag = (typeof TAGS)[number];

/** Recommendation rows the edge serves. */
export const ROWS = ["top-picks", "trending", "because-you-watched"] as const;
export type Row = (typeof ROWS)[number];

/** Device classes a client reports. */
export const DEVICES = ["tv", "phone", "tablet", "web"] as const;
export type Device = (typeof DEVICES)[number];

/** Bit mask of the genre names given (unknown names are ignored). */
export function genreMask(names: readonly string[]): number {
  let mask = 0;
  for (const name of names) {
    const i = (GENRES as readonly string[]).indexOf(name);
    if (i >= 0) mask |= 1 << i;
  }
  return mask >>> 0;
}

/** Bit mask of the tag names given (unknown names are ignored). */
export function tagMask(names: readonly string[]): number {
  let mask = 0;
  for (const name of names) {
    const i = (TAGS as readonly string[]).indexOf(name);
    if (i >= 0) mask |= 1 << i;
  }
  return mask >>> 0;
}

/** Indices of the set bits of a mask, lowest first. */
export function maskBits(mask: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) out.push(i);
  return out;
}
