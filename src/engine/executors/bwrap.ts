import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import {
  chmod,
  chown,
  lchown,
  lstat,
  mkdir,
  readdir,
  realpath,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import type { CheckoutSource } from "../../core/job-spec.ts";
import { stepContainers } from "../docker/step-containers.ts";
import type { Executor, PrepareRequest, ResourceLimits, Session } from "../executor.ts";
import { runtimeBundlePath } from "../runtime-bundle.ts";
import { attachRuntime } from "./attach-runtime.ts";

import { jobDirectory } from "./job-dir.ts";

export interface BwrapExecutorOptions {
  /** Directory under which each job gets `<jobKey>/{workspace,temp,files,home}`. */
  root: string;
  /** Shared between jobs (remote actions); bound read-write. */
  toolCache: string;
  /**
   * Variables the runtime starts from besides PATH, LANG, HOME and TMPDIR (which the
   * sandbox sets). Default: none — never this process's own environment.
   */
  env?: NodeJS.ProcessEnv;
  /** Keep job directories after the job (for debugging). */
  keep?: boolean;
  /** The bubblewrap program. Default: `bwrap` on the system PATH. */
  bwrap?: string;
  /**
   * Who jobs run as when this process is root (bwrap itself is then started as this
   * user). Default: nobody (65534:65534); a dedicated system user is better, since
   * other daemons may run as nobody too.
   */
  sandboxUser?: { uid: number; gid: number };
}

/** Where programs the sandbox needs are looked for: only directories it shows. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The host's system directories, shown read-only (symlinks on merged-/usr stay symlinks). */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Runs the runtime in an unprivileged bubblewrap sandbox: the host's system
 * directories and /etc read-only, fresh /proc, /dev and /tmp, and of the rest of the
 * host only what the job is given — its own directory (workspace, temp, files, a
 * private HOME) and the tool cache read-write, the runtime bundle, node and the
 * request's `readPaths` read-only, all at their host paths. Every namespace is new
 * (the network only when the placement turns it off), the job runs as an
 * unprivileged user — never root, even when this process is root — and the
 * sandbox dies with this process.
 */
export class BwrapExecutor implements Executor {
  readonly kind = "bwrap";
  /** Who bwrap is started as, when that is not this process's user. */
  private readonly runAs: { uid: number; gid: number } | null;
  private checked: Promise<string> | null = null;
  private toolCacheReady: Promise<void> | null = null;

  constructor(private readonly options: BwrapExecutorOptions) {
    this.runAs = process.getuid?.() === 0 ? (options.sandboxUser ?? NOBODY) : null;
  }

  /** The uid and gid the job has, inside the sandbox and out. */
  private get ids(): { uid: number; gid: number } {
    return this.runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  }

  /** bwrap's path, once it has proved it works here; a failed check is tried again next time. */
  private checkedBwrap(): Promise<string> {
    if (!this.checked) {
      this.checked = checkBwrap(this.options.bwrap, this.runAs);
      this.checked.catch(() => {
        this.checked = null;
      });
    }
    return this.checked;
  }

  /** A sandbox started ahead for jobs like `like` (see warm). */
  private spare: {
    key: string;
    ready: Promise<{ place: Place; child: ChildProcessWithoutNullStreams }>;
  } | null = null;
  private lastLike: WarmHint | null = null;

  /**
   * Starts a sandbox and its runtime for a job like `like` (the same network, limits
   * and readPaths), so that the job does not wait for node's start (most of what a
   * sandbox costs). Without `like`, for jobs like the last one given.
   */
  warm(like?: WarmHint): void {
    const hint = like ?? this.lastLike;
    if (!hint) return;
    this.lastLike = hint;
    if (this.spare) return;
    const ready = this.place(`warm-${randomBytes(6).toString("hex")}`, hint).then((place) => {
      const child = place.spawn();
      // A spare nobody takes may fail unseen; the job that takes it hears of it.
      child.on("error", () => {});
      return { place, child };
    });
    ready.catch(() => {});
    this.spare = { key: likeKey(hint), ready };
  }

  async dispose(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    const taken = await spare?.ready.catch(() => null);
    if (!taken) return;
    await retire(taken.child);
    await taken.place.cleanup();
  }

  async prepare(request: PrepareRequest): Promise<Session> {
    let warmed: { place: Place; child: ChildProcessWithoutNullStreams } | null = null;
    if (this.spare?.key === likeKey(request)) {
      const spare = this.spare;
      this.spare = null;
      // The next spare starts when the scheduler says more jobs wait (warm()).
      warmed = await spare.ready.catch(() => null);
    }
    const place = warmed?.place ?? (await this.place(request.jobKey, request));
    let child = warmed?.child ?? null;
    let started = false;
    const { uid, gid } = this.ids;
    const steps = stepContainers(request, place.dir, this.options.toolCache, {
      user: `${uid}:${gid}`,
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    return {
      paths: place.paths,
      inContainer: false,
      start: (spec, handlers) => {
        started = true;
        child ??= place.spawn();
        const running = child;
        const placed = { ...spec, checkout: relocate(spec.checkout, place.staged) };
        return attachRuntime(running, JSON.stringify(placed), handlers, {
          signal: (signal) => signalSandbox(running, signal),
          containers: steps,
        });
      },
      cleanup: async () => {
        // A warm sandbox that never got its job.
        if (!started && child) await retire(child);
        await steps.removeAll();
        await place.cleanup();
      },
    };
  }

  /** Makes a job's directory under `dirName` and the sandbox's command line for it. */
  private async place(dirName: string, request: WarmHint): Promise<Place> {
    const placement = request.placement?.executor === "bwrap" ? request.placement : null;
    const network = placement?.network ?? true;
    const limits = placement?.limits ?? {};
    const bwrap = await this.checkedBwrap();
    const prlimit = limitArgs(limits);
    const prlimitPath = prlimit.length > 0 ? findSystemProgram("prlimit") : null;
    if (prlimit.length > 0 && !prlimitPath)
      throw new Error(
        "bwrap executor: resource limits need prlimit(1), which is not installed (Debian: apt-get install util-linux)",
      );
    const runtime = runtimeBundlePath();
    // A checkout source the sandbox user cannot read (a repository under /root, a
    // private temp dir) is copied into the job's directory and read from there.
    const staged = new Map<string, string>();
    const { dir, paths } = jobDirectory(this.options.root, dirName, this.options.toolCache);
    for (const [i, path] of (request.readPaths ?? []).entries())
      if (this.runAs && !(await readableBy(path, this.runAs)))
        staged.set(path, join(dir, `source-${i}`));
    // The runtime is one self-contained file: bound alone, a rebuild that swaps dist/
    // under a running job does not pull it away.
    const readOnly = [
      runtime,
      dirname(process.execPath),
      ...(request.readPaths ?? []).filter((p) => !staged.has(p)),
    ];
    if (this.runAs) {
      await makeTraversable(this.options.root);
      for (const path of [this.options.root, ...readOnly]) await assertReachable(path, this.runAs);
      if (!this.toolCacheReady) {
        this.toolCacheReady = handOver(this.options.toolCache, this.runAs);
        this.toolCacheReady.catch(() => {
          this.toolCacheReady = null;
        });
      }
      await this.toolCacheReady;
    } else {
      await mkdir(this.options.toolCache, { recursive: true });
    }

    const home = join(dir, "home");
    const keep = this.options.keep ?? false;
    const cleanup = async () => {
      if (!keep) await removeTree(dir);
    };
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const d of [paths.workspace, paths.temp, paths.files, home]) await mkdir(d);
      for (const [from, to] of staged) await stageCopy(from, to);
      const gitconfig = join(home, ".gitconfig");
      await writeFile(
        gitconfig,
        gitSafeDirectories((request.readPaths ?? []).map((p) => staged.get(p) ?? p)),
      );
      if (this.runAs)
        for (const d of [dir, paths.workspace, paths.temp, paths.files, home, gitconfig])
          await chown(d, this.runAs.uid, this.runAs.gid);
    } catch (err) {
      await cleanup();
      throw err;
    }

    const args = sandboxArgs({
      ids: this.ids,
      network,
      jobDir: dir,
      workspace: paths.workspace,
      readWrite: [paths.toolCache],
      readOnly,
    });
    const command = [
      ...(prlimitPath ? [prlimitPath, ...prlimit, "--"] : []),
      process.execPath,
      runtime,
    ];
    const env: NodeJS.ProcessEnv = {
      PATH: SYSTEM_PATH,
      LANG: "C.UTF-8",
      ...this.options.env,
      HOME: home,
      TMPDIR: paths.temp,
    };
    const runAs = this.runAs;
    return {
      dir,
      paths,
      staged,
      // The environment reaches the runtime through bwrap's own (never argv, which
      // any user can read in ps).
      spawn: () =>
        spawn(bwrap, [...args, "--", ...command], {
          cwd: "/",
          env,
          stdio: ["pipe", "pipe", "pipe"],
          ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
        }),
      cleanup,
    };
  }
}

/**
 * Ends a sandbox whose runtime never got a spec: its stdin closes, so the runtime
 * exits and the sandbox with it. Not SIGKILL at once: killed while it is still
 * setting up, bwrap can leave the sandbox's init behind (its parent-death signal is
 * not armed yet), holding our pipes open.
 */
async function retire(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.stdin.on("error", () => {});
  child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await closed;
  clearTimeout(timer);
}

/** What a warm sandbox is made for: the job's placement and what it reads. */
type WarmHint = Omit<PrepareRequest, "jobKey">;

function likeKey(like: WarmHint): string {
  const placement = like.placement?.executor === "bwrap" ? like.placement : null;
  return JSON.stringify([
    placement?.network ?? true,
    placement?.limits ?? {},
    like.readPaths ?? [],
  ]);
}

/** A job's directory, made, and how to start its sandbox. */
interface Place {
  dir: string;
  paths: Session["paths"];
  staged: ReadonlyMap<string, string>;
  spawn(): ChildProcessWithoutNullStreams;
  cleanup(): Promise<void>;
}

interface SandboxLayout {
  ids: { uid: number; gid: number };
  network: boolean;
  jobDir: string;
  workspace: string;
  readWrite: string[];
  readOnly: string[];
}

/** bwrap's options for one job (everything before `--`). */
function sandboxArgs(layout: SandboxLayout): string[] {
  const { args, shown } = baseSandbox(layout.ids, layout.network);
  args.push("--bind", layout.jobDir, layout.jobDir);
  for (const path of layout.readWrite) args.push("--bind", path, path);
  for (const path of new Set(layout.readOnly))
    if (!isUnder(path, shown)) args.push("--ro-bind", path, path);
  // The sandbox's own root (mount points only) is read-only too.
  args.push("--remount-ro", "/", "--chdir", layout.workspace);
  return args;
}

/**
 * Namespaces and what every sandbox shows: the system directories and /etc
 * read-only, fresh /proc, /dev and /tmp. `shown` lists the directories bound.
 */
function baseSandbox(ids: { uid: number; gid: number }, network: boolean) {
  const args = [
    "--unshare-all",
    ...(network ? ["--share-net"] : []),
    // bwrap always runs unprivileged (as the sandbox user when this process is root):
    // the user namespace is what lets it mount.
    "--unshare-user",
    "--uid",
    String(ids.uid),
    "--gid",
    String(ids.gid),
    "--die-with-parent",
    // No access to the server's terminal (TIOCSTI); steps still get their own groups.
    "--new-session",
  ];
  const shown: string[] = [];
  for (const path of SYSTEM_DIRS) {
    const st = lstatOrNull(path);
    if (!st) continue;
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(path), path);
    else if (st.isDirectory()) {
      args.push("--ro-bind", path, path);
      shown.push(path);
    }
  }
  // A resolv.conf that points outside /etc (systemd-resolved) must stay resolvable.
  const resolv = realpathOrNull("/etc/resolv.conf");
  if (resolv && !isUnder(resolv, shown)) args.push("--ro-bind-try", resolv, resolv);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  return { args, shown };
}

/**
 * The checkout source belongs to this process's user, not the sandbox's: git refuses
 * to fetch from it ("dubious ownership") unless told it is safe. The job's private
 * HOME holds that, where its own `git config --global` also goes.
 */
function gitSafeDirectories(readPaths: readonly string[]): string {
  // Quoted, so that `#` or `;` in a path is not taken for a comment.
  const quote = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const lines = readPaths.flatMap((p) => [
    `\tdirectory = ${quote(p)}`,
    `\tdirectory = ${quote(join(p, ".git"))}`,
  ]);
  return lines.length > 0 ? `[safe]\n${lines.join("\n")}\n` : "";
}

/** prlimit(1) options for the limits that are set. */
export function limitArgs(limits: ResourceLimits): string[] {
  const options: [keyof ResourceLimits, string][] = [
    ["memoryBytes", "--as"],
    ["processes", "--nproc"],
    ["cpuSeconds", "--cpu"],
    ["fileBytes", "--fsize"],
    ["openFiles", "--nofile"],
  ];
  return options.flatMap(([key, option]) => {
    const value = limits[key];
    if (value === undefined) return [];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new Error(`bwrap executor: limit ${key} must be a positive integer, got ${value}`);
    return [`${option}=${value}`];
  });
}

/**
 * Cancel and kill for a sandboxed runtime. bwrap passes no signals on: SIGTERM to it
 * would end the sandbox at once, so a cancel goes to the runtime itself, the first
 * process under bwrap's init. SIGKILL to bwrap takes the whole sandbox down
 * (`--die-with-parent`; the end of its pid namespace ends every process in it).
 */
function signalSandbox(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals) {
  if (signal !== "SIGKILL" && child.pid !== undefined) {
    const init = childrenOf(child.pid)[0];
    const runtime = init === undefined ? undefined : childrenOf(init)[0];
    if (runtime !== undefined) {
      try {
        process.kill(runtime, signal);
        return;
      } catch {
        // Gone in between: end the sandbox below.
      }
    }
  }
  child.kill(signal);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Finds bwrap and proves, once, that it can build a sandbox here; otherwise says
 * what failed and what to install or enable.
 */
async function checkBwrap(
  configured: string | undefined,
  runAs: { uid: number; gid: number } | null,
): Promise<string> {
  const bwrap = configured ?? findSystemProgram("bwrap");
  if (!bwrap || !existsSync(bwrap))
    throw new Error(
      `bwrap executor: ${bwrap ?? "bwrap"} not found: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)`,
    );
  const probe = findSystemProgram("true") ?? "/bin/true";
  const ids = runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const args = [...baseSandbox(ids, false).args, "--", probe];
  const { code, stderr } = await run(bwrap, args, runAs);
  if (code === 0) return bwrap;
  throw new Error(
    `bwrap executor: bubblewrap cannot create a sandbox here (${stderr.trim() || `exit ${code}`}). ` +
      "It needs unprivileged user namespaces: enable them (sysctl user.max_user_namespaces > 0, " +
      "kernel.unprivileged_userns_clone=1 on older Debian kernels, " +
      "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04+); inside a container, " +
      "allow them (e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined) " +
      "or use the docker executor instead",
  );
}

function run(
  program: string,
  args: string[],
  runAs: { uid: number; gid: number } | null,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: "/",
      env: { PATH: SYSTEM_PATH },
      stdio: ["ignore", "ignore", "pipe"],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr += d;
    });
    child.once("error", (err) => resolve({ code: 127, stderr: err.message }));
    child.once("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
}

function findSystemProgram(name: string): string | null {
  for (const dir of SYSTEM_PATH.split(":")) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * The executor's own root must let the sandbox user through to its job directory
 * (which is the user's and private): search permission only, nothing listable.
 */
async function makeTraversable(root: string) {
  await mkdir(root, { recursive: true });
  const st = await stat(root);
  if ((st.mode & 0o001) === 0) await chmod(root, (st.mode & 0o7777) | 0o001);
}

/**
 * bwrap runs as the sandbox user, so it can only show what that user can reach.
 * Checked ahead, to name the directory in the way (ACLs are not considered).
 */
async function assertReachable(path: string, user: { uid: number; gid: number }) {
  const parts = path.split(sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = sep + parts.slice(0, i).join(sep);
    const st = await stat(at).catch(() => null);
    if (!st) return; // A path that does not exist is bwrap's to report.
    const bits = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (st.isDirectory() && (st.mode & bits) === 0)
      throw new Error(
        `bwrap executor: the sandbox user (uid ${user.uid}) cannot reach ${path}: ` +
          `${at} is not searchable by it (mode ${(st.mode & 0o777).toString(8)}). ` +
          `Make it searchable (chmod o+x ${at}) or use a directory it can reach`,
      );
  }
}

/**
 * True when `user` can reach `path` and, for a directory, list and enter it (by the
 * mode bits; ACLs are not considered).
 */
async function readableBy(path: string, user: { uid: number; gid: number }): Promise<boolean> {
  const parts = path.split(sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = sep + parts.slice(0, i).join(sep);
    const st = await stat(at).catch(() => null);
    if (!st) return true; // A path that does not exist is bwrap's to report.
    const shift = st.uid === user.uid ? 6 : st.gid === user.gid ? 3 : 0;
    const need = i === parts.length ? (st.isDirectory() ? 0o5 : 0o4) : st.isDirectory() ? 0o1 : 0;
    if (((st.mode >> shift) & need) !== need) return false;
  }
  return true;
}

/** A copy of `from` the sandbox user can read (copy-on-write where the filesystem can). */
async function stageCopy(from: string, to: string) {
  const copy = await run("cp", ["-a", "--reflink=auto", from, to], null);
  if (copy.code !== 0)
    throw new Error(`bwrap executor: cannot copy ${from} for the sandbox: ${copy.stderr.trim()}`);
  const open = await run("chmod", ["-R", "a+rX", to], null);
  if (open.code !== 0)
    throw new Error(`bwrap executor: cannot open up ${to}: ${open.stderr.trim()}`);
}

/** The checkout source with staged copies in place of the paths they copy. */
function relocate(source: CheckoutSource, staged: ReadonlyMap<string, string>): CheckoutSource {
  const to = (path: string) => staged.get(path) ?? path;
  switch (source.kind) {
    case "git":
      return {
        ...source,
        url: to(source.url),
        ...(source.overlayFrom ? { overlayFrom: to(source.overlayFrom) } : {}),
      };
    case "dir":
      return { ...source, path: to(source.path) };
    case "none":
      return source;
  }
}

/**
 * Makes the tool cache the sandbox user's (it writes new entries there), including
 * what jobs of other executors put in it before.
 */
async function handOver(dir: string, user: { uid: number; gid: number }) {
  await mkdir(dir, { recursive: true });
  await assertReachable(dirname(dir), user);
  // The tree is the jobs' to write, and this runs as root: a symlink (or a hard link,
  // where the kernel allows one to a file not the job's) could name /etc/shadow. So
  // only plain files and directories are handed over, never through a link.
  const visit = async (path: string) => {
    const st = await lstat(path);
    if (!st.isDirectory() && !(st.isFile() && st.nlink === 1)) return;
    if (st.uid !== user.uid || st.gid !== user.gid)
      await lchown(path, user.uid, user.gid).catch(() => {});
    if (st.isDirectory()) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(await realpath(dir)); // the configured path may be a link; below it, none is followed
}

/**
 * Removes a job directory whatever the job left in it: read-only directories (a Go
 * module cache) stop a plain recursive rm for anyone but root.
 */
async function removeTree(dir: string) {
  try {
    await rm(dir, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM" && code !== "ENOTEMPTY") throw err;
  }
  const open = async (path: string) => {
    const st = await lstat(path).catch(() => null);
    if (!st?.isDirectory()) return;
    await chmod(path, 0o700).catch(() => {});
    for (const entry of await readdir(path)) await open(join(path, entry));
  };
  await open(dir);
  await rm(dir, { recursive: true, force: true });
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function realpathOrNull(path: string) {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isUnder(path: string, dirs: string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(d + sep));
}
