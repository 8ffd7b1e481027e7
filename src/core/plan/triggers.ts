import type { BranchFilters, DispatchInput, Triggers } from "../workflow/model.ts";

export type TriggerEvent =
  /** `ref` like `refs/heads/main` or `refs/tags/v1`; `changedFiles` null = unknown (path filters pass). */
  | { name: "push"; ref: string; changedFiles: string[] | null }
  /** `baseRef` = the target branch, `main` or `refs/heads/main`. */
  | { name: "pull_request"; action: string; baseRef: string; changedFiles: string[] | null }
  /** Raw strings as a user typed them (`--input K=V`). */
  | { name: "workflow_dispatch"; inputs: Record<string, string> }
  /** `cron` null = any schedule entry (a local "run the scheduled workflow" request). */
  | { name: "schedule"; cron: string | null }
  /** Any other event: matches when the workflow lists it; `action` is matched against `types:`. */
  | { name: string; action?: string };

export type TriggerMatch =
  | { kind: "match"; inputs: Record<string, string | boolean | number> }
  | { kind: "skip"; reason: string }
  | { kind: "error"; errors: string[] };

type InputValue = string | boolean | number;

const DEFAULT_PR_TYPES = ["opened", "synchronize", "reopened"];

/** Decides whether a workflow with triggers `on` runs for `event`, and computes `inputs`. */
export function matchTrigger(on: Triggers, event: TriggerEvent): TriggerMatch {
  const config = Object.hasOwn(on, event.name) ? on[event.name] : undefined;
  if (config === undefined) return skip(`the workflow does not run on '${event.name}'`);
  const filters = asFilters(config);
  const ev = event as Record<string, unknown>;
  switch (event.name) {
    case "push":
      return matchPush(filters, ev);
    case "pull_request":
      return matchPullRequest(event.name, filters, ev);
    // pull_request_target has pull_request's filters; without PR fields it is just "listed".
    case "pull_request_target":
      if (typeof ev.baseRef === "string") return matchPullRequest(event.name, filters, ev);
      return { kind: "match", inputs: {} };
    case "workflow_dispatch":
      return matchDispatch(config, ev);
    case "schedule":
      return matchSchedule(config, ev);
    default:
      // Other events rarely carry filters we can evaluate; honour `types` when an action is known.
      if (typeof ev.action === "string" && filters.types?.length) {
        if (!filters.types.includes(ev.action)) {
          return skip(
            `'${event.name}' action '${ev.action}' is not in types (${filters.types.join(", ")})`,
          );
        }
      }
      return { kind: "match", inputs: {} };
  }
}

function matchPush(f: BranchFilters, ev: Record<string, unknown>): TriggerMatch {
  if (typeof ev.ref !== "string") return { kind: "error", errors: ["push event has no ref"] };
  const compiled = compileFilters("push", f);
  if (!compiled.ok) return { kind: "error", errors: compiled.errors };
  const c = compiled.lists;
  const hasBranchFilters = c.branches !== null || c["branches-ignore"] !== null;
  const hasTagFilters = c.tags !== null || c["tags-ignore"] !== null;
  const ref = parseRef(ev.ref);

  if (hasBranchFilters || hasTagFilters) {
    if (ref.kind === "other") return skip(`ref '${ev.ref}' is neither a branch nor a tag`);
    // Defining filters for only one ref kind means the other kind never triggers.
    if (ref.kind === "branch" && !hasBranchFilters) {
      return skip(`branch push, but on.push filters only tags`);
    }
    if (ref.kind === "tag" && !hasTagFilters)
      return skip(`tag push, but on.push filters only branches`);
    const [include, ignore] =
      ref.kind === "branch"
        ? (["branches", "branches-ignore"] as const)
        : (["tags", "tags-ignore"] as const);
    const refSkip = refFilterSkip(ref.kind, ref.name, include, c[include], ignore, c[ignore]);
    if (refSkip) return refSkip;
  }

  // GitHub does not evaluate path filters for tag pushes.
  if (ref.kind === "tag") return { kind: "match", inputs: {} };
  return pathFilterSkip(c, asChangedFiles(ev.changedFiles)) ?? { kind: "match", inputs: {} };
}

function matchPullRequest(
  name: string,
  f: BranchFilters,
  ev: Record<string, unknown>,
): TriggerMatch {
  if (typeof ev.action !== "string" || typeof ev.baseRef !== "string") {
    return { kind: "error", errors: [`${name} event needs an action and a baseRef`] };
  }
  const types = f.types?.length ? f.types : DEFAULT_PR_TYPES;
  if (!types.includes(ev.action)) {
    return skip(`${name} action '${ev.action}' is not in types (${types.join(", ")})`);
  }
  const compiled = compileFilters(name, f);
  if (!compiled.ok) return { kind: "error", errors: compiled.errors };
  const c = compiled.lists;
  const base = ev.baseRef.startsWith("refs/heads/") ? ev.baseRef.slice(11) : ev.baseRef;
  const refSkip = refFilterSkip(
    "base branch",
    base,
    "branches",
    c.branches,
    "branches-ignore",
    c["branches-ignore"],
  );
  if (refSkip) return refSkip;
  return pathFilterSkip(c, asChangedFiles(ev.changedFiles)) ?? { kind: "match", inputs: {} };
}

function matchSchedule(config: unknown, ev: Record<string, unknown>): TriggerMatch {
  const entries = Array.isArray(config)
    ? config.flatMap((e) => (typeof e?.cron === "string" ? [normalizeCron(e.cron)] : []))
    : [];
  if (entries.length === 0) return skip("the workflow has no schedule entries");
  if (typeof ev.cron === "string" && !entries.includes(normalizeCron(ev.cron))) {
    return skip(`the workflow has no schedule entry for cron '${ev.cron}'`);
  }
  return { kind: "match", inputs: {} };
}

function normalizeCron(cron: string): string {
  return cron.trim().split(/\s+/).join(" ");
}

// ---- workflow_dispatch inputs ----

function matchDispatch(config: unknown, ev: Record<string, unknown>): TriggerMatch {
  const declared = asRecord(asRecord(config).inputs) as Record<string, DispatchInput>;
  const given = asRecord(ev.inputs);
  const inputs: Record<string, InputValue> = {};
  const errors: string[] = [];

  for (const [name, def] of Object.entries(declared)) {
    const raw = given[name];
    if (raw !== undefined) {
      const v = coerceInput(name, def, String(raw));
      if (v.ok) inputs[name] = v.value;
      else errors.push(v.error);
      continue;
    }
    if (def.default !== undefined && def.default !== null) {
      // Defaults are typed like values, so a `"3"` default of a number input becomes 3.
      const v = coerceDefault(name, def, def.default);
      if (v.ok) inputs[name] = v.value;
      else errors.push(v.error);
      continue;
    }
    if (def.required === true) {
      errors.push(`Input '${name}' is required`);
      continue;
    }
    // GitHub's values for an omitted input without a default.
    inputs[name] = inputType(def) === "boolean" ? false : "";
  }
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) errors.push(`Unexpected input '${name}'`);
  }
  return errors.length > 0 ? { kind: "error", errors } : { kind: "match", inputs };
}

type Coerced = { ok: true; value: InputValue } | { ok: false; error: string };

function inputType(def: DispatchInput): DispatchInput["type"] {
  return def.type ?? "string";
}

function coerceInput(name: string, def: DispatchInput, raw: string): Coerced {
  switch (inputType(def)) {
    case "boolean":
      // Strict like GitHub's API: only the two literal spellings.
      if (raw === "true") return { ok: true, value: true };
      if (raw === "false") return { ok: true, value: false };
      return {
        ok: false,
        error: `Input '${name}' must be a boolean ('true' or 'false'), got '${raw}'`,
      };
    case "number": {
      const n = parseNumber(raw);
      if (n === null) return { ok: false, error: `Input '${name}' must be a number, got '${raw}'` };
      return { ok: true, value: n };
    }
    case "choice": {
      const options = def.options ?? [];
      if (!options.includes(raw)) {
        const list = options.map((o) => `'${o}'`).join(", ");
        return { ok: false, error: `Input '${name}' must be one of ${list}, got '${raw}'` };
      }
      return { ok: true, value: raw };
    }
    default:
      return { ok: true, value: raw };
  }
}

function coerceDefault(
  name: string,
  def: DispatchInput,
  value: string | boolean | number,
): Coerced {
  const type = inputType(def);
  if (type === "boolean" && typeof value === "boolean") return { ok: true, value };
  if (type === "number" && typeof value === "number") return { ok: true, value };
  // A choice default outside the options is the author's call; GitHub's UI shows it anyway.
  if (type === "choice") return { ok: true, value: String(value) };
  const v = coerceInput(name, def, String(value));
  return v.ok ? v : { ok: false, error: `Default of input '${name}': ${v.error}` };
}

/** Decimal numbers only: `Number()` alone would also accept "", "0x1f" and "Infinity". */
function parseNumber(raw: string): number | null {
  const s = raw.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

// ---- ref and path filters ----

type FilterKey = "branches" | "branches-ignore" | "tags" | "tags-ignore" | "paths" | "paths-ignore";
const FILTER_KEYS: FilterKey[] = [
  "branches",
  "branches-ignore",
  "tags",
  "tags-ignore",
  "paths",
  "paths-ignore",
];

/** A compiled filter list; null = the filter is absent (an empty list counts as absent, as in act). */
type Lists = Record<FilterKey, Pattern[] | null>;

function compileFilters(
  event: string,
  f: BranchFilters,
): { ok: true; lists: Lists } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const lists = {} as Lists;
  for (const key of FILTER_KEYS) {
    const raw = f[key];
    if (!Array.isArray(raw) || raw.length === 0) {
      lists[key] = null;
      continue;
    }
    const compiled: Pattern[] = [];
    for (const p of raw) {
      const r = compileFilterPattern(String(p));
      if (r.ok) compiled.push(r.pattern);
      else errors.push(`on.${event}.${key}: ${r.error}`);
    }
    lists[key] = compiled;
  }
  for (const base of ["branches", "tags", "paths"] as const) {
    if (lists[base] && lists[`${base}-ignore`]) {
      errors.push(`on.${event}: '${base}' and '${base}-ignore' cannot be used together`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lists };
}

function refFilterSkip(
  what: string,
  name: string,
  includeKey: string,
  include: Pattern[] | null,
  ignoreKey: string,
  ignore: Pattern[] | null,
): TriggerMatch | null {
  if (include && !selectedBy(include, name))
    return skip(`${what} '${name}' does not match ${includeKey}`);
  if (ignore && selectedBy(ignore, name)) return skip(`${what} '${name}' matches ${ignoreKey}`);
  return null;
}

function pathFilterSkip(c: Lists, files: string[] | null): TriggerMatch | null {
  // Unknown changes (e.g. no base to diff against) cannot rule a run out.
  if (files === null) return null;
  const paths = c.paths;
  if (paths && !files.some((f) => selectedBy(paths, f)))
    return skip("no changed file matches paths");
  const ignore = c["paths-ignore"];
  if (ignore && files.every((f) => selectedBy(ignore, f))) {
    return skip("every changed file matches paths-ignore");
  }
  return null;
}

function parseRef(ref: string): { kind: "branch" | "tag" | "other"; name: string } {
  if (ref.startsWith("refs/heads/")) return { kind: "branch", name: ref.slice(11) };
  if (ref.startsWith("refs/tags/")) return { kind: "tag", name: ref.slice(10) };
  // A bare name (as typed locally) is taken as a branch.
  if (!ref.startsWith("refs/")) return { kind: "branch", name: ref };
  return { kind: "other", name: ref };
}

// ---- Actions filter patterns ----

interface Pattern {
  negated: boolean;
  regex: RegExp;
}

/**
 * The last pattern that matches decides: a positive one selects, a `!` one deselects.
 * Used for include lists and, symmetrically, for `-ignore` lists (selected = ignored).
 */
function selectedBy(patterns: Pattern[], value: string): boolean {
  let selected = false;
  for (const p of patterns) if (p.regex.test(value)) selected = !p.negated;
  return selected;
}

/**
 * Compiles one Actions filter pattern (`!` at the start negates). Hand-written instead of
 * picomatch because Actions' `?` ("zero or one of the preceding character") and `+` ("one
 * or more of the preceding character") are regex quantifiers, not glob wildcards.
 * Syntax: `*` any run without `/`; `**` any run; `**` then `/` zero or more directories;
 * `[a-z0-9]` alphanumeric sets and ranges; `\x` a literal x; `?`/`+` at the start are literals.
 */
function compileFilterPattern(
  raw: string,
): { ok: true; pattern: Pattern } | { ok: false; error: string } {
  const negated = raw.startsWith("!");
  const r = filterPatternToRegExp(negated ? raw.slice(1) : raw);
  return r.ok ? { ok: true, pattern: { negated, regex: r.regex } } : r;
}

type Quantifier = "" | "?" | "+" | "*";
interface Atom {
  source: string;
  /** Wildcards already match any repetition, so a following `?`/`+` changes nothing. */
  wildcard: boolean;
  quantifier: Quantifier;
}

export function filterPatternToRegExp(
  pattern: string,
): { ok: true; regex: RegExp } | { ok: false; error: string } {
  const chars = Array.from(pattern);
  const atoms: Atom[] = [];
  const fail = (msg: string) => ({
    ok: false as const,
    error: `Invalid pattern '${pattern}': ${msg}`,
  });
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        if (chars[i + 2] === "/") {
          atoms.push({ source: "(?:.+/)?", wildcard: true, quantifier: "" });
          i += 3;
        } else {
          atoms.push({ source: ".*", wildcard: true, quantifier: "" });
          i += 2;
        }
      } else {
        atoms.push({ source: "[^/]*", wildcard: true, quantifier: "" });
        i += 1;
      }
    } else if ((ch === "?" || ch === "+") && atoms.length > 0) {
      const prev = atoms[atoms.length - 1]!;
      if (!prev.wildcard) prev.quantifier = combine(prev.quantifier, ch);
      i += 1;
    } else if (ch === "[") {
      const end = chars.indexOf("]", i + 1);
      if (end === -1) return fail("missing closing bracket ']' after '['");
      const set = parseSet(chars.slice(i + 1, end));
      if (!set.ok) return fail(set.error);
      atoms.push({ source: set.source, wildcard: false, quantifier: "" });
      i = end + 1;
    } else if (ch === "\\") {
      const next = chars[i + 1];
      if (next === undefined) return fail("missing symbol after '\\'");
      atoms.push({ source: escapeRegExp(next), wildcard: false, quantifier: "" });
      i += 2;
    } else {
      atoms.push({ source: escapeRegExp(ch), wildcard: false, quantifier: "" });
      i += 1;
    }
  }
  const body = atoms.map((a) => a.source + a.quantifier).join("");
  return { ok: true, regex: new RegExp(`^${body}$`, "u") };
}

/** `a??` = `a?`, `a++` = `a+`, and any mix of the two = `a*`. */
function combine(q: Quantifier, next: "?" | "+"): Quantifier {
  if (q === "") return next;
  return q === next ? q : "*";
}

function parseSet(body: string[]): { ok: true; source: string } | { ok: false; error: string } {
  if (body.length === 0) return { ok: false, error: "unexpected empty brackets '[]'" };
  let source = "";
  for (let j = 0; j < body.length; j++) {
    const c = body[j]!;
    if (body[j + 1] === "-" && j + 2 < body.length) {
      const hi = body[j + 2]!;
      const digits = isDigit(c) && isDigit(hi);
      const letters = isLetter(c) && isLetter(hi);
      if (!(digits || letters) || c > hi) {
        return {
          ok: false,
          error: `invalid range '${c}-${hi}': ranges can only include a-z, A-Z and 0-9`,
        };
      }
      source += `${c}-${hi}`;
      j += 2;
    } else if (isDigit(c) || isLetter(c)) {
      source += c;
    } else {
      return { ok: false, error: `'${c}' in brackets: sets can only include a-z, A-Z and 0-9` };
    }
  }
  return { ok: true, source: `[${source}]` };
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
function isLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}
function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
}

// ---- helpers ----

function skip(reason: string): TriggerMatch {
  return { kind: "skip", reason };
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

function asFilters(v: unknown): BranchFilters {
  return asRecord(v) as BranchFilters;
}

function asChangedFiles(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map(String) : null;
}
