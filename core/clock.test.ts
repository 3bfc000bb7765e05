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
  it("agrees with Intl's own local fields at 5,000 instants across zones and years", () => {
    const zones = [
      "Europe/Paris",
      "America/New_York",
      "America/Los_Angeles",
      "Asia/Singapore",
      "Australia/Lord_Howe",
      "Asia/Kolkata",
      "America/St_Johns",
    ];
    let s = 7;
    for (let i = 0; i < 5000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const t = Date.UTC(2024, 0, 1) + Math.floor((s / 2 ** 32) * 3 * 365 * 86_400_000);
      const tz = zones[i % zones.length] as string;
      const f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        weekday: "short",
        year: "numeric",
        hour: "numeric",
        minute: "numeric",
      });
      const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
      const expected = {
        hour: Number(parts.hour) + Number(parts.minute) / 60,
        weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday as string),
        year: Number(parts.year),
      };
      expect([tz, new Date(t).toISOString(), localClock(t, tz)]).toEqual([tz, new Date(t).toISOString(), expected]);
    }
  });

  it("knows real zones only", () => {
    expect([isTimeZone("Asia/Tokyo"), isTimeZone("Mars/Olympus")]).toEqual([true, false]);
  });
});
