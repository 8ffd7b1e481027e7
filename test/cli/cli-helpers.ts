import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiJob } from "../../src/cli/api-client.ts";
import { type CliResult, EQUINOX, ROOT } from "../helpers.ts";
import {
  type ApiRun,
  git,
  pushUrl,
  type TestServer,
  waitForRuns,
  workTree,
} from "../server/server-helpers.ts";

/** What a job's step prints when its last command exits 1. */
export const EXIT_1 = "##[error]Process completed with exit code 1.";

/**
 * Files a workflow step waits for, so a test decides when a real job moves on: while
 * the gate is shut the job is running and its log stream open.
 */
export class Gates {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Gates> {
    return new Gates(await mkdtemp(join(tmpdir(), "equinox-gates-")));
  }

  /** A shell command that returns once `open(name)` was called. */
  wait(name: string): string {
    return `while [ ! -e '${join(this.dir, name)}' ]; do sleep 0.05; done`;
  }

  open(name: string): Promise<void> {
    return writeFile(join(this.dir, name), "");
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Creates `repo` on the server and pushes `workflow` as `.forgejo/workflows/ci.yml` on
 * main; gives the run the push started and the work tree (for later pushes).
 */
export async function pushWorkflow(
  t: TestServer,
  repo: string,
  workflow: string,
): Promise<{ run: ApiRun; dir: string; sha: string }> {
  const made = await t.api("POST", "/repos", { name: repo });
  if (made.status !== 201) throw new Error(`creating ${repo}: ${made.status} ${made.text}`);
  const dir = await workTree({ ".forgejo/workflows/ci.yml": workflow });
  await git(dir, "push", "-q", pushUrl(t, repo), "main");
  const [run] = await waitForRuns(t, repo, (runs) => runs.length > 0);
  return { run: run!, dir, sha: await git(dir, "rev-parse", "HEAD") };
}

/** Polls the run until `predicate` holds for its jobs (in id order). */
export async function waitForJobs(
  t: TestServer,
  runId: number,
  predicate: (jobs: ApiJob[]) => boolean,
  timeoutMs = 20_000,
): Promise<ApiJob[]> {
  const deadline = Date.now() + timeoutMs;
  let jobs: ApiJob[] = [];
  while (Date.now() < deadline) {
    const res = await t.api<{ jobs: ApiJob[] }>("GET", `/runs/${runId}/jobs`);
    jobs = res.body.jobs ?? [];
    if (predicate(jobs)) return jobs;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for the jobs of run ${runId}: ${JSON.stringify(jobs)}`);
}

/** An http:// URL where nothing listens: a port that was free a moment ago. */
export async function deadServerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface RunningCli {
  /** Resolves once standard output contains `text`; fails (with the output so far) after a while. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/**
 * The built CLI as a user runs it (like runCli), watched while it runs, with `input`
 * on standard input (a pipe, not a terminal) when given.
 */
export function startCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [EQUINOX, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...opts.env },
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiting = new Set<() => void>();
  child.stdout!.on("data", (d) => {
    stdout += d;
    for (const check of waiting) check();
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  child.stdin?.end(opts.input);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      for (const check of waiting) check();
      resolve({ code, stdout, stderr });
    });
  });
  const printed = (text: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const give = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no ${JSON.stringify(text)} in ${JSON.stringify({ stdout, stderr })}`));
      }, timeoutMs);
      function check() {
        if (stdout.includes(text)) {
          clearTimeout(give);
          waiting.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(give);
          waiting.delete(check);
          reject(new Error(`exited before printing ${JSON.stringify(text)}: ${stdout}${stderr}`));
        }
      }
      waiting.add(check);
      check();
    });
  return { printed, done };
}
