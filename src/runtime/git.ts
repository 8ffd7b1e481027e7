import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Runs the system git in `cwd`; rejects with git's stderr on failure. */
export function git(cwd: string, args: string[]) {
  return exec("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 });
}
