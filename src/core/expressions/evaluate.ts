// Actions expression evaluation on top of @actions/expressions. Pure: no filesystem,
// no imports from other project folders (this is bundled into the job runtime).

import type { Expr } from "@actions/expressions";
import { data, Evaluator, ExpressionError, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { type Token, TokenType } from "@actions/expressions/lexer";

/** Plain JSON per context name: github, env, vars, secrets, job, jobs, steps, runner, ... */
export type Contexts = Record<string, unknown>;

export interface StatusFunctions {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
  /** Defaults to true. */
  always?(): boolean;
}

export interface EvalOptions {
  /** Absent: success()/failure()/cancelled()/always() are unrecognized functions. */
  status?: StatusFunctions;
  /** Absent: calling hashFiles() is an evaluation error. */
  hashFiles?: (patterns: string[]) => string;
}

/** `value` is plain JSON (null, boolean, number, string, array, object). */
export type EvalResult = { ok: true; value: unknown } | { ok: false; error: string };
export type StringResult = { ok: true; value: string } | { ok: false; error: string };
export type ConditionResult = { ok: true; value: boolean } | { ok: false; error: string };

/** Always known to the parser, so `matrix.x` outside a matrix job is null, not a syntax error. */
export const STANDARD_CONTEXTS = [
  "github",
  "env",
  "vars",
  "secrets",
  "job",
  "jobs",
  "steps",
  "runner",
  "strategy",
  "matrix",
  "needs",
  "inputs",
] as const;

const STATUS_FUNCTIONS = new Set(["success", "failure", "cancelled", "always"]);

/** Evaluates the inner text of an expression (no `${{ }}`). */
export function evaluateExpression(
  expr: string,
  contexts: Contexts,
  opts?: EvalOptions,
): EvalResult {
  const functions = buildFunctions(opts ?? {});
  const compiled = compile(expr, contexts, functions);
  if (!compiled.ok) return compiled;
  return run(expr, compiled.ast, compiled.tokens, contexts, functions);
}

/** Replaces every `${{ ... }}` in `template` with the display string of its value. */
export function interpolate(
  template: string,
  contexts: Contexts,
  opts?: EvalOptions,
): StringResult {
  const parts = splitTemplate(template);
  if (!parts.ok) return parts;
  let out = "";
  for (const part of parts.value) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const r = evaluateExpression(part.expr, contexts, opts);
    if (!r.ok) return r;
    out += toDisplayString(r.value);
  }
  return { ok: true, value: out };
}

/**
 * A template that is exactly one `${{ x }}` yields x's raw value (so `matrix: ${{ fromJSON(..) }}`
 * is an object and `timeout-minutes: ${{ 5 }}` a number); anything else interpolates to a string.
 */
export function evaluateTemplate(
  template: string,
  contexts: Contexts,
  opts?: EvalOptions,
): EvalResult {
  const parts = splitTemplate(template);
  if (!parts.ok) return parts;
  const [only] = parts.value;
  if (parts.value.length === 1 && typeof only === "object") {
    return evaluateExpression(only.expr, contexts, opts);
  }
  return interpolate(template, contexts, opts);
}

/**
 * Evaluates an `if:`. `${{ }}` is optional (only when it wraps the whole condition); empty means
 * `success()`; without a status function call the condition is `success() && (condition)`.
 */
export function evaluateCondition(
  condition: string | null | undefined,
  contexts: Contexts,
  opts: EvalOptions & { status: StatusFunctions },
): ConditionResult {
  let text = (condition ?? "").trim();
  const inner = unwrapWhole(text);
  if (inner !== undefined) text = inner.trim();
  try {
    if (text === "") return { ok: true, value: opts.status.success() };
  } catch (e) {
    return { ok: false, error: `Error evaluating success(): ${errorMessage(e)}` };
  }

  const functions = buildFunctions(opts);
  const compiled = compile(text, contexts, functions);
  if (!compiled.ok) return compiled;

  // Parsed tokens, not a substring search, so `'success()'` as a string literal doesn't count.
  const hasStatusCall = compiled.tokens.some(
    (t, i) =>
      t.type === TokenType.IDENTIFIER &&
      compiled.tokens[i + 1]?.type === TokenType.LEFT_PAREN &&
      STATUS_FUNCTIONS.has(t.lexeme.toLowerCase()),
  );
  if (!hasStatusCall) {
    // Same as evaluating `success() && (text)`: short-circuits before touching the condition.
    try {
      if (!opts.status.success()) return { ok: true, value: false };
    } catch (e) {
      return { ok: false, error: `Error evaluating success(): ${errorMessage(e)}` };
    }
  }
  const r = run(text, compiled.ast, compiled.tokens, contexts, functions);
  return r.ok ? { ok: true, value: isTruthy(r.value) } : r;
}

/** Actions truthiness: false, 0, -0, "", null and NaN are falsy; arrays and objects are truthy. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value.length > 0;
  return true;
}

/** Actions string coercion, as used when interpolating into a string. */
export function toDisplayString(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  if (Array.isArray(value)) return "Array";
  if (typeof value === "object") return "Object";
  return String(value);
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n === 0) return "0"; // also -0
  // String() prints integers below 1e21 without an exponent.
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // 15 significant digits like the reference runner, so 0.1 + 0.2 prints as 0.3.
  return String(Number(n.toPrecision(15)));
}

// ---- templates ----

type TemplatePart = string | { expr: string };

/** Index of the `}}` closing an expression that starts at `from`, skipping `'...'` literals. */
function findClose(s: string, from: number): number {
  let inString = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    // `''` inside a literal toggles twice, so escapes need no special case.
    if (c === "'") inString = !inString;
    else if (!inString && c === "}" && s[i + 1] === "}") return i;
  }
  return -1;
}

function splitTemplate(
  template: string,
): { ok: true; value: TemplatePart[] } | { ok: false; error: string } {
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (pos < template.length) {
    const open = template.indexOf("${{", pos);
    if (open < 0) break;
    const close = findClose(template, open + 3);
    if (close < 0) return { ok: false, error: `Unterminated expression: ${template.slice(open)}` };
    if (open > pos) parts.push(template.slice(pos, open));
    parts.push({ expr: template.slice(open + 3, close).trim() });
    pos = close + 2;
  }
  if (pos < template.length) parts.push(template.slice(pos));
  return { ok: true, value: parts };
}

/** Inner text when `text` is exactly one `${{ ... }}`, else undefined. */
function unwrapWhole(text: string): string | undefined {
  if (!text.startsWith("${{")) return undefined;
  const close = findClose(text, 3);
  return close === text.length - 2 ? text.slice(3, close) : undefined;
}

// ---- parsing and evaluation ----

type Compiled = { ok: true; ast: Expr; tokens: Token[] } | { ok: false; error: string };

function compile(
  expr: string,
  contexts: Contexts,
  functions: Map<string, FunctionDefinition>,
): Compiled {
  let tokens: Token[];
  try {
    tokens = new Lexer(expr).lex().tokens;
  } catch (e) {
    return { ok: false, error: parseError(e, expr) };
  }
  // The lexer unescapes only the first `''` of a string literal; redo it for all of them.
  for (const t of tokens) {
    if (t.type === TokenType.STRING) t.value = t.lexeme.slice(1, -1).replaceAll("''", "'");
  }
  const names = [...STANDARD_CONTEXTS, ...Object.keys(contexts)];
  let ast: Expr | undefined;
  try {
    ast = new Parser(tokens, names, [...functions.values()]).parse();
  } catch (e) {
    return { ok: false, error: parseError(e, expr) };
  }
  // parse() returns undefined for an empty token stream.
  if (!ast) return { ok: false, error: `Expected an expression, got: '${expr}'` };
  return { ok: true, ast, tokens };
}

function run(
  expr: string,
  ast: Expr,
  tokens: Token[],
  contexts: Contexts,
  functions: Map<string, FunctionDefinition>,
): EvalResult {
  try {
    const result = new Evaluator(ast, referencedContexts(tokens, contexts), functions).evaluate();
    return { ok: true, value: fromData(result) };
  } catch (e) {
    return { ok: false, error: `Error evaluating expression '${expr}': ${errorMessage(e)}` };
  }
}

/**
 * Converts only the contexts the expression names (a named value is an identifier that neither
 * follows `.` nor precedes `(`), so a huge `github.event` isn't copied for `matrix.os`.
 * Every referenced standard context is present (null if absent): the evaluator crashes on a
 * context the parser accepted but the dictionary lacks.
 */
function referencedContexts(tokens: Token[], contexts: Contexts): data.Dictionary {
  const wanted = new Set<string>();
  tokens.forEach((t, i) => {
    if (
      t.type === TokenType.IDENTIFIER &&
      tokens[i - 1]?.type !== TokenType.DOT &&
      tokens[i + 1]?.type !== TokenType.LEFT_PAREN
    ) {
      wanted.add(t.lexeme.toLowerCase());
    }
  });
  const dict = new data.Dictionary();
  for (const [key, value] of Object.entries(contexts)) {
    if (wanted.has(key.toLowerCase())) dict.add(key, toData(value));
  }
  for (const name of wanted) {
    if (dict.get(name) === undefined) dict.add(name, new data.Null());
  }
  return dict;
}

function buildFunctions(opts: EvalOptions): Map<string, FunctionDefinition> {
  const fns = new Map<string, FunctionDefinition>();
  const add = (def: FunctionDefinition) => fns.set(def.name.toLowerCase(), def);
  const status = opts.status;
  if (status) {
    const bool = (name: string, f: () => boolean) =>
      add({ name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(f()) });
    bool("success", () => status.success());
    bool("failure", () => status.failure());
    bool("cancelled", () => status.cancelled());
    bool("always", () => status.always?.() ?? true);
  }
  // Always known to the parser so a misplaced hashFiles is a clear runtime error, not a syntax one.
  const hashFiles = opts.hashFiles;
  add({
    name: "hashFiles",
    minArgs: 1,
    maxArgs: Number.MAX_SAFE_INTEGER,
    call: (...args) => {
      if (!hashFiles) throw new Error("hashFiles is not available here");
      const patterns = args.map((a) => {
        if (a.kind !== data.Kind.String) throw new Error("hashFiles arguments must be strings");
        return a.coerceString();
      });
      return new data.StringData(hashFiles(patterns));
    },
  });
  return fns;
}

function toData(value: unknown): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  switch (typeof value) {
    case "string":
      return new data.StringData(value);
    case "number":
      return new data.NumberData(value);
    case "boolean":
      return new data.BooleanData(value);
    case "bigint":
      return new data.NumberData(Number(value));
    case "object": {
      if (Array.isArray(value)) return new data.Array(...value.map(toData));
      const dict = new data.Dictionary();
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined) dict.add(k, toData(v));
      }
      return dict;
    }
    default:
      return new data.Null();
  }
}

function fromData(d: data.ExpressionData | undefined): unknown {
  if (d === undefined) return null;
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
    case data.Kind.Number:
    case data.Kind.String:
      return (d as data.BooleanData | data.NumberData | data.StringData).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromData);
    default: {
      const out: Record<string, unknown> = {};
      for (const { key, value } of (d as data.Dictionary).pairs()) out[key] = fromData(value);
      return out;
    }
  }
}

function parseError(e: unknown, expr: string): string {
  const msg = errorMessage(e);
  if (msg.includes("within expression:")) return msg; // lexer errors already say where
  if (e instanceof ExpressionError) {
    return `${msg}. Located at position ${offsetOf(expr, e.pos) + 1} within expression: ${expr}`;
  }
  return `${msg} within expression: ${expr}`;
}

/** Converts the parser's line/column back to an offset in the expression text. */
function offsetOf(expr: string, pos: { line: number; column: number }): number {
  const lines = expr.split("\n");
  let offset = 0;
  for (let i = 0; i < pos.line && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
  return offset + pos.column;
}

function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // fromJSON wraps the JSON.parse error as `cause`; that's the useful part.
  return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
}
