// The soak's request mix: home-screen sessions of simulated users (rows, regions, devices, limits, re-ranks), seeded.

/** One HTTP request the load generator sends. */
export interface SoakRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the request stands for in the report's breakdown. */
  kind: "top-picks" | "trending" | "because-you-watched" | "rerank";
}

export interface MixOptions {
  seed: number;
  /** Known users are "1".."users" (the origin's synthetic world has 1,000). */
  users: number;
  /** Share of sessions from users the origin has never seen (new sign-ups: the popular fallback). */
  newUserShare: number;
  /** Share of sessions that also call POST /v1/rerank once. */
  rerankShare: number;
  /** Sessions interleaved at once; each request goes to a random one of them. */
  concurrentSessions: number;
  /** Catalog ids the re-rank calls send (taken from live answers, so they exist in the published catalog). */
  itemIds: readonly number[];
}

export const REGIONS = ["eu-west", "us-east", "us-west", "ap-southeast"] as const;
const DEVICES = [
  ["tv", 0.35],
  ["phone", 0.35],
  ["tablet", 0.1],
  ["web", 0.2],
] as const;
const LIMITS = [
  [10, 0.3],
  [20, 0.5],
  [40, 0.2],
] as const;

/** xorshift32: small, fast and reproducible from a seed; quality is ample for picking a request mix. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function weighted<T>(r: number, table: readonly (readonly [T, number])[]): T {
  let acc = 0;
  for (const [v, w] of table) {
    acc += w;
    if (r < acc) return v;
  }
  return (table[table.length - 1] as readonly [T, number])[0];
}

/**
 * The client address a user's requests come from: one household per user, so per-IP and per-user rates are
 * equal. Known users get 10.0.0.0/8 addresses, new ones 100.64.0.0/10, both from their number.
 */
export function clientIp(n: number, isNew: boolean): string {
  const a = isNew ? 64 + ((n >>> 16) & 63) : (n >>> 16) & 255;
  return `${isNew ? 100 : 10}.${a}.${(n >>> 8) & 255}.${n & 255}`;
}

/** A user's home region: fixed per user, as a household does not move between requests. */
export function homeRegion(n: number): (typeof REGIONS)[number] {
  return REGIONS[n % REGIONS.length] as (typeof REGIONS)[number];
}

interface Session {
  steps: SoakRequest[];
}

/**
 * Generates requests as interleaved home-screen sessions: a user opens the app on one device, its rows load
 * (top-picks, trending, because-you-watched, in a random order) and sometimes a re-rank call follows.
 */
export class SessionMix {
  private readonly random: () => number;
  private readonly active: Session[] = [];
  private newUsers = 0;
  readonly counts: Record<SoakRequest["kind"], number> = {
    "top-picks": 0,
    trending: 0,
    "because-you-watched": 0,
    rerank: 0,
  };

  constructor(private readonly opts: MixOptions) {
    if (opts.users < 1) throw new Error("users must be at least 1");
    if (opts.concurrentSessions < 1) throw new Error("concurrentSessions must be at least 1");
    this.random = rng(opts.seed);
  }

  /** The next request to send. */
  next(): SoakRequest {
    while (this.active.length < this.opts.concurrentSessions) this.active.push(this.session());
    const i = Math.floor(this.random() * this.active.length);
    const s = this.active[i] as Session;
    const req = s.steps.shift() as SoakRequest;
    if (s.steps.length === 0) this.active.splice(i, 1);
    this.counts[req.kind]++;
    return req;
  }

  private session(): Session {
    const r = this.random;
    const isNew = r() < this.opts.newUserShare;
    const n = isNew ? ++this.newUsers : 1 + Math.floor(r() * this.opts.users);
    const userId = isNew ? `new-${n}` : String(n);
    const device = weighted(r(), DEVICES);
    const region = homeRegion(n);
    // A moment within one week, at a minute, so peak and off-peak policy profiles both serve.
    const at = new Date(Date.UTC(2026, 10, 2 + Math.floor(r() * 7), Math.floor(r() * 24), Math.floor(r() * 60)));
    const headers = {
      "cf-connecting-ip": clientIp(n, isNew),
      "x-frontrow-region": region,
      "x-frontrow-now": at.toISOString(),
    };
    const rows = ["top-picks", "trending", "because-you-watched"] as const;
    const order: (typeof rows)[number][] = [...rows];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j] as (typeof rows)[number], order[i] as (typeof rows)[number]];
    }
    const steps: SoakRequest[] = order.map((row) => ({
      method: "GET",
      path: `/v1/recommendations/${userId}?row=${row}&limit=${weighted(r(), LIMITS)}&device=${device}`,
      headers,
      kind: row,
    }));
    if (this.opts.itemIds.length > 0 && r() < this.opts.rerankShare) {
      const count = 20 + Math.floor(r() * 81);
      const ids = new Set<number>();
      while (ids.size < Math.min(count, this.opts.itemIds.length)) {
        ids.add(this.opts.itemIds[Math.floor(r() * this.opts.itemIds.length)] as number);
      }
      steps.push({
        method: "POST",
        path: "/v1/rerank",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ userId, device, limit: 10, candidates: [...ids].map((id) => ({ id })) }),
        kind: "rerank",
      });
    }
    return { steps };
  }
}

/** Requests per minute each user (and so each client address) sends on average at `rate` requests per second. */
export function perUserPerMinute(rate: number, users: number, newUserShare: number): number {
  // New users appear once; the known users carry the rest of the load between them.
  return (rate * 60 * (1 - newUserShare)) / users;
}
