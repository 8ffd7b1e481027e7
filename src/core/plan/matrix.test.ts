import { describe, expect, it } from "vitest";
import { expandMatrix, type MatrixCombination, matrixSuffix } from "./matrix.ts";

function combos(matrix: unknown): MatrixCombination[] {
  const r = expandMatrix(matrix);
  if (!r.ok) throw new Error(r.error);
  return r.combinations;
}

describe("expandMatrix", () => {
  it.each<[string, unknown, MatrixCombination[]]>([
    [
      "cross product, first key slowest",
      { os: ["linux", "mac"], node: [18, 20] },
      [
        { os: "linux", node: 18 },
        { os: "linux", node: 20 },
        { os: "mac", node: 18 },
        { os: "mac", node: 20 },
      ],
    ],
    ["single vector", { v: [1] }, [{ v: 1 }]],
    ["object values", { cfg: [{ a: 1 }, { a: 2 }] }, [{ cfg: { a: 1 } }, { cfg: { a: 2 } }]],
    [
      // GitHub docs: "Expanding or adding matrix configurations"
      "docs include example (fruit/animal)",
      {
        fruit: ["apple", "pear"],
        animal: ["cat", "dog"],
        include: [
          { color: "green" },
          { color: "pink", animal: "cat" },
          { fruit: "apple", shape: "circle" },
          { fruit: "banana" },
          { fruit: "banana", animal: "cat" },
        ],
      },
      [
        { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
        { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
        { fruit: "pear", animal: "cat", color: "pink" },
        { fruit: "pear", animal: "dog", color: "green" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    ],
    [
      // GitHub docs: "Excluding matrix configurations" (12 - 3 = 9 jobs)
      "docs exclude example",
      {
        os: ["macos-latest", "windows-latest"],
        version: [12, 14, 16],
        environment: ["staging", "production"],
        exclude: [
          { os: "macos-latest", version: 12, environment: "production" },
          { os: "windows-latest", version: 16 },
        ],
      },
      [
        { os: "macos-latest", version: 12, environment: "staging" },
        { os: "macos-latest", version: 14, environment: "staging" },
        { os: "macos-latest", version: 14, environment: "production" },
        { os: "macos-latest", version: 16, environment: "staging" },
        { os: "macos-latest", version: 16, environment: "production" },
        { os: "windows-latest", version: 12, environment: "staging" },
        { os: "windows-latest", version: 12, environment: "production" },
        { os: "windows-latest", version: 14, environment: "staging" },
        { os: "windows-latest", version: 14, environment: "production" },
      ],
    ],
    [
      // GitHub docs: "Example: Expanding configurations"
      "docs expanding example",
      {
        os: ["windows-latest", "ubuntu-latest"],
        node: [14, 16],
        include: [{ os: "windows-latest", node: 16, npm: 6 }],
      },
      [
        { os: "windows-latest", node: 14 },
        { os: "windows-latest", node: 16, npm: 6 },
        { os: "ubuntu-latest", node: 14 },
        { os: "ubuntu-latest", node: 16 },
      ],
    ],
    [
      // GitHub docs: "Example: Adding configurations"
      "docs adding example",
      {
        os: ["windows-latest", "ubuntu-latest"],
        version: [12, 14, 16],
        include: [{ os: "windows-latest", version: 17 }],
      },
      [
        { os: "windows-latest", version: 12 },
        { os: "windows-latest", version: 14 },
        { os: "windows-latest", version: 16 },
        { os: "ubuntu-latest", version: 12 },
        { os: "ubuntu-latest", version: 14 },
        { os: "ubuntu-latest", version: 16 },
        { os: "windows-latest", version: 17 },
      ],
    ],
    [
      "include only",
      { include: [{ site: "prod", dc: "a" }, { site: "dev" }] },
      [{ site: "prod", dc: "a" }, { site: "dev" }],
    ],
    [
      "exclude before include: an include can re-add an excluded combination",
      { a: [1, 2], exclude: [{ a: 2 }], include: [{ a: 2, x: true }] },
      [{ a: 1 }, { a: 2, x: true }],
    ],
    [
      "exclude removing everything leaves no jobs",
      { a: [1, 2], exclude: [{ a: 1 }, { a: 2 }] },
      [],
    ],
    [
      "later include overwrites an added value, never an original one",
      { os: ["linux"], include: [{ tag: "one" }, { tag: "two" }, { os: "mac", tag: "three" }] },
      [
        { os: "linux", tag: "two" },
        { os: "mac", tag: "three" },
      ],
    ],
    [
      "unmatched include lists its matrix keys first",
      { os: ["linux"], include: [{ extra: 1, os: "mac" }] },
      [{ os: "linux" }, { os: "mac", extra: 1 }],
    ],
    [
      "unmatched includes do not absorb later includes",
      { a: [1], include: [{ a: 2 }, { a: 2, b: 3 }] },
      [{ a: 1 }, { a: 2 }, { a: 2, b: 3 }],
    ],
    [
      "exclude partially matches object values, leaf by leaf",
      { cfg: [{ v: 18, lts: true }, { v: 20 }], exclude: [{ cfg: { v: 18 } }] },
      [{ cfg: { v: 20 } }],
    ],
    [
      "filter equality is the expression language's (case, number coercion)",
      { os: ["Linux", "mac"], node: [18], exclude: [{ os: "linux", node: "18" }] },
      [{ os: "mac", node: 18 }],
    ],
    [
      "include matching an object value",
      { cfg: [{ v: 18 }, { v: 20 }], include: [{ cfg: { v: 20 }, latest: true }] },
      [{ cfg: { v: 18 } }, { cfg: { v: 20 }, latest: true }],
    ],
  ])("%s", (_, matrix, expected) => {
    expect(combos(matrix)).toEqual(expected);
  });

  it("keeps added keys in first-added order", () => {
    const [first] = combos({
      fruit: ["apple"],
      include: [{ color: "green" }, { shape: "circle" }, { color: "pink" }],
    });
    expect(Object.keys(first!)).toEqual(["fruit", "color", "shape"]);
  });

  it.each<[string, unknown, string]>([
    ["not a mapping", ["a"], "Strategy matrix must be a mapping"],
    ["null", null, "Strategy matrix must be a mapping"],
    ["empty", {}, "Matrix must define at least one vector"],
    ["empty include only", { include: [] }, "Matrix must define at least one vector"],
    ["empty vector", { os: ["a"], node: [] }, "Matrix vector 'node' does not contain any values"],
    ["scalar vector", { os: "linux" }, "Matrix vector 'os' must be a list of values"],
    [
      "include not a list",
      { a: [1], include: { b: 1 } },
      "Matrix 'include' must be a list of mappings",
    ],
    [
      "exclude item not a mapping",
      { a: [1], exclude: ["x"] },
      "Matrix 'exclude' must be a list of mappings",
    ],
    [
      "empty include entry",
      { a: [1], include: [{}] },
      "Matrix include mapping does not contain any values",
    ],
    ["empty exclude entry", { a: [1], exclude: [{}] }, "Matrix exclude filter must not be empty"],
    [
      "exclude unknown key",
      { a: [1], exclude: [{ b: 1 }] },
      "Matrix exclude key 'b' does not match any key within the matrix",
    ],
  ])("error: %s", (_, matrix, error) => {
    expect(expandMatrix(matrix)).toEqual({ ok: false, error });
  });

  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  it.each<[string, unknown, MatrixCombination[] | string]>([
    ["exactly 256", { a: range(16), b: range(16) }, "256"],
    ["257 by product", { a: range(257) }, "Strategy matrix produced 257 jobs; the limit is 256"],
    [
      "257 with an include",
      { a: range(256), include: [{ a: 999 }] },
      "Strategy matrix produced 257 jobs; the limit is 256",
    ],
    ["excludes count first", { a: range(257), exclude: [{ a: 0 }] }, "256"],
    [
      "huge product",
      { a: range(1000), b: range(1000), c: range(10) },
      "Strategy matrix produced 10000000 jobs; the limit is 256",
    ],
  ])("cap: %s", (_, matrix, expected) => {
    const r = expandMatrix(matrix);
    if (r.ok) expect(String(r.combinations.length)).toBe(expected);
    else expect(r.error).toBe(expected);
  });
});

describe("matrixSuffix", () => {
  it.each<[MatrixCombination, string]>([
    [{ os: "ubuntu", node: 18 }, "(ubuntu, 18)"],
    [{ node: 18, os: "ubuntu" }, "(18, ubuntu)"],
    [{ debug: true }, "(true)"],
    [{ cfg: { v: 18, lts: true } }, '({"v":18,"lts":true})'],
    [{ list: [1, "a"] }, '([1,"a"])'],
    [{ os: "linux", empty: "", nothing: null }, "(linux)"],
    [{}, ""],
  ])("%j → %s", (combination, expected) => {
    expect(matrixSuffix(combination)).toBe(expected);
  });
});
