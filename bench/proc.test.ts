// /proc helpers: schedstat parsing, and CPU time and the process tree read from this very process.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cmdline, descendantsOf, parentOf, parseSchedstat, procAvailable, processCpuNs } from "./proc.js";

describe("parseSchedstat", () => {
  it("reads the run time, the first of the three fields", () => {
    expect(parseSchedstat("1234567890 5678 42\n")).toBe(1234567890);
  });
  it("gives 0 for text that is not a schedstat line", () => {
    expect(parseSchedstat("")).toBe(0);
    expect(parseSchedstat("not a number 1 2")).toBe(0);
    expect(parseSchedstat("-5 1 2")).toBe(0);
  });
});

describe.runIf(procAvailable())("on this Linux host", () => {
  it("counts the CPU time this process spends, to well under a tick", () => {
    const before = processCpuNs(process.pid);
    const until = performance.now() + 30;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const spent = processCpuNs(process.pid) - before;
    expect(x).toBeGreaterThan(0);
    // 30 ms of wall spent spinning: at least 5 ms of it on CPU however busy the machine, and not a 10 ms multiple.
    expect(spent).toBeGreaterThan(5e6);
    expect(spent % 1e7).not.toBe(0);
  });

  it("finds a child in the process tree with its parent and command line", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)", "frontrow-proc-test"]);
    try {
      await new Promise((r) => child.once("spawn", r));
      const pid = child.pid as number;
      expect(descendantsOf(process.pid)).toContain(pid);
      expect(parentOf(pid)).toBe(process.pid);
      expect(cmdline(pid).at(-1)).toBe("frontrow-proc-test");
    } finally {
      child.kill();
    }
  });

  it("answers for a process that is gone without throwing", () => {
    expect(cmdline(2 ** 22 + 7)).toEqual([]);
    expect(parentOf(2 ** 22 + 7)).toBeNull();
  });
});
