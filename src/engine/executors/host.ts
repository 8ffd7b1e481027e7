import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { stepContainers } from "../docker/step-containers.ts";
import type { Executor, PrepareRequest, Session } from "../executor.ts";
import { runtimeBundlePath } from "../runtime-bundle.ts";
import { attachRuntime } from "./attach-runtime.ts";
import { jobDirectory, removeDirectory } from "./job-dir.ts";

export interface HostExecutorOptions {
  /** Directory under which each job gets `<jobKey>/{workspace,temp,files}`. */
  root: string;
  /** Shared between jobs and runs (remote actions are cached here). */
  toolCache: string;
  /** Environment the runtime (and so every step) starts from. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The variables of `env` that are the job's own (`--env`), for its step containers. */
  jobEnv?: Record<string, string>;
  /** Keep job directories after the job (for debugging). */
  keep?: boolean;
  /**
   * Always have a runtime started and waiting (a server): each job takes it and a new one
   * starts for the next, so a push's first step does not wait for a cold start.
   */
  keepWarm?: boolean;
}

/**
 * A runtime started before any executor exists (see `prespawnRuntime`), waiting for
 * its spec; the first HostExecutor whose environment matches takes it.
 */
let prespawned: { child: ChildProcessWithoutNullStreams; env: NodeJS.ProcessEnv } | null = null;

/**
 * Starts a runtime process as early as possible — before the CLI has even loaded
 * the workflow parser — so its cold start overlaps the CLI's own. Unused, it is
 * killed when this process exits.
 */
export function prespawnRuntime(env: NodeJS.ProcessEnv = process.env, cwd = tmpdir()): void {
  if (prespawned) return;
  const child = spawn(process.execPath, [runtimeBundlePath()], {
    cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.on("error", () => {});
  // Until an executor takes it, it must not keep this process alive (e.g. on a usage error).
  setReferenced(child, false);
  prespawned = { child, env };
  process.once("exit", () => {
    if (prespawned?.child === child) child.kill("SIGKILL");
  });
}

function takePrespawned(env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams | null {
  const p = prespawned;
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return null;
  const same =
    Object.keys(p.env).length === Object.keys(env).length &&
    Object.entries(env).every(([k, v]) => p.env[k] === v);
  if (!same) return null;
  prespawned = null;
  setReferenced(p.child, true);
  return p.child;
}

function setReferenced(child: ChildProcessWithoutNullStreams, referenced: boolean) {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as {
    ref(): void;
    unref(): void;
  }[]) {
    if (referenced) handle.ref();
    else handle.unref();
  }
}

/**
 * Runs the runtime as a child process on this machine. No isolation: for trusted
 * code only (a developer's own checkout, a trusted server).
 */
export class HostExecutor implements Executor {
  readonly kind = "host";
  /** A runtime process already started and waiting for its spec on stdin. */
  private spare: ChildProcessWithoutNullStreams | null = null;
  constructor(private readonly options: HostExecutorOptions) {}

  private spawnRuntime(): ChildProcessWithoutNullStreams {
    // The runtime changes into the job's workspace itself once it has read its spec.
    return spawn(process.execPath, [runtimeBundlePath()], {
      cwd: this.options.root,
      env: this.options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  /** Another job will start after the next one takes the spare: start its runtime then. */
  private refill = false;

  warm(): void {
    if (this.spare && this.spare.exitCode === null && this.spare.signalCode === null) {
      this.refill = true;
      return;
    }
    this.spare = takePrespawned(this.options.env ?? process.env) ?? this.spawnRuntime();
    this.spare.on("error", () => {});
  }

  async dispose(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    if (!spare || spare.exitCode !== null || spare.signalCode !== null) return;
    const closed = new Promise((resolve) => spare.once("close", resolve));
    spare.kill("SIGKILL");
    await closed;
  }

  private takeRuntime(): ChildProcessWithoutNullStreams {
    const spare = this.spare;
    this.spare = null;
    const taken =
      spare && spare.exitCode === null && spare.signalCode === null ? spare : this.spawnRuntime();
    if (this.refill || this.options.keepWarm) {
      this.refill = false;
      this.warm();
    }
    return taken;
  }

  async prepare(request: PrepareRequest): Promise<Session> {
    const { dir, paths } = jobDirectory(this.options.root, request.jobKey, this.options.toolCache);
    await mkdir(paths.workspace, { recursive: true });
    const keep = this.options.keep ?? false;
    const steps = stepContainers(request, dir, paths.toolCache, {
      ...(this.options.jobEnv ? { env: this.options.jobEnv } : {}),
    });
    return {
      paths,
      inContainer: false,
      start: (spec, handlers) =>
        attachRuntime(this.takeRuntime(), JSON.stringify(spec), handlers, { containers: steps }),
      cleanup: async () => {
        await steps.removeAll();
        const problem = keep ? null : await removeDirectory(dir);
        // Files a step container's root left, with this process not root.
        if (problem) request.log?.(`##[warning]Could not remove the job's directory: ${problem}`);
      },
    };
  }
}
