import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** For tests: git with no user or system config, a fixed identity, and no prompts. */
export const GIT_TEST_ENV: NodeJS.ProcessEnv = {
  ...withoutGitVars(process.env),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Ada Lovelace",
  GIT_AUTHOR_EMAIL: "ada@example.com",
  GIT_COMMITTER_NAME: "Ada Lovelace",
  GIT_COMMITTER_EMAIL: "ada@example.com",
};

/** Runs git in `cwd`; resolves with stdout and stderr, rejects with both on failure. */
export function runGit(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, env: { ...GIT_TEST_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(Object.assign(new Error(`git ${args.join(" ")}: ${stderr}`), { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Writes files (relative path → content) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** Stages everything in the work tree `dir` and commits; returns the new sha. */
export async function commitAll(dir: string, message: string): Promise<string> {
  await runGit(dir, ["add", "-A"]);
  await runGit(dir, ["commit", "-q", "-m", message]);
  return (await runGit(dir, ["rev-parse", "HEAD"])).stdout.trim();
}

function withoutGitVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("GIT_")));
}
