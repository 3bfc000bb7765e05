// The origin's in-memory data model: a catalog, users and time-stamped interactions.
import type { Device } from "../../core/vocab.js";

/** A catalog title. `regions` is an availability mask over Dataset.regions. */
export interface Item {
  id: number;
  title: string;
  genres: number;
  tags: number;
  year: number;
  /** Index into GENRES of the primary genre (255 = none). */
  primaryGenre: number;
  regions: number;
}

export interface Interaction {
  userId: number;
  itemId: number;
  /** Epoch milliseconds. */
  ts: number;
  /** Region id the user watched from. */
  region: string;
  device: Device;
  /** Explicit rating when the source has one (MovieLens), else undefined. */
  rating?: number;
}

export interface Region {
  id: string;
  timeZone: string;
}

export interface Dataset {
  name: string;
  items: Item[];
  /** User ids, ascending; synthetic users are numbered from 1. */
  users: number[];
  /** Sorted by ts, ascending. */
  interactions: Interaction[];
  /** Region order defines availability bits. */
  regions: Region[];
  /** Each user's home region. */
  homeRegion: Map<number, string>;
  /**
   * False when the source records no real viewing context (MovieLens: devices and regions are assigned by hash,
   * timestamps are when a rating was entered): trainers then hold the context features at zero weight, since
   * whatever they learned from them would be noise. Absent means observed (the synthetic world).
   */
  contextObserved?: boolean;
}

/**
 * Interactions per user, in log order. Users in `users` come first (with an empty list if they have none);
 * the others follow in order of first appearance.
 */
export function groupByUser(
  interactions: readonly Interaction[],
  users: readonly number[] = [],
): Map<number, Interaction[]> {
  const byUser = new Map<number, Interaction[]>();
  for (const u of users) byUser.set(u, []);
  for (const x of interactions) {
    let list = byUser.get(x.userId);
    if (!list) {
      list = [];
      byUser.set(x.userId, list);
    }
    list.push(x);
  }
  return byUser;
}
