// A loopback proxy that adds a network round-trip time, and can play an unreachable or slow upstream for faults.
import { Agent, type ClientRequest, createServer, request, type Server } from "node:http";
import type { Socket } from "node:net";

/** When each upstream socket last finished an answer, and how long the socket a request got had been idle (ms). */
const lastDone = new WeakMap<Socket, number>();
const idleBefore = new WeakMap<ClientRequest, number | null>();

/**
 * Added to every answer the proxy forwards: `late=<ms>` its two timers ran past the RTT they were set for (a busy
 * event loop), `upstream=<ms>` from forwarding the request to the upstream's last byte.
 */
export const PROXY_TIMING_HEADER = "x-sim-proxy-timing";

/** Round-trip time to add for one request (ms), e.g. by the region it names. */
export type RttFor = (url: URL) => number;

/**
 * Forwards HTTP to `upstream` over a keep-alive pool: half the RTT before the request leaves, half before the
 * answer is sent back, so a round trip costs the RTT. `down()` stops listening and resets open connections
 * (callers see refused or reset connections, as with a dead origin); `slow(ms)` adds a delay before forwarding.
 */
export class DelayProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /**
   * Idle upstream connections are closed after 2 s, well before the servers behind the proxies close theirs
   * (workerd and Node's http server both drop a keep-alive connection after 5 s idle, without announcing it).
   * Reusing a connection the server is closing loses the request ("socket hang up"); on a loaded machine a
   * stalled event loop widens that race from microseconds to the stall. It is an artefact of the loopback
   * topology (in production the devices' connections end at Cloudflare's front line, not at the worker), so
   * the proxy must not produce it; any upstream failure left is still recorded in `errors`.
   */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 2000 });
  private extraMs = 0;
  port = 0;
  /** Upstream failures seen while forwarding (the caller's connection was dropped for each), for the report. */
  readonly errors: { atEpoch: number; path: string; error: string; reusedSocket: boolean; idleMs: number | null }[] =
    [];

  constructor(
    private readonly upstream: URL | (() => URL),
    private readonly rtt: RttFor,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening (on `port`, or a free one the first time). */
  async listen(port = this.port): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://proxy");
      const half = this.rtt(url) / 2;
      const extra = this.extraMs;
      const arrived = performance.now();
      setTimeout(() => {
        const forwarded = performance.now();
        const target = typeof this.upstream === "function" ? this.upstream() : this.upstream;
        let upSocket: Socket | null = null;
        const up = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent: this.agent,
          },
          (upRes) => {
            const chunks: Buffer[] = [];
            upRes.on("data", (c: Buffer) => chunks.push(c));
            upRes.on("end", () => {
              if (upSocket) lastDone.set(upSocket, Date.now());
              const answered = performance.now();
              setTimeout(() => {
                const body = Buffer.concat(chunks);
                const headers: Record<string, string | string[] | undefined> = {
                  ...upRes.headers,
                  "content-length": String(body.length),
                };
                delete headers["transfer-encoding"];
                // Where this proxy's share of the latency went, for the report's tail breakdown.
                const late = forwarded - arrived - (half + extra) + (performance.now() - answered - half);
                headers[PROXY_TIMING_HEADER] = `late=${late.toFixed(2)};upstream=${(answered - forwarded).toFixed(2)}`;
                res.writeHead(upRes.statusCode ?? 502, headers);
                res.end(body);
              }, half);
            });
            upRes.on("error", (err) => this.fail(req.url ?? "", err, up, res));
          },
        );
        up.on("error", (err) => this.fail(req.url ?? "", err, up, res));
        up.on("socket", (s: Socket) => {
          upSocket = s;
          const done = lastDone.get(s);
          idleBefore.set(up, done === undefined ? null : Date.now() - done);
        });
        req.pipe(up);
      }, half + extra);
    });
    server.keepAliveTimeout = 30_000;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === "object") this.port = addr.port;
    this.server = server;
  }

  private fail(path: string, err: Error & { code?: string }, up: ClientRequest, res: { destroy(): void }): void {
    const idle = idleBefore.get(up);
    this.errors.push({
      atEpoch: Date.now(),
      path,
      error: `${err.code ?? ""} ${err.message}`.trim(),
      reusedSocket: up.reusedSocket,
      idleMs: idle ?? null,
    });
    res.destroy();
  }

  /** The upstream becomes unreachable: no listener, every open connection reset. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Reachable again on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  /** Adds `ms` before every forwarded request from now on (0 ends it). */
  slow(ms: number): void {
    this.extraMs = ms;
  }

  async close(): Promise<void> {
    await this.down();
    this.agent.destroy();
  }
}
