import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "vitest";

const exec = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const EQUINOX = join(ROOT, "bin", "equinox");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with a clean environment apart from PATH/HOME. */
export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Sees stderr as it arrives, e.g. to interrupt the run at a given moment. */
  onStderr?(chunk: string, child: ChildProcess): void;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [EQUINOX, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      opts.onStderr?.(String(d), child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface RepoFiles {
  [path: string]: string;
}

/** A throwaway git repository with the given files committed on branch `main`. */
export async function makeRepo(
  files: RepoFiles,
  opts: { copyFrom?: string; commit?: boolean } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "equinox-test-repo-"));
  if (opts.copyFrom) await cp(opts.copyFrom, dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  if (opts.commit !== false) {
    const git = (...args: string[]) => exec("git", args, { cwd: dir });
    await git("init", "-q", "-b", "main");
    await git("config", "user.name", "Equinox Test");
    await git("config", "user.email", "test@equinox.invalid");
    await git("remote", "add", "origin", "https://forge.example/acme/widget.git");
    await git("add", "-A");
    await git("commit", "-qm", "initial");
  }
  return dir;
}

export interface RunJson {
  result: string;
  jobs: {
    id: string;
    name: string;
    matrix: Record<string, unknown> | null;
    /** The job's `runs-on` / `runs_on` label(s), null for the default. */
    runsOn: unknown;
    result: string;
    outputs: Record<string, string>;
    steps: { id: string | null; name: string; outcome: string; conclusion: string }[];
    log: string;
  }[];
}

export function parseRunJson(stdout: string): RunJson {
  return JSON.parse(stdout) as RunJson;
}

/**
 * `describe` for tests that need an engine or tool this machine may lack: with a
 * `problem` they are skipped locally, saying why, and fail under CI=true (where
 * .ci/run provides everything).
 */
export function describeUnless(problem: string | null, name: string, fn: () => void): void {
  if (!problem) describe(name, fn);
  else if (process.env.CI === "true")
    describe(name, () => {
      it(`needs what is missing: ${problem}`, () => {
        throw new Error(problem);
      });
    });
  else
    describe(name, () => {
      it.skip(`skipped: ${problem}`, () => {});
    });
}
