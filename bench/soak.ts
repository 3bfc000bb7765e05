// `npm run soak`: a fixed-rate load (autocannon) against `wrangler dev` with workerd memory sampled over time.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import WebSocket from "ws";
import { z } from "zod";
import { ConfigKv, loadConfigDir, publishConfig } from "../edge-config/publish.js";
import { openStore } from "../origin/src/kv-store.js";
import { lineChart, list, page } from "./chart.js";
import { freePort } from "./ports.js";
import { childrenOf, cmdline, descendantsOf, parentOf } from "./proc.js";
import { type RssParts, rssParts } from "./rss-parts.js";
import { perUserPerMinute, SessionMix, type SoakRequest } from "./soak-mix.js";
import {
  type FlatnessCriterion,
  flatnessVerdict,
  type GcSample,
  isDevProxyDrop,
  latencyPerSecond,
  latencySummary,
  type MemorySample,
  partSlopes,
  thinSamples,
} from "./soak-stats.js";
import { table } from "./stats.js";

/**
 * Fixed before any run. At the default 100 req/s, 1 MiB/min of post-GC heap is ~175 bytes kept per request and
 * 4 MiB/min of RSS ~700 bytes: a leak of anything per-request (a list, a tensor, a closure) is far above both.
 */
const CRITERION: FlatnessCriterion = { maxHeapSlopeMiBPerMin: 1, maxHeapGrowthMiB: 2, maxRssSlopeMiBPerMin: 4 };
/** Non-2xx answers kept with their request and body for the report. */
const MAX_NOT_OK = 50;
/** The achieved rate must reach this share of the target, or the soak did not test the load it claims. */
const MIN_RATE_SHARE = 0.95;

const Args = z.object({
  rate: z.coerce.number().int().min(1).max(5000),
  duration: z.coerce.number().int().min(10).max(3600),
  warmup: z.coerce.number().int().min(0).max(600),
  connections: z.coerce.number().int().min(1).max(1000),
  "gc-every": z.coerce.number().int().min(2).max(600),
  seed: z.coerce.number().int().min(0).max(0xffffffff),
  users: z.coerce.number().int().min(1).max(1000),
  timeout: z.coerce.number().int().min(1).max(60),
  url: z.url().optional(),
  pid: z.coerce.number().int().positive().optional(),
  out: z.string().min(1),
});
type Options = z.infer<typeof Args>;

const USAGE = `usage: npm run soak -- [--rate 100] [--duration 60] [--warmup 120] [--connections 20] [--gc-every 10]
                     [--users 1000] [--seed 1] [--timeout 10] [--url http://127.0.0.1:8787 [--pid <workerd pid>]]
                     [--out bench/results/soak]
  Without --url it starts its own stack (scripts/dev-stack.ts on free ports, its own KV state) and stops it after.`;

function options(): Options {
  try {
    const { values } = parseArgs({
      options: {
        rate: { type: "string", default: "100" },
        duration: { type: "string", default: "60" },
        // 60 s: in a 600-s run the native heap filled (memory list tier, malloc caches) from 121 to 131 MiB between
        // 20 and 60 s, then held 131-133 MiB to 240 s (bench/results/soak-600s.json); a 20-s warm-up judged that fill.
        warmup: { type: "string", default: "120" },
        connections: { type: "string", default: "20" },
        "gc-every": { type: "string", default: "10" },
        seed: { type: "string", default: "1" },
        users: { type: "string", default: "1000" },
        timeout: { type: "string", default: "10" },
        url: { type: "string" },
        pid: { type: "string" },
        out: { type: "string", default: "bench/results/soak" },
      },
      strict: true,
    });
    return Args.parse(values);
  } catch (e) {
    console.error(`soak: ${e instanceof z.ZodError ? z.prettifyError(e) : (e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIB = 1024 * 1024;
const round = (v: number, d = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

// --- processes and sockets, from /proc -------------------------------------------------------------------

/** TCP ports `pid` listens on (IPv4 and IPv6), from its socket inodes and /proc/net/tcp*. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`, "utf8").toString());
      if (m?.[1]) inodes.add(m[1]);
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is hexip:hexport, st 0A is LISTEN, field 9 is the inode.
      if (f[3] === "0A" && f[9] && inodes.has(f[9])) ports.push(Number.parseInt((f[1] ?? "").split(":")[1] ?? "", 16));
    }
  }
  return ports;
}

/** The pid listening on `port` among the given candidates. */
function listenerOf(port: number, pids: number[]): number | null {
  return pids.find((p) => listeningPorts(p).includes(port)) ?? null;
}

/** The workerd that runs the user worker: wrangler starts two, and only that one has an inspector socket. */
function userWorkerd(wranglerPid: number): number | null {
  return (
    childrenOf(wranglerPid).find((p) => {
      const args = cmdline(p);
      return (args[0] ?? "").endsWith("/workerd") && args.some((a) => a.startsWith("--inspector-addr"));
    }) ?? null
  );
}

function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The RSS split by what holds it (bench/rss-parts.ts), or null when smaps cannot be read. */
function partsOf(pid: number): RssParts | null {
  try {
    return rssParts(readFileSync(`/proc/${pid}/smaps`, "utf8"));
  } catch {
    return null;
  }
}

/** A post-GC heap reading of one of the process's other isolates (Miniflare's local services). */
interface OtherGcSample {
  id: string;
  t: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

// --- the isolate's heap over the inspector -----------------------------------------------------------------

const Targets = z.array(z.object({ id: z.string(), webSocketDebuggerUrl: z.string() }));
const HeapUsage = z.object({ usedSize: z.number(), totalSize: z.number(), backingStorageSize: z.number().optional() });
type HeapUsage = z.infer<typeof HeapUsage>;

/** An inspector target of the workerd process: one per worker (isolate) it runs. */
interface Target {
  id: string;
  url: string;
}

/**
 * workerd's own inspector (not wrangler's proxy, which drops HeapProfiler calls): its targets, the user worker's
 * (`core:user:<name>`) first. Under `wrangler dev` the others are Miniflare's local services (KV, cache, the
 * entry router), which exist only locally.
 */
async function findTargets(workerdPid: number): Promise<Target[]> {
  for (const port of listeningPorts(workerdPid)) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(1000) });
      const parsed = Targets.safeParse(await res.json());
      if (!parsed.success || !parsed.data.some((t) => t.id.startsWith("core:user:"))) continue;
      return parsed.data
        .map((t) => ({ id: t.id, url: t.webSocketDebuggerUrl }))
        .sort((a, b) => Number(b.id.startsWith("core:user:")) - Number(a.id.startsWith("core:user:")));
    } catch {
      // not the inspector
    }
  }
  return [];
}

/**
 * A session on a target that answers. `wrangler dev`'s inspector proxy holds a session on the user worker; the
 * first other connection takes the target over, but workerd never answers on it (seen with wrangler 4.86:
 * not even at idle), while the next connection is served. So a session that does not answer a heap reading
 * within a few seconds while the isolate is idle is closed and replaced.
 */
async function openAnswering(target: Target, attempts = 3): Promise<Inspector | null> {
  for (let i = 1; i <= attempts; i++) {
    const insp = await Inspector.open(target.url).catch(() => null);
    if (insp && (await insp.heap(3000)) !== null) {
      if (i > 1) log(`soak: inspector session ${i} on ${target.id} answers (session ${i - 1} did not)`);
      return insp;
    }
    insp?.close();
  }
  log(`soak: no inspector session on ${target.id} answered in ${attempts} attempts`);
  return null;
}

/** A minimal DevTools protocol session; calls time out rather than hang the sampler. */
class Inspector {
  private id = 0;
  private readonly pending = new Map<number, (v: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg.result);
      if (msg.id !== undefined) this.pending.delete(msg.id);
    });
  }
  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return new Inspector(ws);
  }
  call(method: string, timeoutMs = 5000): Promise<unknown> {
    const my = ++this.id;
    this.ws.send(JSON.stringify({ id: my, method, params: {} }));
    return Promise.race([
      new Promise((r) => this.pending.set(my, r)),
      sleep(timeoutMs).then(() => {
        this.pending.delete(my);
        return null;
      }),
    ]);
  }
  async heap(timeoutMs = 5000): Promise<HeapUsage | null> {
    const parsed = HeapUsage.safeParse(await this.call("Runtime.getHeapUsage", timeoutMs));
    return parsed.success ? parsed.data : null;
  }
  /** A full GC, then the heap; workerd runs the GC when the isolate next has work, which load provides. */
  async heapAfterGc(): Promise<HeapUsage | null> {
    if ((await this.call("HeapProfiler.collectGarbage", 30_000)) === null) return null;
    return this.heap(30_000);
  }
  close(): void {
    this.ws.close();
  }
}

// --- the stack -----------------------------------------------------------------------------------------------

interface Stack {
  url: string;
  workerdPid: number;
  started: boolean;
  /** A stack the soak started: its local KV state and signing key, with which the soak publishes its edge config. */
  own: { persistTo: string; signingKey: string } | null;
  stop(): Promise<void>;
}

/**
 * Freshness the soak's edge config gives every list, in every region, row and profile (the shipped files say
 * 120-1,200 s). With the shipped values a 10-minute soak sees each list's first revalidation only, and the
 * native memory step when revalidation starts (origin fetches, KV write-backs) lands inside the measured
 * window; at 60 s every list goes through stale-while-revalidate, the origin and a KV write-back again and
 * again, from the warm-up on. A harsher test of the refresh path, not a gentler one.
 */
const SOAK_FRESH_SECONDS = 60;

/**
 * The repository's edge config with every freshSeconds set to SOAK_FRESH_SECONDS, published to `persistTo` and
 * signed with the stack's key (its worker refuses an unsigned config).
 */
async function publishSoakConfig(persistTo: string, signingKey: string): Promise<string> {
  const cfg = structuredClone(loadConfigDir().cfg);
  const fresh = (p: { freshSeconds?: number } | undefined) => {
    if (p) p.freshSeconds = SOAK_FRESH_SECONDS;
  };
  fresh(cfg.policy);
  for (const row of Object.values(cfg.rows)) if (row.freshSeconds !== undefined) fresh(row);
  for (const region of Object.values(cfg.regions)) {
    for (const layer of [region.policy, ...Object.values(region.rows ?? {}), region.peak?.policy]) {
      if (layer?.freshSeconds !== undefined) fresh(layer);
    }
    for (const row of Object.values(region.peak?.rows ?? {})) if (row.freshSeconds !== undefined) fresh(row);
  }
  cfg.version = "soak";
  const store = await openStore({ mode: "local", persistTo });
  try {
    const r = await publishConfig(new ConfigKv(store), cfg, new Date(), signingKey);
    return r.version;
  } finally {
    await store.close();
  }
}

/** Waits until the worker answers under config `version` (it re-reads config:active every 10 s). */
async function waitForConfig(url: string, version: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/v1/recommendations/1?row=trending&limit=1`);
      const body = (await res.json()) as { config?: { version?: string } };
      if (body.config?.version === version) return;
    } catch {
      // not yet
    }
    await sleep(500);
  }
  throw new Error(`the worker did not take config ${version} within ${timeoutMs / 1000} s`);
}

async function waitForModel(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  const Body = z.object({ servedBy: z.string() });
  while (Date.now() < until) {
    if (!alive()) throw new Error("the stack exited while starting");
    try {
      const res = await fetch(`${url}/v1/recommendations/1?row=top-picks&limit=5`, {
        headers: { "x-frontrow-region": "eu-west" },
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok && Body.parse(await res.json()).servedBy === "model") return;
    } catch {
      // not up yet
    }
    await sleep(500);
  }
  throw new Error(`${url} did not serve a model-ranked row within ${timeoutMs / 1000} s`);
}

/** Starts the quick start's stack (scripts/dev-stack.ts) on free ports with its own KV state. */
async function startStack(): Promise<Stack> {
  const [edge, origin, inspector] = [await freePort(), await freePort(), await freePort()];
  const work = mkdtempSync(join(tmpdir(), "frontrow-soak-"));
  const logFile = join(work, "stack.log");
  const signingKey = randomBytes(24).toString("hex");
  const child: ChildProcess = spawn(
    "npx",
    [
      "tsx",
      "scripts/dev-stack.ts",
      "--port",
      String(edge),
      "--origin-port",
      String(origin),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      join(work, "state"),
    ],
    // dev-stack signs with ARTIFACT_SIGNING_KEY when given: a key of this run's own, so the soak can sign too.
    {
      stdio: ["ignore", openSync(logFile, "a"), openSync(logFile, "a")],
      detached: true,
      env: { ...process.env, ARTIFACT_SIGNING_KEY: signingKey },
    },
  );
  const url = `http://127.0.0.1:${edge}`;
  let workerdPid: number | null = null;
  const stop = async () => {
    // dev-stack stops the origin's and wrangler's process groups on SIGTERM; its own group gets it here.
    try {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    for (let i = 0; i < 40 && workerdPid !== null && rssBytes(workerdPid) !== null; i++) await sleep(250);
    if (workerdPid !== null && rssBytes(workerdPid) !== null) process.kill(workerdPid, "SIGKILL");
    rmSync(work, { recursive: true, force: true });
  };
  log(`soak: starting the stack (edge ${url}, origin :${origin}); its log: ${logFile}`);
  try {
    await waitForModel(url, 240_000, () => child.exitCode === null);
    const tree = child.pid ? descendantsOf(child.pid) : [];
    const wrangler = tree.find((p) => cmdline(p).some((a) => a.endsWith("wrangler-dist/cli.js")));
    workerdPid = wrangler ? userWorkerd(wrangler) : null;
    if (workerdPid === null) throw new Error("could not find the user worker's workerd under wrangler dev");
    return { url, workerdPid, started: true, own: { persistTo: join(work, "state"), signingKey }, stop };
  } catch (e) {
    log(readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n"));
    await stop();
    throw e;
  }
}

/** A running `wrangler dev`: its workerd is the one beside the process that listens on the URL's port. */
async function reuseStack(url: string, pid: number | undefined): Promise<Stack> {
  await waitForModel(url, 10_000, () => true);
  let workerdPid = pid ?? null;
  if (workerdPid === null) {
    const all = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
    const port = Number(new URL(url).port || 80);
    const listener = listenerOf(
      port,
      all.filter((p) => (cmdline(p)[0] ?? "").endsWith("/workerd")),
    );
    const wrangler = listener === null ? null : parentOf(listener);
    workerdPid = wrangler === null ? null : userWorkerd(wrangler);
  }
  if (workerdPid === null) throw new Error(`no workerd found behind ${url}; pass --pid <the user worker's workerd>`);
  return { url, workerdPid, started: false, own: null, stop: async () => {} };
}

// --- the run -------------------------------------------------------------------------------------------------

const Recs = z.object({ items: z.array(z.object({ id: z.number() })) });

/** Catalog ids for the re-rank calls, from live answers (so every id is in the published catalog). */
async function itemIds(url: string): Promise<number[]> {
  const ids = new Set<number>();
  for (let u = 1; u <= 20; u++) {
    const res = await fetch(`${url}/v1/recommendations/${u}?row=top-picks&limit=100`, {
      headers: { "x-frontrow-region": "eu-west", "cf-connecting-ip": "192.0.2.1" },
    });
    for (const item of Recs.parse(await res.json()).items) ids.add(item.id);
  }
  return [...ids];
}

function loadavg1(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

let current: Stack | null = null;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    log(`soak: ${signal}, stopping`);
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const opts = options();
  const loadAtStart = loadavg1();
  const stack = opts.url ? await reuseStack(opts.url, opts.pid) : await startStack();
  current = stack;
  try {
    let configVersion: string | null = null;
    if (stack.own) {
      configVersion = await publishSoakConfig(stack.own.persistTo, stack.own.signingKey);
      await waitForConfig(stack.url, configVersion, 30_000);
      log(`soak: edge config ${configVersion} active (every list fresh for ${SOAK_FRESH_SECONDS} s, then revalidated)`);
    } else {
      log("soak: a reused stack keeps its own edge config (lists revalidate on its freshSeconds)");
    }
    const targets = await findTargets(stack.workerdPid);
    const userTarget = targets.find((t) => t.id.startsWith("core:user:"));
    // Sessions are opened while the isolates are idle, before the load: the answer shows the session works.
    const insp = userTarget ? await openAnswering(userTarget) : null;
    if (!insp) log("soak: no inspector on the user worker: RSS only, the heap criterion cannot pass");
    const others: { id: string; insp: Inspector }[] = [];
    for (const t of targets.filter((x) => x !== userTarget)) {
      const o = await openAnswering(t, 1);
      if (o) others.push({ id: t.id, insp: o });
    }
    const ids = await itemIds(stack.url);
    const mix = new SessionMix({
      seed: opts.seed,
      users: opts.users,
      newUserShare: 0.05,
      rerankShare: 0.25,
      concurrentSessions: Math.max(opts.connections, 50),
      itemIds: ids,
    });
    const total = opts.warmup + opts.duration;
    log(
      `soak: workerd pid ${stack.workerdPid}, ${opts.rate} req/s over ${opts.connections} connections for ` +
        `${opts.warmup} s warm-up + ${opts.duration} s measured; per user (and client IP) ~` +
        `${perUserPerMinute(opts.rate, opts.users, 0.05).toFixed(1)} req/min`,
    );

    const memory: MemorySample[] = [];
    const gc: GcSample[] = [];
    const responses: { t: number; ms: number }[] = [];
    const phaseOf = (t: number): "warmup" | "steady" => (t < opts.warmup ? "warmup" : "steady");
    const counts = {
      warmup: { responses: 0, non2xx: 0, errors: 0 },
      steady: { responses: 0, non2xx: 0, errors: 0 },
    };
    const servedBy: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const t0 = performance.now();
    const now = () => (performance.now() - t0) / 1000;

    let running = true;
    // GC readings at warm-up's end, every gc-every seconds after, and one just before the load stops.
    const gcTimes: number[] = [];
    for (let t = opts["gc-every"]; t < opts.warmup; t += opts["gc-every"]) gcTimes.push(t);
    for (let t = opts.warmup; t <= total - 2; t += opts["gc-every"]) gcTimes.push(t);
    if ((gcTimes[gcTimes.length - 1] ?? 0) < total - 2) gcTimes.push(total - 2);
    // RSS every second from /proc, never held up by the isolate; heap readings go over the inspector, which
    // workerd serves only when it gets the isolate's lock, so they run in their own loop and may lag under load.
    const heapAt = new Map<number, HeapUsage>();
    const rssSampler = (async () => {
      for (let s = 0; running; s++) {
        await sleep(Math.max(0, s * 1000 - (performance.now() - t0)));
        if (!running) break;
        const t = now();
        memory.push({
          t: round(t) as number,
          phase: phaseOf(t),
          rssBytes: rssBytes(stack.workerdPid),
          parts: partsOf(stack.workerdPid),
          heapUsedBytes: null,
          backingStoreBytes: null,
        });
      }
    })();
    const heapSampler = (async () => {
      if (!insp) return;
      let nextGc = 0;
      for (let s = 0; running; s++) {
        await sleep(Math.max(0, s * 1000 - (performance.now() - t0)));
        if (!running) break;
        const t = now();
        if (nextGc < gcTimes.length && t >= (gcTimes[nextGc] as number)) {
          nextGc++;
          const after = await insp.heapAfterGc();
          if (after) gc.push({ t: round(t) as number, phase: phaseOf(t), heapUsedBytes: after.usedSize });
        } else {
          const heap = await insp.heap();
          if (heap) heapAt.set(Math.round(t), heap);
        }
        // A call that lagged past later seconds skips them rather than queueing more.
        s = Math.max(s, Math.floor(now()));
      }
    })();
    // The process's other isolates get the same forced GCs, each in its own loop (an idle one answers only once it
    // has work), so their lazily grown heaps do not count as growth in RSS either; their post-GC heaps are reported.
    const otherGc: OtherGcSample[] = [];
    const otherSamplers = others.map(async ({ id, insp: o }) => {
      for (const at of gcTimes) {
        await sleep(Math.max(0, at * 1000 - (performance.now() - t0)));
        if (!running) break;
        const t = now();
        if (t > at + opts["gc-every"]) continue;
        const after = await o.heapAfterGc();
        if (after)
          otherGc.push({ id, t: round(t) as number, heapUsedBytes: after.usedSize, heapTotalBytes: after.totalSize });
      }
    });

    /** Every answer that is not 2xx (up to MAX_NOT_OK): when, what was asked, and the start of the body. */
    const notOk: { t: number; status: number; method: string; path: string; body: string }[] = [];
    let devProxyDrops = 0;
    let finished: (r: autocannon.Result) => void = () => {};
    let failed: (e: Error) => void = () => {};
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    const instance = autocannon(
      {
        url: stack.url,
        connections: opts.connections,
        overallRate: opts.rate,
        duration: total,
        timeout: opts.timeout,
        requests: [
          {
            setupRequest: (req, context) => {
              const r: SoakRequest = mix.next();
              // One request in flight per connection: the context says which one an answer belongs to.
              (context as { sent?: SoakRequest }).sent = r;
              return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body ?? "" };
            },
            onResponse: (status, body, context) => {
              const m = /"servedBy":"([a-z-]+)"/.exec(body);
              const key = m?.[1] ?? (status === 200 ? "(none)" : `HTTP ${status}`);
              servedBy[key] = (servedBy[key] ?? 0) + 1;
              if (isDevProxyDrop(status, body)) devProxyDrops++;
              if ((status < 200 || status > 299) && notOk.length < MAX_NOT_OK) {
                const sent = (context as { sent?: SoakRequest }).sent;
                notOk.push({
                  t: round(now()) as number,
                  status,
                  method: sent?.method ?? "?",
                  path: sent?.path ?? "?",
                  body: body.slice(0, 300),
                });
              }
            },
          },
        ],
      },
      (err, res) => (err ? failed(err) : finished(res)),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      const t = now();
      const c = counts[phaseOf(t)];
      c.responses++;
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) c.non2xx++;
      responses.push({ t, ms: responseTime });
    });
    instance.on("reqError", () => {
      counts[phaseOf(now())].errors++;
    });
    const result = await done;
    running = false;
    await Promise.all([rssSampler, heapSampler, ...otherSamplers]);
    for (const m of memory) {
      const heap = heapAt.get(Math.round(m.t));
      m.heapUsedBytes = heap?.usedSize ?? null;
      m.backingStoreBytes = heap?.backingStorageSize ?? null;
    }
    insp?.close();
    for (const o of others) o.insp.close();
    const loadAtEnd = loadavg1();

    const steady = responses.filter((r) => r.t >= opts.warmup);
    const lat = latencySummary(steady.map((r) => r.ms));
    const achievedRate = steady.length / opts.duration;
    const verdict = flatnessVerdict(memory, gc, CRITERION);
    const checks = {
      non2xx: counts.warmup.non2xx + counts.steady.non2xx + result.non2xx,
      errors: counts.warmup.errors + counts.steady.errors,
      autocannonErrors: result.errors,
      timeouts: result.timeouts,
      rateReached: achievedRate >= MIN_RATE_SHARE * opts.rate,
    };
    // autocannon's non2xx repeats ours; counted once each way, either being non-zero fails. Answers wrangler
    // dev's proxy made itself (isDevProxyDrop) are not the worker's: reported apart, in the summary and JSON.
    const workerNon2xx = counts.warmup.non2xx + counts.steady.non2xx - devProxyDrops;
    const failures = [
      ...(workerNon2xx > 0 || result.non2xx - devProxyDrops > 0 ? [`non-2xx answers: ${workerNon2xx}`] : []),
      ...(checks.errors > 0 || result.errors > 0 ? [`request errors: ${Math.max(checks.errors, result.errors)}`] : []),
      ...(result.timeouts > 0 ? [`timeouts: ${result.timeouts}`] : []),
      ...(checks.rateReached ? [] : [`achieved ${achievedRate.toFixed(1)} req/s < ${MIN_RATE_SHARE} x ${opts.rate}`]),
      ...verdict.reasons,
    ];
    const pass = failures.length === 0;

    const mib = (b: number | null) => (b === null ? null : round(b / MIB, 2));
    const gcAt = (t: number) => gc.find((g) => Math.abs(g.t - t) < opts["gc-every"] / 2);
    const tableRows = thinSamples(memory, 10).map((s) => ({
      t: Math.round(s.t),
      phase: s.phase,
      rssMiB: mib(s.rssBytes),
      heapMiB: mib(s.heapUsedBytes),
      backingStoreMiB: mib(s.backingStoreBytes),
      postGcHeapMiB: mib(gcAt(s.t)?.heapUsedBytes ?? null),
      ...(s.parts
        ? {
            jsHeapsMiB: mib(s.parts.jsHeaps),
            wasmMiB: mib(s.parts.wasm),
            codeMiB: mib(s.parts.code),
            nativeMiB: mib(s.parts.native),
            fileMiB: mib(s.parts.file),
          }
        : {}),
    }));
    const slopesByPart = Object.fromEntries(Object.entries(partSlopes(memory)).map(([k, v]) => [k, round(v)]));
    // The other isolates' post-GC heaps summed per GC round (readings within half a period of each other).
    const othersPostGc = gcTimes
      .map((at) => {
        const round_ = otherGc.filter((g) => Math.abs(g.t - at) < opts["gc-every"] / 2);
        return {
          t: at,
          isolates: round_.length,
          usedMiB: mib(round_.reduce((a, g) => a + g.heapUsedBytes, 0)),
          totalMiB: mib(round_.reduce((a, g) => a + g.heapTotalBytes, 0)),
        };
      })
      .filter((r) => r.isolates > 0);
    const perSecond = latencyPerSecond(responses);
    const report = {
      kind: "soak",
      at: new Date().toISOString(),
      command: `npm run soak -- ${process.argv.slice(2).join(" ")}`.trim(),
      machine: { node: process.version, cpus: cpus().length, loadavg1AtStart: loadAtStart, loadavg1AtEnd: loadAtEnd },
      stack: {
        url: stack.url,
        started: stack.started,
        workerdPid: stack.workerdPid,
        inspector: insp !== null,
        isolates: targets.map((t) => t.id),
        edgeConfig: configVersion
          ? { version: configVersion, freshSeconds: SOAK_FRESH_SECONDS }
          : "the reused stack's own",
      },
      options: opts,
      criterion: CRITERION,
      minRateShare: MIN_RATE_SHARE,
      mix: {
        users: opts.users,
        newUserShare: 0.05,
        rerankShare: 0.25,
        perUserPerMinute: round(perUserPerMinute(opts.rate, opts.users, 0.05), 2),
        requests: mix.counts,
        servedBy,
        statuses,
      },
      load: {
        targetRate: opts.rate,
        achievedRate: round(achievedRate, 1),
        steadyResponses: steady.length,
        warmupResponses: counts.warmup.responses,
        non2xx: counts.warmup.non2xx + counts.steady.non2xx,
        notOk,
        devProxyDrops: {
          count: devProxyDrops,
          what: "503s made by wrangler dev's ProxyWorker when its forward to the worker's runtime lost the connection (cloudflare/workers-sdk#14641); the worker never saw these requests",
        },
        errors: checks.errors,
        autocannon: {
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          p50: result.latency.p50,
          p99: result.latency.p99,
          // Coordinated-omission corrected over the whole run, warm-up included.
          requestsTotal: result.requests.total,
        },
        latencyMs: Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, round(v)])),
      },
      memory: {
        verdict: {
          ...verdict,
          heapSlopeMiBPerMin: round(verdict.heapSlopeMiBPerMin),
          heapGrowthMiB: round(verdict.heapGrowthMiB),
          rssSlopeMiBPerMin: round(verdict.rssSlopeMiBPerMin),
        },
        table: tableRows,
        // RSS part slopes after warm-up (MiB/min), which part of the process grows; the criterion judges RSS.
        rssPartSlopesMiBPerMin: slopesByPart,
        gc,
        othersPostGc,
        otherGc,
        samples: memory,
      },
      latencyPerSecond: perSecond.map((s) => ({ ...s, p50: round(s.p50), p99: round(s.p99) })),
      pass,
      failures,
    };
    mkdirSync(join(opts.out, ".."), { recursive: true });
    writeFileSync(`${opts.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
    const summary = [
      `${opts.rate} req/s target, ${report.load.achievedRate} achieved over ${opts.duration} s after ${opts.warmup} s warm-up; ${opts.connections} connections`,
      `latency ms p50 ${round(lat.p50)}, p95 ${round(lat.p95)}, p99 ${round(lat.p99)}, max ${round(lat.max)}`,
      `non-2xx ${report.load.non2xx}, errors ${checks.errors}, timeouts ${result.timeouts}`,
      ...notOk.map((x) => `  ${x.t} s: HTTP ${x.status} for ${x.method} ${x.path}: ${x.body.slice(0, 160)}`),
      ...(devProxyDrops > 0
        ? [
            `  of which ${devProxyDrops} made by wrangler dev's local proxy, not the worker (forward lost: cloudflare/workers-sdk#14641)`,
          ]
        : []),
      `post-GC heap slope ${round(verdict.heapSlopeMiBPerMin)} MiB/min (< ${CRITERION.maxHeapSlopeMiBPerMin}), growth ${round(verdict.heapGrowthMiB)} MiB (< ${CRITERION.maxHeapGrowthMiB}); RSS slope ${round(verdict.rssSlopeMiBPerMin)} MiB/min (< ${CRITERION.maxRssSlopeMiBPerMin})`,
      `RSS part slopes MiB/min (informational): ${Object.entries(slopesByPart)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
      `1-minute load average ${loadAtStart} at start, ${loadAtEnd} at end (${cpus().length} cores)`,
      pass ? "PASS" : `FAIL: ${failures.join("; ")}`,
    ];
    const xMax = Math.max(1, ...memory.map((s) => s.t), ...perSecond.map((s) => s.second));
    const warmupMarker = [{ from: opts.warmup, to: opts.warmup, label: "warm-up ends" }];
    /** A memory series in MiB over the samples' seconds (a missing reading leaves a gap). */
    const line = <T extends { t: number }>(
      name: string,
      color: string,
      xs: T[],
      bytes: (x: T) => number | null | undefined,
    ) => ({
      name,
      color,
      values: xs.map((x) => (bytes(x) ?? Number.NaN) / MIB),
      xs: xs.map((x) => x.t),
    });
    writeFileSync(
      `${opts.out}.html`,
      page("frontrow soak: memory and latency over time", [
        list(summary),
        lineChart(
          "workerd memory (MiB)",
          "seconds",
          "MiB",
          xMax,
          [
            line("RSS", "#1f77b4", memory, (s) => s.rssBytes),
            line("JS heap used", "#ff7f0e", memory, (s) => s.heapUsedBytes),
            line("JS heap after forced GC", "#2ca02c", gc, (g) => g.heapUsedBytes),
            line("ArrayBuffer backing stores", "#9467bd", memory, (s) => s.backingStoreBytes),
          ],
          warmupMarker,
        ),
        lineChart(
          "workerd RSS by part (MiB)",
          "seconds",
          "MiB",
          xMax,
          [
            line("native (malloc, stacks)", "#8c564b", memory, (s) => s.parts?.native),
            line("JS heaps (all isolates)", "#ff7f0e", memory, (s) => s.parts?.jsHeaps),
            line("binary and files", "#7f7f7f", memory, (s) => s.parts?.file),
            line("JIT code", "#17becf", memory, (s) => s.parts?.code),
            line("wasm memory", "#bcbd22", memory, (s) => s.parts?.wasm),
          ],
          warmupMarker,
        ),
        lineChart(
          "latency per second (ms)",
          "seconds",
          "ms",
          xMax,
          [
            { name: "p50", color: "#1f77b4", values: perSecond.map((s) => s.p50), xs: perSecond.map((s) => s.second) },
            { name: "p99", color: "#d62728", values: perSecond.map((s) => s.p99), xs: perSecond.map((s) => s.second) },
          ],
          warmupMarker,
        ),
      ]),
    );
    console.log(
      table(
        ["t s", "phase", "RSS MiB", "native", "JS heaps", "heap MiB", "backing MiB", "post-GC heap MiB"],
        tableRows.map((r) => [
          r.t,
          r.phase,
          r.rssMiB ?? "-",
          r.nativeMiB ?? "-",
          r.jsHeapsMiB ?? "-",
          r.heapMiB ?? "-",
          r.backingStoreMiB ?? "-",
          r.postGcHeapMiB ?? "-",
        ]),
      ),
    );
    console.log(`\nrequests: ${JSON.stringify(mix.counts)}; servedBy: ${JSON.stringify(servedBy)}`);
    for (const line of summary) console.log(line);
    console.log(`wrote ${opts.out}.json and ${opts.out}.html`);
    return pass ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

process.exitCode = await main().catch((e) => {
  console.error(`soak: ${(e as Error).message}`);
  return 1;
});
