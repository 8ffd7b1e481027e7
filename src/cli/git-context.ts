import { execFile } from "node:child_process";
import { realpath } from "node:fs/promises";
import { basename } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface GitState {
  /** DIR is the top level of a git work tree (not just somewhere inside one). */
  isRepo: boolean;
  sha: string;
  /** `refs/heads/<branch>`, or the sha when HEAD is detached. */
  ref: string;
  branch: string | null;
  repository: string;
  serverUrl: string;
  actor: string;
  dirty: boolean;
}

async function git(dir: string, args: string[]): Promise<string | null> {
  try {
    return (await exec("git", ["-C", dir, ...args])).stdout.trim();
  } catch {
    return null;
  }
}

/** Reads what the `github` context needs from a checkout's git state. */
export async function readGitState(dir: string): Promise<GitState> {
  const [top, sha, branch, origin, actor, status] = await Promise.all([
    git(dir, ["rev-parse", "--show-toplevel"]),
    git(dir, ["rev-parse", "HEAD"]),
    git(dir, ["symbolic-ref", "--short", "-q", "HEAD"]),
    git(dir, ["remote", "get-url", "origin"]),
    git(dir, ["config", "user.name"]),
    git(dir, ["status", "--porcelain", "--untracked-files=normal"]),
  ]);
  const remote = origin ? parseRemote(origin) : null;
  return {
    isRepo: sha !== null && top !== null && (await realpath(top)) === (await realpath(dir)),
    sha: sha ?? "0".repeat(40),
    ref: branch ? `refs/heads/${branch}` : (sha ?? ""),
    branch: branch || null,
    repository: remote?.repository ?? basename(dir),
    serverUrl: remote?.serverUrl ?? "",
    actor: actor || process.env.USER || "equinox",
    dirty: (status ?? "") !== "",
  };
}

/** `git@host:owner/repo.git`, `https://host/owner/repo(.git)` → owner/repo and the server URL. */
export function parseRemote(url: string): { repository: string; serverUrl: string } | null {
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp && !url.includes("://")) return { repository: scp[2]!, serverUrl: `https://${scp[1]}` };
  try {
    const u = new URL(url);
    const path = u.pathname
      .replace(/^\/+/, "")
      .replace(/\.git\/?$/, "")
      .replace(/\/+$/, "");
    if (!path) return null;
    const scheme = u.protocol === "http:" ? "http:" : "https:";
    return { repository: path, serverUrl: u.protocol === "file:" ? "" : `${scheme}//${u.host}` };
  } catch {
    return null;
  }
}

/**
 * Files changed between two commits, for `paths` filters; null when unknown (a new
 * branch's all-zero `before`, or commits this checkout doesn't have).
 */
export async function changedFiles(
  dir: string,
  before: unknown,
  after: unknown,
): Promise<string[] | null> {
  if (typeof before !== "string" || typeof after !== "string" || /^0+$/.test(before)) return null;
  const out = await git(dir, ["diff", "--name-only", "-z", before, after]);
  return out === null ? null : out.split("\0").filter(Boolean);
}
