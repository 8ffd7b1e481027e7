import { describe, expect, it } from "vitest";
import type { BranchFilters, DispatchInput, Triggers } from "../workflow/model.ts";
import { filterPatternToRegExp, matchTrigger, type TriggerEvent } from "./triggers.ts";

const push = (ref: string, changedFiles: string[] | null = null): TriggerEvent => ({
  name: "push",
  ref,
  changedFiles,
});
const pr = (
  action: string,
  baseRef: string,
  changedFiles: string[] | null = null,
): TriggerEvent => ({
  name: "pull_request",
  action,
  baseRef,
  changedFiles,
});

/** "match" or "skip"; an error comes back with its messages so a mismatch shows them. */
function outcome(on: Triggers, event: TriggerEvent): string {
  const r = matchTrigger(on, event);
  return r.kind === "error" ? `error: ${r.errors.join("; ")}` : r.kind;
}

describe("filterPatternToRegExp", () => {
  it.each<[string, string, boolean]>([
    ["main", "main", true],
    ["main", "main2", false],
    ["feature/*", "feature/a", true],
    ["feature/*", "feature/a/b", false],
    ["feature/**", "feature/a/b", true],
    ["**", "any/thing/at/all", true],
    ["*", "", true],
    ["*.js", "app.js", true],
    ["*.js", "src/app.js", false],
    ["**.js", "src/deep/app.js", true],
    ["**/docs/**", "docs/hello.md", true],
    ["**/docs/**", "a/b/docs/x.md", true],
    ["**/docs/**", "adocs/x.md", false],
    ["**/*-post.md", "my-post.md", true],
    ["**/*-post.md", "path/their-post.md", true],
    ["docs/**", "docs", false],
    // `?` = zero or one of the preceding character
    ["*.jsx?", "page.js", true],
    ["*.jsx?", "page.jsx", true],
    ["*.jsx?", "page.jsxx", false],
    // `+` = one or more of the preceding character
    ["ab+c", "abbbc", true],
    ["ab+c", "ac", false],
    ["ab?+c", "ac", true],
    ["ab?+c", "abbc", true],
    ["v*?", "v1", true],
    // `?`/`+` at the start are literal characters
    ["?x", "?x", true],
    ["?x", "x", false],
    ["+x", "+x", true],
    ["[CB]at", "Cat", true],
    ["[CB]at", "Bat", true],
    ["[CB]at", "cat", false],
    ["[1-2]00", "200", true],
    ["[1-2]00", "300", false],
    ["[0-9a-z]+", "a1b2", true],
    ["v[0-9]+.[0-9]+", "v10.2", true],
    ["v[0-9]+.[0-9]+", "v10x2", false], // `.` is literal
    ["v[0-9]+\\.[0-9]+", "v10.2", true],
    ["release-\\*", "release-*", true],
    ["release-\\*", "release-1", false],
    ["a.b", "aXb", false],
    ["(x)|y", "(x)|y", true],
    ["Main", "main", false],
  ])("%s ~ %s → %s", (pattern, value, expected) => {
    const r = filterPatternToRegExp(pattern);
    if (!r.ok) throw new Error(r.error);
    expect(r.regex.test(value)).toBe(expected);
  });

  it.each<[string, string]>([
    ["feat[", "missing closing bracket"],
    ["[]", "empty brackets"],
    ["[a-Z]", "invalid range"],
    ["[_]", "'_' in brackets"],
    ["trailing\\", "missing symbol"],
  ])("rejects %s", (pattern, message) => {
    const r = filterPatternToRegExp(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });
});

describe("matchTrigger: event selection", () => {
  it.each<[Triggers, TriggerEvent, string]>([
    [{ push: {} }, push("refs/heads/main"), "match"],
    [{ pull_request: {} }, push("refs/heads/main"), "skip"],
    [{ issues: {} }, { name: "issues" }, "match"],
    [{ issues: { types: ["opened"] } }, { name: "issues" }, "match"],
    [{ push: {} }, { name: "issues" }, "skip"],
    [{ workflow_call: {} }, { name: "workflow_call" }, "match"],
  ])("%j on %j → %s", (on, event, expected) => {
    expect(outcome(on, event)).toBe(expected);
  });

  it("names the missing event in the skip reason", () => {
    expect(matchTrigger({ push: {} }, { name: "release" })).toEqual({
      kind: "skip",
      reason: "the workflow does not run on 'release'",
    });
  });

  it("non-dispatch events have empty inputs", () => {
    expect(matchTrigger({ push: {} }, push("refs/heads/x"))).toEqual({ kind: "match", inputs: {} });
  });
});

describe("matchTrigger: push ref filters", () => {
  it.each<[string, BranchFilters, string, string]>([
    ["no filters, branch", {}, "refs/heads/dev", "match"],
    ["no filters, tag", {}, "refs/tags/v1", "match"],
    ["no filters, other ref", {}, "refs/notes/x", "match"],
    ["branches hit", { branches: ["main"] }, "refs/heads/main", "match"],
    ["branches miss", { branches: ["main"] }, "refs/heads/dev", "skip"],
    ["bare ref is a branch", { branches: ["main"] }, "main", "match"],
    ["branches *", { branches: ["releases/*"] }, "refs/heads/releases/1.0", "match"],
    ["branches * stops at /", { branches: ["releases/*"] }, "refs/heads/releases/1/x", "skip"],
    ["branches **", { branches: ["releases/**"] }, "refs/heads/releases/1/x", "match"],
    // Later patterns override earlier ones.
    [
      "negation after",
      { branches: ["releases/**", "!releases/**-alpha"] },
      "refs/heads/releases/2-alpha",
      "skip",
    ],
    [
      "negation keeps others",
      { branches: ["releases/**", "!releases/**-alpha"] },
      "refs/heads/releases/2",
      "match",
    ],
    [
      "re-include after negation",
      { branches: ["r/**", "!r/**-alpha", "r/10-alpha"] },
      "refs/heads/r/10-alpha",
      "match",
    ],
    ["only negations never match", { branches: ["!main"] }, "refs/heads/dev", "skip"],
    [
      "branches-ignore hit",
      { "branches-ignore": ["dependabot/**"] },
      "refs/heads/dependabot/npm/x",
      "skip",
    ],
    ["branches-ignore miss", { "branches-ignore": ["dependabot/**"] }, "refs/heads/main", "match"],
    [
      "branches-ignore with negation",
      { "branches-ignore": ["x/*", "!x/keep"] },
      "refs/heads/x/keep",
      "match",
    ],
    ["empty list = absent", { branches: [] }, "refs/heads/dev", "match"],
    // Branch-only filters skip tag pushes, and vice versa.
    ["branch filters, tag push", { branches: ["**"] }, "refs/tags/v1", "skip"],
    ["branches-ignore, tag push", { "branches-ignore": ["x"] }, "refs/tags/v1", "skip"],
    ["tag filters, branch push", { tags: ["v*"] }, "refs/heads/main", "skip"],
    ["tags-ignore, branch push", { "tags-ignore": ["v*"] }, "refs/heads/main", "skip"],
    ["tags hit", { tags: ["v[0-9]+.*"] }, "refs/tags/v12.0", "match"],
    ["tags miss", { tags: ["v[0-9]+.*"] }, "refs/tags/latest", "skip"],
    ["tags-ignore hit", { "tags-ignore": ["*-rc*"] }, "refs/tags/v1-rc1", "skip"],
    ["both kinds, branch", { branches: ["main"], tags: ["v*"] }, "refs/heads/main", "match"],
    ["both kinds, tag", { branches: ["main"], tags: ["v*"] }, "refs/tags/v2", "match"],
    ["filters, other ref", { branches: ["**"] }, "refs/pull/1/merge", "skip"],
  ])("%s", (_, filters, ref, expected) => {
    expect(outcome({ push: filters }, push(ref))).toBe(expected);
  });

  it.each<[BranchFilters, string]>([
    [
      { branches: ["a"], "branches-ignore": ["b"] },
      "on.push: 'branches' and 'branches-ignore' cannot be used together",
    ],
    [
      { tags: ["a"], "tags-ignore": ["b"] },
      "on.push: 'tags' and 'tags-ignore' cannot be used together",
    ],
    [
      { paths: ["a"], "paths-ignore": ["b"] },
      "on.push: 'paths' and 'paths-ignore' cannot be used together",
    ],
    [
      { branches: ["feat["] },
      "on.push.branches: Invalid pattern 'feat[': missing closing bracket ']' after '['",
    ],
  ])("error for %j", (filters, message) => {
    expect(matchTrigger({ push: filters }, push("refs/heads/a"))).toEqual({
      kind: "error",
      errors: [message],
    });
  });

  it("error for a push event without a ref", () => {
    expect(matchTrigger({ push: {} }, { name: "push" }).kind).toBe("error");
  });
});

describe("matchTrigger: path filters", () => {
  it.each<[string, BranchFilters, string[] | null, string]>([
    ["paths hit", { paths: ["src/**"] }, ["README.md", "src/a.ts"], "match"],
    ["paths miss", { paths: ["src/**"] }, ["README.md"], "skip"],
    ["paths, unknown changes", { paths: ["src/**"] }, null, "match"],
    ["paths, no changes", { paths: ["src/**"] }, [], "skip"],
    ["paths root-only *", { paths: ["*.md"] }, ["docs/a.md"], "skip"],
    ["paths **", { paths: ["**.md"] }, ["docs/a.md"], "match"],
    ["paths negation", { paths: ["sub/**", "!sub/docs/**"] }, ["sub/docs/a.md"], "skip"],
    [
      "paths negation, other file",
      { paths: ["sub/**", "!sub/docs/**"] },
      ["sub/docs/a.md", "sub/x.ts"],
      "match",
    ],
    [
      "paths re-include",
      { paths: ["sub/**", "!sub/docs/**", "sub/docs/keep.md"] },
      ["sub/docs/keep.md"],
      "match",
    ],
    ["paths-ignore all", { "paths-ignore": ["docs/**", "*.md"] }, ["docs/a", "README.md"], "skip"],
    ["paths-ignore some", { "paths-ignore": ["docs/**"] }, ["docs/a", "src/b"], "match"],
    ["paths-ignore, unknown changes", { "paths-ignore": ["**"] }, null, "match"],
    ["paths-ignore, no changes", { "paths-ignore": ["docs/**"] }, [], "skip"],
    [
      "paths-ignore negation",
      { "paths-ignore": ["docs/**", "!docs/api/**"] },
      ["docs/api/x"],
      "match",
    ],
    [
      "branches and paths both needed",
      { branches: ["main"], paths: ["src/**"] },
      ["src/a"],
      "match",
    ],
  ])("%s", (_, filters, files, expected) => {
    expect(outcome({ push: filters }, push("refs/heads/main", files))).toBe(expected);
  });

  it("branch and path filters must both pass", () => {
    expect(
      outcome(
        { push: { branches: ["main"], paths: ["src/**"] } },
        push("refs/heads/dev", ["src/a"]),
      ),
    ).toBe("skip");
  });

  it("path filters are not evaluated for tag pushes", () => {
    expect(
      outcome({ push: { tags: ["v*"], paths: ["src/**"] } }, push("refs/tags/v1", ["README.md"])),
    ).toBe("match");
  });
});

describe("matchTrigger: pull_request", () => {
  it.each<[string, BranchFilters, TriggerEvent, string]>([
    ["default types: opened", {}, pr("opened", "main"), "match"],
    ["default types: synchronize", {}, pr("synchronize", "main"), "match"],
    ["default types: reopened", {}, pr("reopened", "main"), "match"],
    ["default types: closed", {}, pr("closed", "main"), "skip"],
    ["default types: labeled", {}, pr("labeled", "main"), "skip"],
    ["explicit types", { types: ["closed"] }, pr("closed", "main"), "match"],
    ["explicit types replace defaults", { types: ["closed"] }, pr("opened", "main"), "skip"],
    ["base branch hit", { branches: ["main"] }, pr("opened", "main"), "match"],
    ["base branch as full ref", { branches: ["main"] }, pr("opened", "refs/heads/main"), "match"],
    ["base branch miss", { branches: ["main"] }, pr("opened", "dev"), "skip"],
    [
      "base branch glob + negation",
      { branches: ["rel/**", "!rel/old"] },
      pr("opened", "rel/old"),
      "skip",
    ],
    ["branches-ignore", { "branches-ignore": ["wip/*"] }, pr("opened", "wip/x"), "skip"],
    ["paths hit", { paths: ["src/**"] }, pr("opened", "main", ["src/a"]), "match"],
    ["paths miss", { paths: ["src/**"] }, pr("opened", "main", ["doc/a"]), "skip"],
    ["paths unknown", { paths: ["src/**"] }, pr("opened", "main", null), "match"],
    ["paths-ignore all", { "paths-ignore": ["doc/**"] }, pr("opened", "main", ["doc/a"]), "skip"],
  ])("%s", (_, filters, event, expected) => {
    expect(outcome({ pull_request: filters }, event)).toBe(expected);
  });

  it("explains a type skip", () => {
    expect(matchTrigger({ pull_request: {} }, pr("closed", "main"))).toEqual({
      kind: "skip",
      reason: "pull_request action 'closed' is not in types (opened, synchronize, reopened)",
    });
  });

  it("pull_request_target shares the filters", () => {
    const event = {
      name: "pull_request_target",
      action: "closed",
      baseRef: "main",
      changedFiles: null,
    };
    expect(outcome({ pull_request_target: {} }, event)).toBe("skip");
    expect(outcome({ pull_request_target: { types: ["closed"] } }, event)).toBe("match");
    expect(outcome({ pull_request_target: {} }, { name: "pull_request_target" })).toBe("match");
  });
});

describe("matchTrigger: schedule", () => {
  const on: Triggers = { schedule: [{ cron: "0 3 * * *" }, { cron: "*/15 * * * 1-5" }] };
  it.each<[Triggers, string | null, string]>([
    [on, null, "match"],
    [on, "0 3 * * *", "match"],
    [on, "*/15  *  * * 1-5", "match"],
    [on, "0 4 * * *", "skip"],
    [{ schedule: [] }, null, "skip"],
    [{ push: {} }, null, "skip"],
  ])("%j with cron %s → %s", (triggers, cron, expected) => {
    expect(outcome(triggers, { name: "schedule", cron })).toBe(expected);
  });
});

describe("matchTrigger: workflow_dispatch inputs", () => {
  const inputs: Record<string, DispatchInput> = {
    name: { type: "string" },
    greeting: { type: "string", default: "hello" },
    debug: { type: "boolean" },
    verbose: { type: "boolean", default: true },
    count: { type: "number" },
    retries: { type: "number", default: 3 },
    level: { type: "choice", options: ["low", "high"], default: "low" },
    target: { type: "environment" },
  };
  const on: Triggers = { workflow_dispatch: { inputs } };
  const dispatch = (given: Record<string, string>): TriggerEvent => ({
    name: "workflow_dispatch",
    inputs: given,
  });
  const defaults = {
    name: "",
    greeting: "hello",
    debug: false,
    verbose: true,
    count: "",
    retries: 3,
    level: "low",
    target: "",
  };

  it.each<[string, Record<string, string>, Record<string, string | boolean | number>]>([
    ["all defaults", {}, defaults],
    ["string", { name: "x y" }, { ...defaults, name: "x y" }],
    ["empty string", { greeting: "" }, { ...defaults, greeting: "" }],
    ["boolean true", { debug: "true" }, { ...defaults, debug: true }],
    ["boolean false over default true", { verbose: "false" }, { ...defaults, verbose: false }],
    ["number", { count: "42" }, { ...defaults, count: 42 }],
    ["negative decimal", { count: "-1.5" }, { ...defaults, count: -1.5 }],
    ["exponent", { count: "1e3" }, { ...defaults, count: 1000 }],
    ["choice", { level: "high" }, { ...defaults, level: "high" }],
    ["environment", { target: "prod" }, { ...defaults, target: "prod" }],
  ])("%s", (_, given, expected) => {
    expect(matchTrigger(on, dispatch(given))).toEqual({ kind: "match", inputs: expected });
  });

  it("keeps the declared input order", () => {
    const r = matchTrigger(on, dispatch({ target: "t", name: "n" }));
    expect(r.kind === "match" && Object.keys(r.inputs)).toEqual(Object.keys(inputs));
  });

  it.each<[string, Record<string, DispatchInput>, Record<string, string>, string[]]>([
    [
      "required missing",
      { who: { type: "string", required: true } },
      {},
      ["Input 'who' is required"],
    ],
    [
      "required boolean missing",
      { ok: { type: "boolean", required: true } },
      {},
      ["Input 'ok' is required"],
    ],
    ["unexpected", {}, { extra: "1" }, ["Unexpected input 'extra'"]],
    [
      "bad boolean",
      { ok: { type: "boolean" } },
      { ok: "yes" },
      ["Input 'ok' must be a boolean ('true' or 'false'), got 'yes'"],
    ],
    [
      "boolean is case-sensitive",
      { ok: { type: "boolean" } },
      { ok: "True" },
      ["Input 'ok' must be a boolean ('true' or 'false'), got 'True'"],
    ],
    [
      "bad number",
      { n: { type: "number" } },
      { n: "12abc" },
      ["Input 'n' must be a number, got '12abc'"],
    ],
    [
      "hex is not a number",
      { n: { type: "number" } },
      { n: "0x10" },
      ["Input 'n' must be a number, got '0x10'"],
    ],
    ["empty number", { n: { type: "number" } }, { n: "" }, ["Input 'n' must be a number, got ''"]],
    [
      "bad choice",
      { c: { type: "choice", options: ["a", "b"] } },
      { c: "z" },
      ["Input 'c' must be one of 'a', 'b', got 'z'"],
    ],
    [
      "bad number default",
      { n: { type: "number", default: "many" } },
      {},
      ["Default of input 'n': Input 'n' must be a number, got 'many'"],
    ],
    [
      "all errors at once",
      { who: { type: "string", required: true }, n: { type: "number" } },
      { n: "x", other: "1" },
      [
        "Input 'who' is required",
        "Input 'n' must be a number, got 'x'",
        "Unexpected input 'other'",
      ],
    ],
  ])("%s", (_, declared, given, errors) => {
    expect(matchTrigger({ workflow_dispatch: { inputs: declared } }, dispatch(given))).toEqual({
      kind: "error",
      errors,
    });
  });

  it.each<[string, DispatchInput, string | boolean | number]>([
    ["required with default", { type: "string", required: true, default: "d" }, "d"],
    ["string default for a number", { type: "number", default: "7" }, 7],
    ["string default for a boolean", { type: "boolean", default: "true" }, true],
    ["untyped input is a string", { description: "x" } as DispatchInput, ""],
  ])("default: %s", (_, def, expected) => {
    expect(matchTrigger({ workflow_dispatch: { inputs: { x: def } } }, dispatch({}))).toEqual({
      kind: "match",
      inputs: { x: expected },
    });
  });

  it("a dispatch without declared inputs accepts none", () => {
    expect(matchTrigger({ workflow_dispatch: {} }, dispatch({}))).toEqual({
      kind: "match",
      inputs: {},
    });
    expect(matchTrigger({ workflow_dispatch: {} }, dispatch({ a: "1" }))).toEqual({
      kind: "error",
      errors: ["Unexpected input 'a'"],
    });
  });
});
