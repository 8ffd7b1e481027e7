// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the `${{ }}` strings are Actions syntax under test
import { describe, expect, it } from "vitest";
import {
  type Contexts,
  type EvalOptions,
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  interpolate,
  isTruthy,
  type StatusFunctions,
  toDisplayString,
} from "./index.ts";

const ctx: Contexts = {
  github: { event: { x: "ex", n: 3, nested: { deep: true } }, ref: "refs/heads/main", sha: "abc" },
  env: { FOO: "bar", EMPTY: "" },
  matrix: { os: "linux", node: 20 },
  steps: { a: { outputs: { b: "out-b" }, outcome: "success" } },
  needs: { build: { outputs: { list: '["x","y"]' }, result: "success" } },
  custom: { k: "v" },
};

function status(s: "success" | "failure" | "cancelled"): StatusFunctions {
  return {
    success: () => s === "success",
    failure: () => s === "failure",
    cancelled: () => s === "cancelled",
  };
}

describe("evaluateExpression: literals, coercions, operators", () => {
  it.each<[string, unknown]>([
    ["1", 1],
    ["-2.5", -2.5],
    ["'it''s'", "it's"],
    ["'a''b''c'", "a'b'c"],
    ["true", true],
    ["null", null],
    ["1 == '1'", true],
    ["'' == 0", true],
    ["null == 0", true],
    ["null == ''", true],
    ["null == false", true],
    ["null == null", true],
    ["'abc' == 'ABC'", true],
    ["'abc' != 'abd'", true],
    ["'1.0' == 1", true],
    ["'x' == 0", false],
    ["2 > 1 && 'b' > 'A'", true],
    ["!0", true],
    ["!'a'", false],
    ["0 || 'fallback'", "fallback"],
    ["'first' && 'second'", "second"],
    ["(1 == 1) && (2 < 1)", false],
  ])("%s → %j", (expr, want) => {
    expect(evaluateExpression(expr, ctx)).toEqual({ ok: true, value: want });
  });
});

describe("evaluateExpression: property and index access", () => {
  it.each<[string, unknown]>([
    ["github.event.x", "ex"],
    ["github.event.nested.deep", true],
    ["GitHub.Event.X", "ex"],
    ["matrix['os']", "linux"],
    ["matrix['OS']", "linux"],
    ["steps.a.outputs.b", "out-b"],
    ["steps.missing.outputs.b", null],
    ["github.event.none", null],
    ["env.FOO", "bar"],
    ["custom.k", "v"],
    ["vars.anything", null],
    ["github.event", { x: "ex", n: 3, nested: { deep: true } }],
    ['fromJSON(\'[{"a":1},{"a":2}]\').*.a', [1, 2]],
    ['fromJSON(\'{"p":{"a":1},"q":{"a":2}}\').*.a', [1, 2]],
    ["fromJSON('[10,20,30]')[1]", 20],
    ["fromJSON('[10,20,30]')[5]", null],
    ["fromJSON(needs.build.outputs.list)[0]", "x"],
  ])("%s → %j", (expr, want) => {
    expect(evaluateExpression(expr, ctx)).toEqual({ ok: true, value: want });
  });
});

describe("evaluateExpression: built-in functions", () => {
  it.each<[string, unknown]>([
    ["format('{0}-{1}', 'a', 2)", "a-2"],
    ["format('{{0}} {0}', 'x')", "{0} x"],
    ["contains('Hello', 'ELL')", true],
    ["contains(fromJSON('[\"a\",\"b\"]'), 'B')", true],
    ["contains(fromJSON('[\"a\",\"b\"]'), 'c')", false],
    ["startsWith(github.ref, 'refs/HEADS/')", true],
    ["endsWith('file.ts', '.TS')", true],
    ["join(fromJSON('[1,2,3]'), '+')", "1+2+3"],
    ['join(fromJSON(\'["a","b"]\'))', "a,b"],
    ["toJSON(matrix)", '{\n  "os": "linux",\n  "node": 20\n}'],
    ["toJSON(fromJSON('[1,{\"a\":null}]'))", '[\n  1,\n  {\n    "a": null\n  }\n]'],
    ["fromJSON('{\"a\":[1,true,null]}')", { a: [1, true, null] }],
    ["FROMJSON('5')", 5],
    ["ToJson('x')", '"x"'],
  ])("%s → %j", (expr, want) => {
    expect(evaluateExpression(expr, ctx)).toEqual({ ok: true, value: want });
  });
});

describe("evaluateExpression: errors", () => {
  it.each<[string, string]>([
    ["foo.bar", "Unrecognized named-value: 'foo'"],
    ["github.", "within expression: github."],
    ["1 ==", "within expression: 1 =="],
    ["'unterminated", "within expression: 'unterminated"],
    ["a = b", "within expression: a = b"],
    ["matrix['O' + 'S']", "within expression: matrix['O' + 'S']"], // no `+` operator
    ["nope()", "Unrecognized function: 'nope'"],
    ["contains('a')", "Too few parameters supplied"],
    ["success()", "Unrecognized function: 'success'"],
    ["fromJSON('{bad')", "Error parsing JSON"],
    ["format('{1}', 'a')", "references more arguments"],
    ["hashFiles('**/*.lock')", "hashFiles is not available here"],
    ["", "Expected an expression"],
  ])("%s → %s", (expr, want) => {
    const r = evaluateExpression(expr, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(want);
  });

  it("says where a parse error is", () => {
    const r = evaluateExpression("github.sha == foo", ctx);
    expect(r).toEqual({
      ok: false,
      error:
        "Unrecognized named-value: 'foo'. Located at position 15 within expression: github.sha == foo",
    });
  });
});

describe("hashFiles injection", () => {
  const seen: string[][] = [];
  const opts: EvalOptions = {
    hashFiles: (patterns) => {
      seen.push(patterns);
      return `hash(${patterns.join("|")})`;
    },
  };
  it.each<[string, unknown, string[]]>([
    ["hashFiles('a.lock')", "hash(a.lock)", ["a.lock"]],
    ["HASHFILES('a', '**/b')", "hash(a|**/b)", ["a", "**/b"]],
    ["format('k-{0}', hashFiles(env.FOO))", "k-hash(bar)", ["bar"]],
  ])("%s → %j", (expr, want, patterns) => {
    seen.length = 0;
    expect(evaluateExpression(expr, ctx, opts)).toEqual({ ok: true, value: want });
    expect(seen).toEqual([patterns]);
  });

  it.each<[string, string]>([
    ["hashFiles()", "Too few parameters"],
    ["hashFiles(1)", "must be strings"],
  ])("%s fails", (expr, want) => {
    const r = evaluateExpression(expr, ctx, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(want);
  });

  it("turns a throwing hashFiles into an error value", () => {
    const r = evaluateExpression("hashFiles('x')", ctx, {
      hashFiles: () => {
        throw new Error("disk on fire");
      },
    });
    expect(r).toEqual({
      ok: false,
      error: "Error evaluating expression 'hashFiles('x')': disk on fire",
    });
  });
});

describe("interpolate", () => {
  it.each<[string, string]>([
    ["no expressions", "no expressions"],
    ["", ""],
    ["${{ matrix.os }}", "linux"],
    ["os=${{ matrix.os }} node=${{matrix.node}}!", "os=linux node=20!"],
    ["${{ github.event.none }}|", "|"],
    ["${{ '}}' }}", "}}"],
    ["a${{ format('{0}}}', 'x') }}b", "ax}b"],
    ["${{ 'it''s }}' }} done", "it's }} done"],
    ["${{ true }} ${{ null }} ${{ 1.5 }}", "true  1.5"],
    ["${{ github.event }} ${{ fromJSON('[1]') }}", "Object Array"],
    ["${{ 0.1 }}", "0.1"],
    ["${{ steps.a.outputs.b }}-${{ env.EMPTY }}-", "out-b--"],
    ["$ {{ not }} ${ {x} }", "$ {{ not }} ${ {x} }"],
  ])("%j → %j", (template, want) => {
    expect(interpolate(template, ctx)).toEqual({ ok: true, value: want });
  });

  it.each<[string, string]>([
    ["a ${{ matrix.os", "Unterminated expression: ${{ matrix.os"],
    ["${{ '}} }}", "Unterminated expression: ${{ '}} }}"],
    ["ok ${{ matrix.os }} ${{ x.y }}", "Unrecognized named-value: 'x'"],
    ["${{ }}", "Expected an expression"],
  ])("%j fails with %j", (template, want) => {
    const r = interpolate(template, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(want);
  });
});

describe("evaluateTemplate", () => {
  it.each<[string, unknown]>([
    ["${{ 5 }}", 5],
    ['${{ fromJSON(\'{"os":["a","b"]}\') }}', { os: ["a", "b"] }],
    ["${{ matrix }}", { os: "linux", node: 20 }],
    ["${{ true }}", true],
    ["${{ github.event.none }}", null],
    ["plain", "plain"],
    ["${{ 5 }}m", "5m"],
    [" ${{ 5 }}", " 5"],
    ["${{ 1 }}${{ 2 }}", "12"],
    ["${{ matrix }} x", "Object x"],
  ])("%j → %j", (template, want) => {
    expect(evaluateTemplate(template, ctx)).toEqual({ ok: true, value: want });
  });
});

describe("evaluateCondition", () => {
  it.each<[string | null | undefined, "success" | "failure" | "cancelled", boolean]>([
    // Empty: success()
    [null, "success", true],
    [undefined, "failure", false],
    ["", "cancelled", false],
    ["  ", "success", true],
    ["${{ }}", "failure", false],
    // Implicit success() && (expr)
    ["true", "success", true],
    ["true", "failure", false],
    ["${{ true }}", "failure", false],
    ["matrix.os == 'linux'", "success", true],
    ["matrix.os == 'linux'", "failure", false],
    ["${{ matrix.os == 'windows' }}", "success", false],
    ["github.event.none", "success", false],
    ["'non-empty'", "success", true],
    ["0", "success", false],
    ["'success()'", "failure", false], // a string literal is not a status call
    ["contains('always()', 'always')", "failure", false],
    // Explicit status functions opt out of the implicit success()
    ["failure()", "failure", true],
    ["failure()", "success", false],
    ["always()", "failure", true],
    ["always()", "cancelled", true],
    ["cancelled()", "cancelled", true],
    ["${{ success() }}", "success", true],
    ["SUCCESS()", "failure", false],
    ["Failure() && matrix.os == 'linux'", "failure", true],
    ["!cancelled() && 1", "failure", true],
    ["always() && false", "success", false],
    ["  ${{ failure() || true }}  ", "failure", true],
  ])("%j with %s → %s", (condition, state, want) => {
    expect(evaluateCondition(condition, ctx, { status: status(state) })).toEqual({
      ok: true,
      value: want,
    });
  });

  it("uses status.always when given", () => {
    const s = { ...status("failure"), always: () => false };
    expect(evaluateCondition("always()", ctx, { status: s })).toEqual({ ok: true, value: false });
  });

  it("passes hashFiles through", () => {
    const r = evaluateCondition("hashFiles('x') == 'h'", ctx, {
      status: status("success"),
      hashFiles: () => "h",
    });
    expect(r).toEqual({ ok: true, value: true });
  });

  it.each<[string, string]>([
    ["foo == 1", "Unrecognized named-value: 'foo'"],
    ["${{ a }} && ${{ b }}", "within expression: ${{ a }} && ${{ b }}"], // only a whole wrap is removed
    ["${{ 1 ==", "within expression: ${{ 1 =="],
    ["true &&", "within expression: true &&"],
  ])("%j fails with %j", (condition, want) => {
    const r = evaluateCondition(condition, ctx, { status: status("success") });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(want);
  });

  it("reports a parse error even when the implicit success() is false", () => {
    expect(evaluateCondition("foo", ctx, { status: status("failure") }).ok).toBe(false);
  });
});

describe("isTruthy", () => {
  it.each<[unknown, boolean]>([
    [false, false],
    [0, false],
    [-0, false],
    ["", false],
    [null, false],
    [Number.NaN, false],
    [true, true],
    [1, true],
    [-1, true],
    ["0", true],
    ["false", true],
    [[], true],
    [{}, true],
    [Number.POSITIVE_INFINITY, true],
  ])("%j → %s", (value, want) => {
    expect(isTruthy(value)).toBe(want);
  });
});

describe("toDisplayString", () => {
  it.each<[unknown, string]>([
    [null, ""],
    [undefined, ""],
    ["s", "s"],
    [true, "true"],
    [false, "false"],
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-7, "-7"],
    [1e20, "100000000000000000000"],
    [1.5, "1.5"],
    [0.1 + 0.2, "0.3"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
    [[1, 2], "Array"],
    [{ a: 1 }, "Object"],
  ])("%j → %j", (value, want) => {
    expect(toDisplayString(value)).toBe(want);
  });
});
