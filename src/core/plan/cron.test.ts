import { describe, expect, it } from "vitest";
import { cronFiresBetween, nextCronFire, parseCron } from "./cron.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number[]) => ms.map((m) => new Date(m).toISOString());

describe("parseCron", () => {
  it.each([
    ["* * * * *", "* * * * *"],
    ["*/15 * * * *", "*/15 * * * *"],
    ["0 9-17 * * MON-FRI", "0 9-17 * * 1-5"],
    ["30 4 1,15 JAN,jul sun", "30 4 1,15 1,7 0"],
    ["5/15 * * * *", "5-59/15 * * * *"],
    ["0 0-23/6 * * *", "0 0-23/6 * * *"],
    ["  0  12 * * 1 ", "0 12 * * 1"],
  ])("accepts %j", (expr, pattern) => {
    expect(parseCron(expr)).toEqual({ ok: true, cron: { expression: expr, pattern } });
  });

  it.each([
    ["@yearly", "cron '@yearly': nicknames are not supported", "'0 0 1 1 *'"],
    ["@daily", "nicknames are not supported", "'0 0 * * *'"],
    ["@reboot", "nicknames are not supported", "(minute hour"],
    ["0 0 0 1 * *", "has 6 fields; on.schedule takes 5", "seconds and year"],
    ["0 0 * *", "has 4 fields", "(minute hour day-of-month month day-of-week)"],
    ["", "has 0 fields", "takes 5"],
    ["60 * * * *", "minute '60': 60 is out of range 0-59", ""],
    ["0 24 * * *", "hour '24': 24 is out of range 0-23", ""],
    ["0 0 0 * *", "day-of-month '0': 0 is out of range 1-31", ""],
    ["0 0 * 13 *", "month '13'", "out of range 1-12"],
    ["0 0 * * 7", "day-of-week '7': 7 is out of range 0-6; Sunday is 0", ""],
    ["0 0 * * FOO", "day-of-week 'FOO': 'FOO' is not a number or a name (SUN, MON", ""],
    ["0 0 * JANUARY *", "month 'JANUARY'", "not a number"],
    ["MON * * * *", "minute 'MON': 'MON' is not a number", ""],
    ["*/0 * * * *", "minute '*/0': step 0 is out of range 1-59", ""],
    ["*/x * * * *", "step 'x' is not a number", ""],
    ["5-1 * * * *", "minute '5-1': range 5-1 runs backwards", ""],
    ["1,,2 * * * *", "minute '1,,2': empty list item", ""],
    ["1,99 * * * *", "minute '1,99': '99': 99 is out of range", ""],
    ["0 0 L * *", "day-of-month 'L'", "not a number"],
    ["0 0 ? * *", "day-of-month '?'", "not a number"],
    ["0 0 * * MON#1", "day-of-week 'MON#1'", "not a number"],
    ["0 0 1-2-3 * *", "'1-2-3' is not a value or a range", ""],
    ["-1 * * * *", "minute '-1'", "not a value or a range"],
  ])("rejects %j", (expr, part1, part2) => {
    const r = parseCron(expr);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(`cron '${expr}'`);
    expect(r.error).toContain(part1);
    expect(r.error).toContain(part2);
  });
});

describe("cronFiresBetween", () => {
  it("lists fire times in (after, until], ascending, in UTC", () => {
    expect(
      iso(cronFiresBetween("*/15 * * * *", at("2025-03-01T10:00:00Z"), at("2025-03-01T11:00:00Z"))),
    ).toEqual([
      "2025-03-01T10:15:00.000Z",
      "2025-03-01T10:30:00.000Z",
      "2025-03-01T10:45:00.000Z",
      "2025-03-01T11:00:00.000Z",
    ]);
  });

  it("excludes a fire exactly at `after` and skips past a partial minute", () => {
    expect(
      iso(
        cronFiresBetween("* * * * *", at("2025-03-01T10:00:00.500Z"), at("2025-03-01T10:02:00Z")),
      ),
    ).toEqual(["2025-03-01T10:01:00.000Z", "2025-03-01T10:02:00.000Z"]);
  });

  it("stops at max", () => {
    const fires = cronFiresBetween(
      "* * * * *",
      at("2025-01-01T00:00:00Z"),
      at("2026-01-01T00:00:00Z"),
      3,
    );
    expect(iso(fires)).toEqual([
      "2025-01-01T00:01:00.000Z",
      "2025-01-01T00:02:00.000Z",
      "2025-01-01T00:03:00.000Z",
    ]);
  });

  it("is empty when nothing fires in the window", () => {
    expect(
      cronFiresBetween("0 0 * * *", at("2025-01-01T00:00:00Z"), at("2025-01-01T23:59:00Z")),
    ).toEqual([]);
  });

  it("ORs day-of-month and day-of-week when both are restricted (POSIX)", () => {
    // January 2025: the 1st is a Wednesday; Mondays are 6, 13, 20, 27.
    expect(
      iso(cronFiresBetween("0 12 1 * MON", at("2025-01-01T00:00:00Z"), at("2025-02-03T12:00:00Z"))),
    ).toEqual([
      "2025-01-01T12:00:00.000Z",
      "2025-01-06T12:00:00.000Z",
      "2025-01-13T12:00:00.000Z",
      "2025-01-20T12:00:00.000Z",
      "2025-01-27T12:00:00.000Z",
      "2025-02-01T12:00:00.000Z",
      "2025-02-03T12:00:00.000Z",
    ]);
  });

  it("uses only the restricted field when the other is *", () => {
    const window = [at("2025-01-01T00:00:00Z"), at("2025-01-31T23:59:00Z")] as const;
    expect(iso(cronFiresBetween("0 0 15 * *", ...window))).toEqual(["2025-01-15T00:00:00.000Z"]);
    expect(iso(cronFiresBetween("0 0 * * SAT", ...window))).toEqual([
      "2025-01-04T00:00:00.000Z",
      "2025-01-11T00:00:00.000Z",
      "2025-01-18T00:00:00.000Z",
      "2025-01-25T00:00:00.000Z",
    ]);
  });

  it("reads names, ranges, lists and steps", () => {
    // 2025-06-02 is a Monday.
    expect(
      iso(
        cronFiresBetween(
          "0,30 9-10 * jun mon-wed",
          at("2025-06-02T00:00:00Z"),
          at("2025-06-03T23:59:00Z"),
        ),
      ),
    ).toEqual([
      "2025-06-02T09:00:00.000Z",
      "2025-06-02T09:30:00.000Z",
      "2025-06-02T10:00:00.000Z",
      "2025-06-02T10:30:00.000Z",
      "2025-06-03T09:00:00.000Z",
      "2025-06-03T09:30:00.000Z",
      "2025-06-03T10:00:00.000Z",
      "2025-06-03T10:30:00.000Z",
    ]);
    expect(
      iso(cronFiresBetween("5/20 0 * * *", at("2025-06-02T00:00:00Z"), at("2025-06-02T01:00:00Z"))),
    ).toEqual(["2025-06-02T00:05:00.000Z", "2025-06-02T00:25:00.000Z", "2025-06-02T00:45:00.000Z"]);
  });

  it("takes a parsed schedule and throws for a string that does not parse", () => {
    const r = parseCron("0 0 29 FEB *");
    if (!r.ok) throw new Error(r.error);
    expect(
      iso(cronFiresBetween(r.cron, at("2025-01-01T00:00:00Z"), at("2029-01-01T00:00:00Z"))),
    ).toEqual(["2028-02-29T00:00:00.000Z"]);
    expect(() => cronFiresBetween("@daily", 0, 1)).toThrow(/nicknames/);
  });
});

describe("nextCronFire", () => {
  it("returns the next fire strictly after the given time", () => {
    expect(nextCronFire("0 3 * * *", at("2025-01-01T03:00:00Z"))).toBe(at("2025-01-02T03:00:00Z"));
    expect(nextCronFire("0 3 * * *", at("2025-01-01T02:59:59.999Z"))).toBe(
      at("2025-01-01T03:00:00Z"),
    );
  });

  it("is null for a schedule that never fires", () => {
    expect(nextCronFire("0 0 30 2 *", at("2025-01-01T00:00:00Z"))).toBeNull();
  });

  it("ignores the process time zone", () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = "America/New_York";
      expect(nextCronFire("0 12 * * *", at("2025-03-09T00:00:00Z"))).toBe(
        at("2025-03-09T12:00:00Z"),
      );
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});
