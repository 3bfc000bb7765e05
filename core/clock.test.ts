// Local clock across time zones and a daylight-saving change.
import { describe, expect, it } from "vitest";
import { isTimeZone, localClock } from "./clock.js";

describe("localClock", () => {
  it("gives hour, weekday and year in the zone", () => {
    expect(localClock(Date.UTC(2026, 11, 24, 19, 30), "Europe/Paris")).toEqual({ hour: 20.5, weekday: 4, year: 2026 });
    expect(localClock(Date.UTC(2027, 0, 1, 3, 0), "America/Los_Angeles")).toEqual({ hour: 19, weekday: 4, year: 2026 });
    expect(localClock(Date.UTC(2026, 5, 1, 20, 0), "Asia/Singapore")).toEqual({ hour: 4, weekday: 2, year: 2026 });
  });
  it("follows daylight saving (Paris: UTC+2 until 25 Oct 2026, then UTC+1)", () => {
    expect(localClock(Date.UTC(2026, 9, 24, 18, 0), "Europe/Paris").hour).toBe(20);
    expect(localClock(Date.UTC(2026, 9, 26, 18, 0), "Europe/Paris").hour).toBe(19);
  });
  it("knows real zones only", () => {
    expect([isTimeZone("Asia/Tokyo"), isTimeZone("Mars/Olympus")]).toEqual([true, false]);
  });
});
