import { chmod, lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Session } from "../executor.ts";

/**
 * A job's directory under an executor's root and the paths in it: workspace, temp
 * and files (made by the executor and the runtime), and the shared tool cache.
 */
export function jobDirectory(
  root: string,
  name: string,
  toolCache: string,
): { dir: string; paths: Session["paths"] } {
  const dir = join(root, name);
  return {
    dir,
    paths: {
      workspace: join(dir, "workspace"),
      temp: join(dir, "temp"),
      files: join(dir, "files"),
      toolCache,
    },
  };
}

/**
 * Removes a directory whatever a job left in it, or says why it could not: read-only
 * directories (a Go module cache) stop a plain recursive rm for anyone but root, so
 * this process opens the ones it owns and tries again. Never throws.
 */
export async function removeDirectory(dir: string): Promise<string | null> {
  const attempt = () =>
    rm(dir, { recursive: true, force: true }).then(
      () => null,
      (err: NodeJS.ErrnoException) => err,
    );
  const first = await attempt();
  if (!first || !["EACCES", "EPERM", "ENOTEMPTY"].includes(first.code ?? ""))
    return first?.message ?? null;
  const open = async (path: string): Promise<void> => {
    const st = await lstat(path).catch(() => null);
    if (!st?.isDirectory()) return;
    await chmod(path, 0o700).catch(() => {});
    for (const entry of await readdir(path).catch(() => [])) await open(join(path, entry));
  };
  await open(dir);
  return (await attempt())?.message ?? null;
}

/**
 * Removes the job directories under `root` that a killed process left (the ones
 * starting with a dot, like the sandbox's tool cache, are kept): only for a root
 * that no running job uses. Returns what could not be removed, with why.
 */
export async function removeStaleJobDirectories(root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const entry of await readdir(root).catch(() => [])) {
    if (entry.startsWith(".")) continue;
    const problem = await removeDirectory(join(root, entry));
    if (problem) problems.push(`${join(root, entry)}: ${problem}`);
  }
  return problems;
}
