import { describe, expect, it } from "vitest";
import { formatAge, formatDuration, shortRef } from "./runs.ts";

// The command against a real server: test/cli/runs.test.ts.
describe("runs formatting", () => {
  it("shortens refs and formats ages and durations", () => {
    expect(["refs/heads/main", "refs/tags/v1", "refs/pull/1/head", "abc"].map(shortRef)).toEqual([
      "main",
      "v1",
      "pull/1/head",
      "abc",
    ]);
    expect([0, 59_999, 60_000, 3_599_999, 3_600_000, 86_400_000].map(formatAge)).toEqual([
      "0s",
      "59s",
      "1m",
      "59m",
      "1h",
      "1d",
    ]);
    expect([8_000, 125_000, 3_780_000].map(formatDuration)).toEqual(["8s", "2m05s", "1h03m"]);
  });
});
