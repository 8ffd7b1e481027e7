import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, formatTime, repoPath, shortRef, shortSha } from "./format.ts";

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [-5, "0s"],
    [Number.NaN, "0s"],
    [450, "<1s"],
    [42_000, "42s"],
    [65_000, "1m 05s"],
    [3_600_000 + 3 * 60_000, "1h 03m"],
    [27 * 3_600_000, "1d 03h"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatAge", () => {
  it.each([
    [-1000, "just now"],
    [2000, "just now"],
    [42_000, "42s ago"],
    [3 * 60_000 + 20_000, "3m ago"],
    [5 * 3_600_000, "5h ago"],
    [3 * 86_400_000, "3d ago"],
    [90 * 86_400_000, "3mo ago"],
    [800 * 86_400_000, "2y ago"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe("names", () => {
  it("formats times in UTC", () => {
    expect(formatTime(Date.UTC(2026, 10, 23, 13, 5, 9))).toBe("2026-11-23 13:05 UTC");
  });

  it("shortens refs and shas", () => {
    expect(shortRef("refs/heads/main")).toBe("main");
    expect(shortRef("refs/tags/v1")).toBe("v1");
    expect(shortRef("refs/pull/3/head")).toBe("refs/pull/3/head");
    expect(shortSha("0123456789abcdef")).toBe("0123456");
  });

  it("keeps a group separator in repository paths and encodes the rest", () => {
    expect(repoPath("acme/widget")).toBe("/repos/acme/widget");
    expect(repoPath("a b")).toBe("/repos/a%20b");
  });
});
