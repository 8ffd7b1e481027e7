import { spawn } from "node:child_process";
import { basename } from "node:path";

/** The container CLI: `docker`, or `podman` through `EQUINOX_DOCKER=podman` (same commands). */
export function dockerCommand(): string {
  return process.env.EQUINOX_DOCKER || "docker";
}

/** Whether the CLI is Podman's, whose behaviour differs in places (health checks). */
export function isPodman(): boolean {
  return basename(dockerCommand()).startsWith("podman");
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `docker …` command to the end; never throws for a non-zero exit. */
export function docker(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = spawn(dockerCommand(), args, {
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.env ? { env: options.env } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.once("error", (err) => resolve({ code: 127, stdout, stderr: err.message }));
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Like `docker`, but a non-zero exit is an error naming the command and what it said. */
export async function dockerOk(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await docker(args, options);
  if (r.code !== 0) {
    const said = r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`;
    throw new Error(`${dockerCommand()} ${args.slice(0, 2).join(" ")}: ${said}`);
  }
  return r.stdout;
}
