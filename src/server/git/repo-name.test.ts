import { describe, expect, it } from "vitest";
import { validateRepoName } from "./repo-name.ts";

describe("validateRepoName", () => {
  it.each([
    "demo",
    "acme/widget",
    "a",
    "A1",
    "my-repo_2.0",
    "0day",
    "group.x/name-y",
    "a".repeat(100),
    `${"g".repeat(100)}/${"n".repeat(100)}`,
    "x.gitfoo",
  ])("accepts %j", (name) => {
    expect(validateRepoName(name)).toEqual({ ok: true, name });
  });

  it.each<[string, string]>([
    ["", "repository name is empty"],
    ["a/b/c", "repository name 'a/b/c': at most one group level (group/name)"],
    ["../etc", "repository name '../etc': must not contain '..'"],
    ["..", "repository name '..': must not contain '..'"],
    [".", "repository name '.': segment '.' must start with a letter or digit"],
    ["a/../b", "repository name 'a/../b': at most one group level (group/name)"],
    ["a/..", "repository name 'a/..': must not contain '..'"],
    ["a..b", "repository name 'a..b': must not contain '..'"],
    ["/abs", "repository name '/abs': empty path segment (leading, trailing or double '/')"],
    ["a//b", "repository name 'a//b': at most one group level (group/name)"],
    ["a/", "repository name 'a/': empty path segment (leading, trailing or double '/')"],
    [".hidden", "repository name '.hidden': segment '.hidden' must start with a letter or digit"],
    ["-rf", "repository name '-rf': segment '-rf' must start with a letter or digit"],
    ["_x", "repository name '_x': segment '_x' must start with a letter or digit"],
    ["x.git", "repository name 'x.git': must not end in '.git' (the URL adds it)"],
    ["x.GIT", "repository name 'x.GIT': must not end in '.git' (the URL adds it)"],
    ["g.git/x", "repository name 'g.git/x': must not end in '.git' (the URL adds it)"],
    ["x.lock", "repository name 'x.lock': must not end in '.lock'"],
    [
      "a b",
      "repository name 'a b': segment 'a b' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "a\\b",
      "repository name 'a\\b': segment 'a\\b' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "a%2fb",
      "repository name 'a%2fb': segment 'a%2fb' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "a\nb",
      "repository name 'a\\x0ab': segment 'a\\x0ab' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "a\0",
      "repository name 'a\\x00': segment 'a\\x00' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "café",
      "repository name 'café': segment 'café' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
    [
      "ｆｕｌｌ",
      "repository name 'ｆｕｌｌ': segment 'ｆｕｌｌ' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)",
    ],
  ])("refuses %j", (name, error) => {
    expect(validateRepoName(name)).toEqual({ ok: false, error });
  });

  it("refuses a 300-character name, quoting it shortened", () => {
    const result = validateRepoName("x".repeat(300));
    expect(result).toEqual({
      ok: false,
      error: `repository name '${"x".repeat(120)}…': each segment is at most 100 characters (got 300)`,
    });
  });

  it("refuses a segment of 101 characters", () => {
    expect(validateRepoName(`g/${"n".repeat(101)}`).ok).toBe(false);
  });

  it("refuses a value that is not a string", () => {
    expect(validateRepoName(42)).toEqual({ ok: false, error: "repository name must be a string" });
    expect(validateRepoName(null).ok).toBe(false);
  });
});
