// Processes from Linux's /proc for the benchmarks: process trees, command lines, and CPU time per process.
import { readdirSync, readFileSync } from "node:fs";

/** A process's command line, split; empty when it is gone (or there is no /proc). */
export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** A process's parent pid, or null when it is gone. */
export function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name (field 2) may hold spaces and parentheses: fields are counted from its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => parentOf(p) === pid);
}

export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendantsOf(c));
  return out;
}

/** Nanoseconds on CPU from a `schedstat` file: its first field (run time), 0 when the text is not one. */
export function parseSchedstat(text: string): number {
  const first = text.trim().split(/\s+/)[0] ?? "";
  return /^\d+$/.test(first) ? Number(first) : 0;
}

/**
 * Nanoseconds the process has spent on CPU, all its threads together, from each thread's `schedstat` (the
 * scheduler's own accounting, to the nanosecond: `stat`'s utime and stime count 10 ms ticks). Threads that ended
 * are not counted, so compare readings over a span in which the process keeps its threads (workerd does).
 */
export function processCpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += parseSchedstat(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8"));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns;
}

/** True where this module can read what it needs (Linux with /proc and per-thread schedstat). */
export function procAvailable(): boolean {
  try {
    return parseSchedstat(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8")) > 0;
  } catch {
    return false;
  }
}
