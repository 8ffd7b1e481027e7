import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Result } from "../core/events.ts";
import { UsageError } from "./usage-error.ts";

/**
 * A client for a running `equinox serve`'s JSON API (docs/api.md). Every call returns
 * its failure as a value: `status` is the HTTP status, or 0 when the server could not
 * be reached at all (the message then names the URL and suggests `equinox serve`).
 */

export type ApiResult<T> = { ok: true; value: T } | { ok: false; status: number; error: string };

export type RunStatus = "queued" | "running" | "completed";
export type TokenScope = "read" | "write" | "admin";

/** RUN in docs/api.md. */
export interface ApiRun {
  id: number;
  number: number;
  repo: string;
  workflow: string;
  workflow_name: string;
  event: string;
  ref: string;
  sha: string;
  actor: string;
  status: RunStatus;
  result: Result | null;
  reason: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  superseded_by: number | null;
  rerun_of: number | null;
  error: string | null;
  url: string;
}

/** JOB in docs/api.md. */
export interface ApiJob {
  id: number;
  key: string;
  job_id: string;
  name: string;
  matrix: Record<string, unknown> | null;
  status: RunStatus;
  result: Result | null;
  reason: string | null;
  started_at: string | null;
  finished_at: string | null;
  outputs: Record<string, string>;
  log_lines: number;
  steps: {
    number: number;
    name: string;
    status: RunStatus;
    result: Result | null;
    started_at: string | null;
    finished_at: string | null;
  }[];
}

export interface ApiRepo {
  name: string;
  clone_url: string;
  created_at: string;
  last_run: ApiRun | null;
}

export interface ApiSecret {
  name: string;
  updated_at: string;
}

export interface ApiToken {
  id: number;
  name: string;
  scope: TokenScope;
  created_at: string;
  last_used_at: string | null;
}

/** The `end` event of a log stream. */
export interface LogEnd {
  status: RunStatus;
  result: Result | null;
}

export interface FollowLogOptions {
  /** Only lines after this line number (1-based; 0, the default, sends the whole log). */
  after?: number;
  signal?: AbortSignal;
  /** Lines as they arrive; `from` is the number of `lines[0]`. Never repeats a line. */
  onLines(from: number, lines: string[]): void;
  onEnd?(status: RunStatus, result: Result | null): void;
  /** Reconnections in a row without an event in between before giving up (default 5). */
  retries?: number;
  /** The first pause before reconnecting, doubled each time (default 250 ms). */
  retryDelayMs?: number;
}

export interface ApiClientOptions {
  /** `http://host:port`, without `/api/v1`. */
  server: string;
  token: string;
}

export class ApiClient {
  readonly server: string;
  readonly #token: string;

  constructor(opts: ApiClientOptions) {
    this.server = opts.server.replace(/\/+$/, "");
    this.#token = opts.token;
  }

  async listRepos(): Promise<ApiResult<ApiRepo[]>> {
    return field<ApiRepo>(await this.#json("GET", "/repos"), "repos");
  }

  createRepo(name: string): Promise<ApiResult<{ name: string; clone_url: string }>> {
    return this.#json("POST", "/repos", { name });
  }

  deleteRepo(name: string): Promise<ApiResult<void>> {
    return this.#json("DELETE", `/repos/${repoPath(name)}`);
  }

  async listRuns(
    repo: string,
    page: { limit?: number; before?: number } = {},
  ): Promise<ApiResult<ApiRun[]>> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set("limit", String(page.limit));
    if (page.before !== undefined) query.set("before", String(page.before));
    const q = query.size > 0 ? `?${query}` : "";
    return field<ApiRun>(await this.#json("GET", `/repos/${repoPath(repo)}/runs${q}`), "runs");
  }

  getRun(id: number): Promise<ApiResult<ApiRun & { jobs: ApiJob[] }>> {
    return this.#json("GET", `/runs/${id}`);
  }

  async listJobs(runId: number): Promise<ApiResult<ApiJob[]>> {
    return field<ApiJob>(await this.#json("GET", `/runs/${runId}/jobs`), "jobs");
  }

  /** The job's whole (masked) log as text. */
  async getLog(runId: number, jobId: number): Promise<ApiResult<string>> {
    const res = await this.#fetch("GET", logPath(runId, jobId), { accept: "text/plain" });
    if (!res.ok) return res;
    if (!res.value.ok) return failure(res.value);
    return { ok: true, value: await res.value.text() };
  }

  /** Global secrets, or one repository's. */
  async listSecrets(repo?: string): Promise<ApiResult<ApiSecret[]>> {
    return field<ApiSecret>(await this.#json("GET", secretsPath(repo)), "secrets");
  }

  setSecret(name: string, value: string, repo?: string): Promise<ApiResult<void>> {
    return this.#json("PUT", `${secretsPath(repo)}/${encodeURIComponent(name)}`, { value });
  }

  deleteSecret(name: string, repo?: string): Promise<ApiResult<void>> {
    return this.#json("DELETE", `${secretsPath(repo)}/${encodeURIComponent(name)}`);
  }

  async listTokens(): Promise<ApiResult<ApiToken[]>> {
    return field<ApiToken>(await this.#json("GET", "/tokens"), "tokens");
  }

  createToken(
    name: string,
    scope: TokenScope,
  ): Promise<ApiResult<{ id: number; name: string; scope: TokenScope; token: string }>> {
    return this.#json("POST", "/tokens", { name, scope });
  }

  deleteToken(id: number): Promise<ApiResult<void>> {
    return this.#json("DELETE", `/tokens/${id}`);
  }

  /**
   * Streams a job's log (server-sent events) until its `end` event. A connection that
   * drops before `end` is resumed with `Last-Event-ID`, so no line is lost or repeated;
   * after `retries` failed reconnections in a row the stream gives up with the last error.
   * An HTTP error other than 5xx ends it at once (a 404 will not go away by retrying).
   */
  async followLog(
    runId: number,
    jobId: number,
    opts: FollowLogOptions,
  ): Promise<ApiResult<LogEnd>> {
    const maxRetries = opts.retries ?? 5;
    const firstDelay = opts.retryDelayMs ?? 250;
    let delay = firstDelay;
    let last = opts.after ?? 0;
    let failures = 0;
    for (;;) {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (last > 0) headers["last-event-id"] = String(last);
      const res = await this.#fetch("GET", logPath(runId, jobId), headers, undefined, opts.signal);
      let problem: { status: number; error: string };
      if (!res.ok) {
        problem = res;
      } else if (!res.value.ok) {
        problem = await failure(res.value);
        if (problem.status < 500) return { ok: false, ...problem };
      } else if (!(res.value.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        await res.value.body?.cancel();
        return {
          ok: false,
          status: res.value.status,
          error: `expected an event stream from ${res.value.url}, got ${res.value.headers.get("content-type") ?? "no content type"}`,
        };
      } else {
        const outcome = await readLogStream(res.value, last, opts, () => {
          failures = 0;
          delay = firstDelay;
        });
        if (outcome.kind === "end") {
          opts.onEnd?.(outcome.end.status, outcome.end.result);
          return { ok: true, value: outcome.end };
        }
        if (outcome.kind === "bad")
          return { ok: false, status: res.value.status, error: outcome.error };
        last = outcome.last;
        if (outcome.retryMs !== null) delay = Math.min(outcome.retryMs, 10_000);
        problem = {
          status: 0,
          error: `the log stream of job ${jobId} (run ${runId}) from ${this.server} broke off: ${outcome.error}`,
        };
      }
      if (opts.signal?.aborted) return { ok: false, status: 0, error: "aborted" };
      if (++failures > maxRetries) return { ok: false, ...problem };
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.#fetch(
      method,
      path,
      headers,
      body === undefined ? undefined : JSON.stringify(body),
    );
    if (!res.ok) return res;
    const r = res.value;
    if (!r.ok) return failure(r);
    if (r.status === 204) return { ok: true, value: undefined as T };
    const text = await r.text();
    try {
      return { ok: true, value: JSON.parse(text) as T };
    } catch {
      return {
        ok: false,
        status: r.status,
        error: `${method} ${r.url} answered with something other than JSON: ${text.slice(0, 100)}`,
      };
    }
  }

  async #fetch(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
    signal?: AbortSignal,
  ): Promise<ApiResult<Response>> {
    const url = `${this.server}/api/v1${path}`;
    try {
      const res = await fetch(url, {
        method,
        headers: { ...headers, authorization: `Bearer ${this.#token}` },
        body,
        signal,
        redirect: "manual",
      });
      return { ok: true, value: res };
    } catch (err) {
      if (signal?.aborted) return { ok: false, status: 0, error: "aborted" };
      return { ok: false, status: 0, error: unreachable(this.server, err) };
    }
  }
}

function unreachable(server: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return `cannot reach the Equinox server at ${server} (${why}); is \`equinox serve\` running? Point elsewhere with --server or EQUINOX_SERVER`;
}

async function failure(res: Response): Promise<{ ok: false; status: number; error: string }> {
  const text = await res.text().catch(() => "");
  let error = `${res.status} ${res.statusText}`.trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") error = parsed.error;
  } catch {
    if (text.trim()) error = text.trim().slice(0, 200);
  }
  return { ok: false, status: res.status, error };
}

/** Unwraps `{"repos": [...]}` and the like, and says so when the answer has no such list. */
function field<T>(res: ApiResult<unknown>, key: string): ApiResult<T[]> {
  if (!res.ok) return res;
  const list = (res.value as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list))
    return { ok: false, status: 200, error: `the server's answer has no "${key}" list` };
  return { ok: true, value: list as T[] };
}

/** A repository name (`name` or `group/name`) goes into paths as it is, segment by segment. */
function repoPath(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}

function secretsPath(repo: string | undefined): string {
  return repo === undefined ? "/secrets" : `/repos/${repoPath(repo)}/secrets`;
}

function logPath(runId: number, jobId: number): string {
  return `/runs/${runId}/jobs/${jobId}/log`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

type StreamOutcome =
  | { kind: "end"; end: LogEnd }
  | { kind: "dropped"; last: number; retryMs: number | null; error: string }
  | { kind: "bad"; error: string };

/** Reads one connection's events; `last` is the line number already delivered. */
async function readLogStream(
  res: Response,
  after: number,
  opts: FollowLogOptions,
  onProgress: () => void,
): Promise<StreamOutcome> {
  let last = after;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  const handle = (event: SseEvent): StreamOutcome | null => {
    onProgress();
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return {
        kind: "bad",
        error: `a '${event.event}' event whose data is not JSON: ${event.data.slice(0, 100)}`,
      };
    }
    if (event.event === "end") {
      const end = data as LogEnd;
      return { kind: "end", end: { status: end.status, result: end.result ?? null } };
    }
    if (event.event === "log") {
      const { from, lines } = data as { from?: unknown; lines?: unknown };
      if (typeof from !== "number" || !Array.isArray(lines))
        return {
          kind: "bad",
          error: `a 'log' event without "from" and "lines": ${event.data.slice(0, 100)}`,
        };
      // Lines at or before `last` were delivered already (a server may resend them after a reconnection).
      const fresh = lines.slice(Math.max(0, last + 1 - from)).map(String);
      if (fresh.length > 0) opts.onLines(Math.max(from, last + 1), fresh);
      last = Math.max(last, from + lines.length - 1);
    }
    // Other event types are for newer clients.
    return null;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const events = done
        ? parser.end(decoder.decode())
        : parser.push(decoder.decode(value, { stream: true }));
      for (const event of events) {
        const outcome = handle(event);
        if (outcome) return outcome;
      }
      if (done)
        return {
          kind: "dropped",
          last,
          retryMs: parser.retry,
          error: "the connection closed before the end event",
        };
    }
  } catch (err) {
    return { kind: "dropped", last, retryMs: parser.retry, error: (err as Error).message };
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** One dispatched server-sent event. */
export interface SseEvent {
  /** `message` when the event named none. */
  event: string;
  data: string;
  /** The last event id seen on this stream so far (it carries over, as in browsers). */
  id: string;
}

/**
 * The `text/event-stream` format (WHATWG HTML, "Server-sent events"), fed text in
 * arbitrary chunks: lines end in CRLF, LF or CR; `:` lines are comments; `data` lines
 * join with newlines; a blank line dispatches; an unterminated last event is dropped.
 */
export class SseParser {
  /** The last `retry` field: the server's wish for the reconnection delay, in ms. */
  retry: number | null = null;
  #buffer = "";
  #pendingCr = false;
  #event = "";
  #data: string[] | null = null;
  #id = "";

  push(chunk: string): SseEvent[] {
    if (chunk === "") return [];
    // A CR that ended the last chunk may be the first half of a CRLF.
    const text = this.#pendingCr && chunk.startsWith("\n") ? chunk.slice(1) : chunk;
    this.#pendingCr = false;
    const out: SseEvent[] = [];
    const all = this.#buffer + text;
    let start = 0;
    for (let i = this.#buffer.length; i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(all.slice(start, i), out);
      if (c === 13) {
        if (i + 1 === all.length) this.#pendingCr = true;
        else if (all.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.#buffer = all.slice(start);
    return out;
  }

  /** The stream ended: an event without its blank line is not dispatched. */
  end(chunk = ""): SseEvent[] {
    const out = this.push(chunk);
    this.#buffer = "";
    this.#pendingCr = false;
    this.#data = null;
    this.#event = "";
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.#data !== null)
        out.push({ event: this.#event || "message", data: this.#data.join("\n"), id: this.#id });
      this.#event = "";
      this.#data = null;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") this.#event = value;
    else if (name === "data") this.#data = [...(this.#data ?? []), value];
    else if (name === "id" && !value.includes("\0")) this.#id = value;
    else if (name === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

// --- Connection options shared by the commands that talk to a server -------------------

/** parseArgs options every API command takes. */
export const CONNECTION_OPTIONS = {
  server: { type: "string" },
  token: { type: "string" },
  data: { type: "string" },
} as const;

export const CONNECTION_USAGE = `Connection:
      --server URL       the server (default: EQUINOX_SERVER, else the url in
                         DATA/server.json, else http://127.0.0.1:8080)
      --token TOKEN      an API token (default: EQUINOX_TOKEN)
      --data DIR         the server's data directory, to find server.json (default: ./.equinox)
`;

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

export interface Connection {
  server: string;
  token: string;
}

/**
 * The server and token a command talks to: flags, then the environment, then the
 * `server.json` that `equinox serve` writes into its data directory at start.
 */
export function resolveConnection(
  values: { server?: string; token?: string; data?: string },
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const token = values.token ?? (env.EQUINOX_TOKEN || undefined);
  if (!token)
    throw new UsageError(
      "no API token: pass --token or set EQUINOX_TOKEN (the admin token was printed at the server's first start)",
    );
  return { server: resolveServer(values, env), token };
}

function resolveServer(values: { server?: string; data?: string }, env: NodeJS.ProcessEnv): string {
  if (values.server !== undefined) return checkUrl(values.server, "--server");
  if (env.EQUINOX_SERVER) return checkUrl(env.EQUINOX_SERVER, "EQUINOX_SERVER");
  const file = join(values.data ?? ".equinox", "server.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && values.data === undefined)
      return DEFAULT_SERVER;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch (err) {
    throw new UsageError(`${file}: not JSON: ${(err as Error).message}`);
  }
  if (typeof url !== "string") throw new UsageError(`${file}: no "url" string`);
  return checkUrl(url, file);
}

function checkUrl(url: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${from}: '${url}' is not a URL (expected e.g. ${DEFAULT_SERVER})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new UsageError(`${from}: '${url}' is not an http(s) URL`);
  return url.replace(/\/+$/, "");
}

/** Prints an API failure the way every command does, and gives the exit code (1). */
export function reportFailure(res: { status: number; error: string }): number {
  const where = res.status === 0 ? "" : ` (HTTP ${res.status})`;
  process.stderr.write(`equinox: ${res.error}${where}\n`);
  return 1;
}
