// The origin's load model: service time grows with busy workers, at most `slots` in service, waiters served in order.
import { describe, expect, it } from "vitest";
import { LoadModel, serviceMs } from "./load-model.js";

const noSleep = async () => {};

describe("serviceMs", () => {
  it("grows linearly with the other requests in service", () => {
    const opts = { slots: 4, baseMs: 10, growth: 0.2 };
    expect(serviceMs(opts, 1)).toBe(10);
    expect(serviceMs(opts, 4)).toBeCloseTo(16, 12);
    expect(serviceMs(opts, 0)).toBe(10);
  });
});

describe("LoadModel", () => {
  it("runs at most `slots` handlers at once and starts the waiting ones in arrival order", async () => {
    const model = new LoadModel({ slots: 2, baseMs: 0, growth: 0 });
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = Array.from({ length: 5 }, (_, i) =>
      model.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return i;
      }, noSleep),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(model.queued).toBe(3);
    while (releases.length) {
      (releases.shift() as () => void)();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(model.maxQueued).toBe(3);
    expect(model.inService).toBe(0);
  });

  it("holds a slot for the modelled service time left after the handler", async () => {
    const model = new LoadModel({ slots: 1, baseMs: 50, growth: 0 });
    const asked: number[] = [];
    await model.run(
      async () => 1,
      async (ms) => {
        asked.push(ms);
      },
    );
    expect(asked.length).toBe(1);
    expect(asked[0]).toBeGreaterThan(0);
    expect(asked[0]).toBeLessThanOrEqual(50);
  });

  it("frees the slot when the handler throws", async () => {
    const model = new LoadModel({ slots: 1, baseMs: 0, growth: 0 });
    await expect(model.run(async () => Promise.reject(new Error("boom")), noSleep)).rejects.toThrow("boom");
    expect(model.inService).toBe(0);
    expect(await model.run(async () => "next", noSleep)).toBe("next");
  });

  it("refuses a model without a slot", () => {
    expect(() => new LoadModel({ slots: 0, baseMs: 1, growth: 0 })).toThrow(RangeError);
  });
});
