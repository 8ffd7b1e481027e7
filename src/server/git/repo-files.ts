import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { validateRepoName } from "./repo-name.ts";

export interface RepoFilesOptions {
  /** The CLI the post-receive hook runs (`bin/equinox`). Default: found from this module's location. */
  equinoxBin?: string;
  /** The node that runs it. Default: this process's. */
  node?: string;
}

export interface CommitInfo {
  author: { name: string; email: string };
  message: string;
}

export type CreateResult = { ok: true; path: string } | { ok: false; error: string };

const SHA = /^[0-9a-f]{40}$/;
const ZERO = /^0{40}$/;

/**
 * The bare repositories under `<dataDir>/repos`, one `<name>.git` each (`group/name`
 * nests one folder). Every method takes a repository name and refuses an invalid one
 * before it becomes a path; reads of a repository or commit that is not there answer
 * null rather than throwing, since names and shas come from requests.
 */
export class RepoFiles {
  readonly dataDir: string;
  readonly root: string;
  readonly #options: RepoFilesOptions;

  constructor(dataDir: string, options: RepoFilesOptions = {}) {
    this.dataDir = resolve(dataDir);
    this.root = join(this.dataDir, "repos");
    this.#options = options;
  }

  /** `<root>/<name>.git`; throws for an invalid name (validate request input first). */
  path(name: string): string {
    const valid = validateRepoName(name);
    if (!valid.ok) throw new Error(valid.error);
    return join(this.root, `${name}.git`);
  }

  async exists(name: string): Promise<boolean> {
    if (!validateRepoName(name).ok) return false;
    try {
      return (await stat(this.path(name))).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * A new empty bare repository (branch `main`, pushes over HTTP allowed, the hook
   * installed). Built under a temporary name and renamed into place, so a failure or
   * a concurrent create never leaves a half-made repository under the real name.
   */
  async create(name: string): Promise<CreateResult> {
    const valid = validateRepoName(name);
    if (!valid.ok) return valid;
    const path = this.path(name);
    if (await this.exists(name)) return { ok: false, error: `repository '${name}' already exists` };
    const parent = dirname(path);
    await mkdir(parent, { recursive: true });
    const temp = join(parent, `.creating-${randomUUID()}.git`);
    try {
      // No template: the machine's template hooks have no place in the server's repos.
      await git(null, ["init", "--quiet", "--bare", "--template=", "--initial-branch=main", temp]);
      await git(temp, ["config", "http.receivepack", "true"]);
      await this.#writeHook(temp);
      try {
        await rename(temp, path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOTEMPTY" || code === "EEXIST") {
          return { ok: false, error: `repository '${name}' already exists` };
        }
        throw err;
      }
      return { ok: true, path };
    } catch (err) {
      return { ok: false, error: `repository '${name}': ${(err as Error).message.trim()}` };
    } finally {
      await rm(temp, { recursive: true, force: true });
      if (parent !== this.root) await rmdir(parent).catch(() => {});
    }
  }

  /** Deletes the repository (and its group folder once empty); false if there was none. */
  async remove(name: string): Promise<boolean> {
    if (!(await this.exists(name))) return false;
    const path = this.path(name);
    await rm(path, { recursive: true, force: true });
    const parent = dirname(path);
    if (parent !== this.root) await rmdir(parent).catch(() => {});
    return true;
  }

  /** The repositories on disk, by name. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    for (const entry of await readDirs(this.root)) {
      if (entry.endsWith(".git")) names.push(entry.slice(0, -4));
      else {
        for (const inner of await readDirs(join(this.root, entry))) {
          if (inner.endsWith(".git")) names.push(`${entry}/${inner.slice(0, -4)}`);
        }
      }
    }
    return names.filter((n) => validateRepoName(n).ok).sort();
  }

  /**
   * Rewrites every repository's post-receive hook. Called at server start: the hook
   * holds absolute paths (node, the CLI, the data folder), which move with a checkout.
   */
  async installHooks(): Promise<string[]> {
    const names = await this.list();
    for (const name of names) await this.#writeHook(this.path(name));
    return names;
  }

  /** The post-receive hook as written into each repository. */
  hookScript(): string {
    const node = this.#options.node ?? process.execPath;
    const bin = this.#options.equinoxBin ?? findEquinoxBin();
    return [
      "#!/bin/sh",
      "# Written by equinox serve (rewritten at every start): hands the push to the server.",
      `EQUINOX_DATA=${shellQuote(this.dataDir)}`,
      "export EQUINOX_DATA",
      `exec ${shellQuote(node)} ${shellQuote(bin)} hook post-receive`,
      "",
    ].join("\n");
  }

  /** The commit `ref` names (a branch, tag, full ref or sha), or null. */
  async resolveRef(name: string, ref: string): Promise<string | null> {
    if (ref === "" || ref.startsWith("-") || /[\x00-\x20\x7f]/.test(ref)) return null;
    const out = await this.#read(name, [
      "rev-parse",
      "--verify",
      "--quiet",
      "--end-of-options",
      `${ref}^{commit}`,
    ]);
    return out === null ? null : out.trim();
  }

  /** The branch HEAD points at (`main`), or null for a missing repository or detached HEAD. */
  async defaultBranch(name: string): Promise<string | null> {
    const out = await this.#read(name, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
    return out === null ? null : out.trim();
  }

  /**
   * Paths that differ between two commits (a rename lists both names); null when
   * `before` is all zeros (a new ref: there is nothing to compare with) or either
   * commit is unknown.
   */
  async changedFiles(name: string, before: string, after: string): Promise<string[] | null> {
    if (!SHA.test(before) || !SHA.test(after) || ZERO.test(before) || ZERO.test(after)) return null;
    const out = await this.#read(name, [
      "diff",
      "--no-renames",
      "--no-ext-diff",
      "--name-only",
      "-z",
      before,
      after,
      "--",
    ]);
    return out === null ? null : out.split("\0").filter((p) => p !== "");
  }

  /**
   * Writes the files under `paths` (files or folders) as of commit `sha` into `dest`,
   * skipping paths the commit does not have; returns the files written, relative.
   * Regular files only: a symlink could point a reader outside `dest`, and a
   * submodule has no content here. Throws for an unknown repository or commit.
   *
   * Rejected: `git archive | tar -x`, which honours `export-ignore` from the
   * commit's own .gitattributes — projects commonly mark `.github` so, and their
   * workflows would silently vanish.
   */
  async extractPaths(name: string, sha: string, paths: string[], dest: string): Promise<string[]> {
    const where = `repository '${name}'`;
    if (!(await this.exists(name))) throw new Error(`${where} does not exist`);
    if (!SHA.test(sha)) throw new Error(`${where}: '${sha}' is not a commit sha`);
    const specs = paths.map((p) => p.replace(/^(\.\/)+/, "").replace(/\/+$/, ""));
    for (const spec of specs) {
      if (!safeRelative(spec)) throw new Error(`${where}: refusing to extract path '${spec}'`);
    }
    if (specs.length === 0) return [];
    const repo = this.path(name);
    const { stdout: listing } = await git(repo, [
      "ls-tree",
      "-r",
      "-z",
      "--full-tree",
      sha,
      "--",
      ...specs,
    ]).catch((err: Error) => {
      throw new Error(`${where}: cannot read commit ${sha}: ${err.message.trim()}`);
    });
    const files: { mode: string; object: string; path: string }[] = [];
    for (const record of listing.split("\0")) {
      const match = /^(\d{6}) blob ([0-9a-f]{40,64})\t(.+)$/s.exec(record);
      if (!match || (match[1] !== "100644" && match[1] !== "100755")) continue;
      if (!safeRelative(match[3]!)) continue;
      files.push({ mode: match[1], object: match[2]!, path: match[3]! });
    }
    if (files.length === 0) return [];
    const blobs = await catFileBatch(
      repo,
      files.map((f) => f.object),
    );
    const root = resolve(dest);
    for (const [i, file] of files.entries()) {
      const target = resolve(root, file.path);
      if (!target.startsWith(root + sep)) continue;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, blobs[i]!);
      await chmod(target, file.mode === "100755" ? 0o755 : 0o644);
    }
    return files.map((f) => f.path);
  }

  /** Author and message of a commit, or null if there is no such commit. */
  async commitInfo(name: string, sha: string): Promise<CommitInfo | null> {
    if (!SHA.test(sha)) return null;
    const out = await this.#read(name, [
      "log",
      "-1",
      "--no-show-signature",
      "--format=%an%x00%ae%x00%B",
      sha,
      "--",
    ]);
    if (out === null) return null;
    const [authorName = "", email = "", ...message] = out.split("\0");
    return { author: { name: authorName, email }, message: message.join("\0").trimEnd() };
  }

  /** A git read in the repository; null if the repository or the thing read is not there. */
  async #read(name: string, args: string[]): Promise<string | null> {
    if (!(await this.exists(name))) return null;
    try {
      return (await git(this.path(name), args)).stdout;
    } catch {
      return null;
    }
  }

  async #writeHook(repoPath: string): Promise<void> {
    const hooks = join(repoPath, "hooks");
    await mkdir(hooks, { recursive: true });
    // Written aside and renamed: a push arriving meanwhile runs the old hook or the new one.
    const temp = join(hooks, `.post-receive.${randomUUID()}`);
    await writeFile(temp, this.hookScript(), { mode: 0o755 });
    await chmod(temp, 0o755);
    await rename(temp, join(hooks, "post-receive"));
  }
}

/**
 * `bin/equinox` of the checkout this code runs from: the bundle sits in `dist/` (or
 * `dist/chunks/`), the source in `src/server/git/`; both are below the package root.
 */
export function findEquinoxBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "bin", "equinox");
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    `bin/equinox not found above ${dirname(fileURLToPath(import.meta.url))}; pass the CLI path as the equinoxBin option`,
  );
}

/** `'text'` for /bin/sh, whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Environment for git run on a given repository: nothing inherited may redirect it. */
function gitEnv(gitDir: string | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|COMMON_DIR|CEILING_DIRECTORIES)$/.test(
        key,
      )
    ) {
      env[key] = value;
    }
  }
  if (gitDir !== null) env.GIT_DIR = gitDir;
  env.GIT_LITERAL_PATHSPECS = "1";
  return env;
}

function git(gitDir: string | null, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      "git",
      args,
      { env: gitEnv(gitDir), maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args[0]} failed: ${stderr || err.message}`));
        else resolvePromise({ stdout });
      },
    );
  });
}

/** The contents of the given blobs, in order, from one `git cat-file --batch`. */
function catFileBatch(gitDir: string, objects: string[]): Promise<Buffer[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], {
      env: gitEnv(gitDir),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.on("error", () => {});
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`));
        return;
      }
      const all = Buffer.concat(out);
      const blobs: Buffer[] = [];
      let at = 0;
      for (const object of objects) {
        const eol = all.indexOf(0x0a, at);
        const header = all.subarray(at, eol).toString();
        const match = /^([0-9a-f]+) blob (\d+)$/.exec(header);
        if (eol === -1 || !match) {
          reject(new Error(`git cat-file: unexpected answer for ${object}: ${header}`));
          return;
        }
        const size = Number(match[2]);
        blobs.push(all.subarray(eol + 1, eol + 1 + size));
        at = eol + 1 + size + 1;
      }
      resolvePromise(blobs);
    });
    child.stdin.end(`${objects.join("\n")}\n`);
  });
}

/** A relative path with no `.`/`..`/empty segment and nothing named `.git`. */
function safeRelative(path: string): boolean {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0"))
    return false;
  return path
    .split("/")
    .every((s) => s !== "" && s !== "." && s !== ".." && s.toLowerCase() !== ".git");
}

/** Names of the visible subfolders of `dir` (none if it is missing). */
async function readDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}
