// The origin's load-dependent latency: a server with a fixed number of workers whose service time grows with how many are busy.

/** Parameters of the origin's capacity: `slots` requests in service at once, the rest wait in FIFO order. */
export interface LoadModelOptions {
  slots: number;
  /** Service time of a request when it is alone in service, ms. */
  baseMs: number;
  /** Extra service time per other request in service, as a fraction of baseMs (contention for CPU and storage). */
  growth: number;
}

/** Service time with `busy` requests in service (this one included). */
export function serviceMs(opts: LoadModelOptions, busy: number): number {
  return opts.baseMs * (1 + opts.growth * Math.max(0, busy - 1));
}

/**
 * A concurrency-limited server: at most `slots` handlers run at once, the rest queue; each handler's time in
 * service is stretched to serviceMs(busy) (the real handler's own time counts towards it), so latency grows
 * with load and, past capacity, queueing takes over.
 */
export class LoadModel {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  /** Most requests ever waiting for a slot. */
  maxQueued = 0;

  constructor(readonly opts: LoadModelOptions) {
    if (!(opts.slots >= 1 && opts.baseMs >= 0 && opts.growth >= 0)) throw new RangeError("invalid load model");
  }

  get inService(): number {
    return this.busy;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `handler` in a slot and holds the slot until the modelled service time has passed. */
  async run<T>(handler: () => Promise<T>, sleep = defaultSleep): Promise<T> {
    if (this.busy >= this.opts.slots) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.maxQueued = Math.max(this.maxQueued, this.waiting.length);
      });
    } else {
      this.busy++;
    }
    const t0 = performance.now();
    try {
      const result = await handler();
      const left = serviceMs(this.opts, this.busy) - (performance.now() - t0);
      if (left > 0) await sleep(left);
      return result;
    } finally {
      // Hand the slot straight to the next waiter (busy stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
