import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { type RunningServer, type ServeOptions, startServer } from "../../src/server/serve.ts";
import { EQUINOX } from "../helpers.ts";

const exec = promisify(execFile);
export const ADMIN_TOKEN = "eqx_test_admin_token_0123456789abcdef";

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T; text: string }>;
  close(): Promise<void>;
}

/** A real server on a free port with its own data directory (kept when `dataDir` is given). */
export async function startTestServer(
  options: Partial<ServeOptions> & { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "equinox-serve-")));
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    maxConcurrency: 4,
    adminToken: ADMIN_TOKEN,
    equinoxBin: EQUINOX,
    spoolIntervalMs: 200,
    log: () => {},
    ...options,
    dataDir,
  });
  const api: TestServer["api"] = async (method, path, body, token = ADMIN_TOKEN) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined
        ? { body: typeof body === "string" ? body : JSON.stringify(body) }
        : {}),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed as never, text };
  };
  let closed = false;
  return {
    server,
    url: server.url,
    dataDir,
    api,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
    },
  };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  return stdout.trim();
}

/** A local clone-to-be with `files` committed on main. */
export async function workTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "equinox-push-"));
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "config", "user.name", "Pusher");
  await git(dir, "config", "user.email", "pusher@equinox.invalid");
  await commitFiles(dir, files, "initial");
  return dir;
}

export async function commitFiles(dir: string, files: Record<string, string>, message: string) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", message);
  return git(dir, "rev-parse", "HEAD");
}

export function pushUrl(t: TestServer, repo: string, token = ADMIN_TOKEN): string {
  const u = new URL(t.url);
  return `http://x:${token}@${u.host}/${repo}.git`;
}

export interface ApiRun {
  id: number;
  number: number;
  workflow: string;
  status: string;
  result: string | null;
  reason: string | null;
  error: string | null;
  superseded_by: number | null;
  jobs?: ApiJob[];
}
export interface ApiJob {
  id: number;
  name: string;
  status: string;
  result: string | null;
  steps: { name: string; status: string; result: string | null }[];
}

/** Polls until `predicate` holds for the repo's runs (newest first), or fails after `timeoutMs`. */
export async function waitForRuns(
  t: TestServer,
  repo: string,
  predicate: (runs: ApiRun[]) => boolean,
  timeoutMs = 30_000,
): Promise<ApiRun[]> {
  const deadline = Date.now() + timeoutMs;
  let runs: ApiRun[] = [];
  while (Date.now() < deadline) {
    runs = (await t.api<{ runs: ApiRun[] }>("GET", `/repos/${repo}/runs`)).body.runs ?? [];
    if (predicate(runs)) return runs;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for runs of ${repo}; last seen: ${JSON.stringify(runs, null, 1)}`,
  );
}

export async function getRun(t: TestServer, id: number): Promise<ApiRun> {
  return (await t.api<ApiRun>("GET", `/runs/${id}`)).body;
}

export async function jobLog(t: TestServer, runId: number, jobId: number): Promise<string> {
  return (await t.api("GET", `/runs/${runId}/jobs/${jobId}/log`)).text;
}

export async function removeDir(dir: string) {
  await rm(dir, { recursive: true, force: true });
}

export const ci = (steps: string, extra = "") => `on: [push]
${extra}jobs:
  build:
    runs-on: ubuntu-latest
    steps:
${steps}`;
