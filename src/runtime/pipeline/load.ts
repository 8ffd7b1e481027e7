import { readFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, extname, resolve } from "node:path";
import { compileFunction } from "node:vm";

/** One `job()` call as written, before validation. */
export interface JobCall {
  id: unknown;
  inputs: unknown;
  fn: unknown;
  options: unknown;
  /** Where the call is: the file it was made in (absolute) and its 1-based position. */
  file: string;
  line: number;
  col: number;
}

export type LoadResult =
  | { ok: true; calls: JobCall[] }
  | { ok: false; file: string; line?: number; col?: number; message: string };

/** The module a pipeline imports its API from; provided by the runtime, never installed. */
export const API_MODULE = "equinox/pipeline";

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".cjs"];
const builtins = new Set(builtinModules);

/**
 * Evaluates a pipeline file and collects its `job()` calls. TypeScript types are stripped by
 * sucrase (line numbers kept, so stack traces point at the user's lines); imports become
 * `require` calls that this loader answers itself: the API, Node builtins and relative
 * files. Nothing else resolves, because the user's repo has no `npm install`.
 */
export async function loadPipeline(
  file: string,
  makeApi: (job: JobFn) => object,
  console: Pick<Console, "log" | "info" | "warn" | "error" | "debug">,
): Promise<LoadResult> {
  const { transform } = await loadTransform();
  const calls: JobCall[] = [];
  const loaded = new Map<string, { exports: unknown }>();
  const sources = new Map<string, string[]>();
  // The imports transform rewrites `job(` as `(0, _pipeline.job)(`: lines are kept but
  // columns shift, so a call is located at its line's first non-blank character.
  const firstColumn = (f: string, line: number) => {
    const text = sources.get(f)?.[line - 1] ?? "";
    return text.length - text.trimStart().length + 1;
  };
  const job: JobFn = (id, inputs, fn, options) => {
    const site = callSite(new Error(), loaded);
    const where = site
      ? { ...site, col: firstColumn(site.file, site.line) }
      : { file, line: 0, col: 0 };
    calls.push({ id, inputs, fn, options, ...where });
  };
  const api = makeApi(job);
  const realRequire = createRequire(file);

  const load = (path: string): unknown => {
    const cached = loaded.get(path);
    if (cached) return cached.exports;
    const source = readFileSync(path, "utf8");
    sources.set(path, source.split("\n"));
    const ts = /\.[cm]?ts$/.test(path);
    let code: string;
    try {
      code = transform(source, {
        transforms: ts ? ["typescript", "imports"] : ["imports"],
        filePath: path,
        production: true,
      }).code;
    } catch (err) {
      throw Object.assign(err as Error, { file: path });
    }
    const module = { exports: {} as unknown };
    loaded.set(path, module);
    // `console` is shadowed: the runtime's stdout is the event stream, so it goes to the log.
    const fn = compileFunction(
      code,
      ["exports", "require", "module", "__filename", "__dirname", "console"],
      { filename: path },
    );
    const requireFrom = (name: string): unknown => {
      if (name === API_MODULE) return api;
      if (name.startsWith("node:") || builtins.has(name)) return realRequire(name);
      if (name.startsWith("./") || name.startsWith("../")) return load(resolveRelative(path, name));
      throw new Error(
        `Cannot import '${name}': a pipeline may import only '${API_MODULE}', Node builtins and relative files (the runtime does not install packages)`,
      );
    };
    fn(module.exports, requireFrom, module, path, dirname(path), console);
    return module.exports;
  };

  try {
    load(file);
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number }; file?: string };
    // sucrase reports syntax errors with a location; runtime errors carry a stack.
    if (e.loc)
      return {
        ok: false,
        file: e.file ?? file,
        line: e.loc.line,
        col: e.loc.column + 1,
        message: e.message.replace(/^Error transforming \S+: /, "").replace(/\s*\(\d+:\d+\)$/, ""),
      };
    const site = callSite(e, loaded);
    return {
      ok: false,
      file: site?.file ?? file,
      ...(site ? { line: site.line, col: firstColumn(site.file, site.line) } : {}),
      message: e.message,
    };
  }
  return { ok: true, calls };
}

let transformModule: Promise<typeof import("sucrase")> | null = null;

/**
 * Loaded on first use, so jobs of other formats never pay for the TypeScript transform;
 * a pipeline job starts it early, to overlap the checkout.
 */
export function loadTransform(): Promise<typeof import("sucrase")> {
  transformModule ??= import("sucrase");
  return transformModule;
}

export type JobFn = (id: unknown, inputs: unknown, fn: unknown, options?: unknown) => void;

function resolveRelative(from: string, name: string): string {
  const base = resolve(dirname(from), name);
  const candidates = extname(base) ? [base] : [];
  // `./helper.js` may name a `helper.ts` (TypeScript's own convention).
  if (/\.[cm]?js$/.test(base)) candidates.push(base.replace(/js$/, "ts"));
  candidates.push(...EXTENSIONS.map((e) => base + e));
  for (const c of candidates) {
    try {
      readFileSync(c);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(`Cannot find module '${name}'`);
}

/** The first stack frame inside a pipeline file: where the user called or threw. */
export function callSite(
  err: Error,
  loaded: ReadonlyMap<string, unknown>,
): { file: string; line: number; col: number } | null {
  for (const line of (err.stack ?? "").split("\n").slice(1)) {
    const m = /\(?([^\s()]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (m && loaded.has(m[1]!)) return { file: m[1]!, line: Number(m[2]), col: Number(m[3]) };
  }
  return null;
}
