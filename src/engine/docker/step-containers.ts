import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { isAbsolute, relative, sep } from "node:path";
import type { ContainerReply, ContainerRun } from "../../core/events.ts";
import type { PrepareRequest } from "../executor.ts";
import { docker, dockerCommand } from "./cli.ts";
import { ensureImage } from "./images.ts";
import { JOB_LABEL, OWNER_LABEL, ownerId } from "./owner.ts";
import { actionImage } from "./repo-image.ts";
import { containerVariables } from "./variables.ts";

export interface StepContainerPlace {
  jobKey: string;
  owner: string;
  /** Host directories a step container sees read-write at the same path: the job's own. */
  mounts: readonly string[];
  /** The job's services' network, or "none". */
  network?: string;
  /**
   * Set for a sandboxed job: its step containers run as this `uid:gid`, with no
   * capabilities, as unprivileged as the sandbox itself.
   */
  user?: string;
  /** Variables every step of the job gets (`equinox run --env`), under the step's own. */
  env: Record<string, string>;
  /** The job's log, for image builds. */
  log(line: string): void;
}

/** How a runtime's request is answered: false when the answer had to be queued. */
export type Reply = (answer: ContainerReply) => boolean;

/** Step containers for a job whose own directory is `jobDir`. */
export function stepContainers(
  request: PrepareRequest,
  jobDir: string,
  toolCache: string,
  options: { user?: string; env?: NodeJS.ProcessEnv } = {},
): StepContainers {
  const { placement } = request;
  // A sandbox without network gives its step containers none either, services or not.
  const offline = placement?.executor === "bwrap" && !placement.network;
  const network = offline ? "none" : request.network;
  return new StepContainers({
    jobKey: request.jobKey,
    owner: ownerId(),
    mounts: [jobDir, toolCache],
    ...(network ? { network } : {}),
    ...(options.user ? { user: options.user } : {}),
    env: Object.fromEntries(
      Object.entries(options.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    log: request.log ?? (() => {}),
  });
}

/** How long a stopped step container gets between SIGTERM and SIGKILL. */
const STOP_GRACE_S = 5;

/**
 * Runs the step containers a runtime asks for (`uses: docker://…`, Docker actions),
 * next to the job rather than inside it: each sees the job's directories at their
 * paths and nothing else of the host, joins the job's services' network, and is
 * labelled for cleanup like the job's own containers.
 *
 * The requests come from the job's runtime, which the job's own code can impersonate:
 * nothing in them is trusted. An action's build directory must lie in the job's
 * directories, an image name cannot become an option, and variables never reach the
 * command line or the docker CLI's own environment.
 */
export class StepContainers {
  /** Containers by request id, once `docker run` is spawned. */
  private readonly running = new Map<number, { name: string; child: ChildProcess }>();
  /** Requests stopped before their container started (an image still pulling). */
  private readonly stopped = new Set<number>();
  /** Output streams paused until the runtime's stdin drains. */
  private readonly paused = new Set<() => void>();
  private closed = false;

  constructor(private readonly place: StepContainerPlace) {}

  handle(request: ContainerRun | { type: "container.stop"; id: number }, reply: Reply): void {
    if (request.type === "container.stop") {
      if (this.running.has(request.id)) void this.stop(request.id);
      else this.stopped.add(request.id);
      return;
    }
    this.run(request, reply).catch((err: Error) =>
      reply({ type: "container.failed", id: request.id, message: err.message }),
    );
  }

  private async run(request: ContainerRun, reply: Reply): Promise<void> {
    const { id } = request;
    const image = await this.image(request);
    if (this.closed || this.stopped.delete(id)) {
      reply({ type: "container.failed", id, message: "cancelled before the container started" });
      return;
    }
    const name = `equinox-${this.place.jobKey}-step-${id}`.slice(0, 250);
    const variables = await containerVariables({ ...this.place.env, ...request.env });
    const { user } = this.place;
    const args = [
      "run",
      "--rm",
      // An init as PID 1 passes `docker stop`'s signal on to the step's process.
      "--init",
      "--name",
      name,
      "--label",
      `${OWNER_LABEL}=${this.place.owner}`,
      "--label",
      `${JOB_LABEL}=${this.place.jobKey}`,
      ...this.place.mounts.flatMap((m) => ["-v", `${m}:${m}`]),
      "-w",
      request.workdir,
      ...variables.args,
      ...(user ? ["--user", user, "--cap-drop", "ALL", "--security-opt", "no-new-privileges"] : []),
      ...(request.entrypoint !== null ? ["--entrypoint", request.entrypoint] : []),
      ...(this.place.network ? ["--network", this.place.network] : []),
      image,
      ...request.args,
    ];
    const child = spawn(dockerCommand(), args, {
      env: variables.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.running.set(id, { name, child });
    const resume = () => {
      child.stdout?.resume();
      child.stderr?.resume();
    };
    for (const which of ["stdout", "stderr"] as const) {
      child[which]?.on("data", (chunk: Buffer) => {
        const data = chunk.toString("base64");
        // The runtime reads slower than the container prints: wait for it.
        if (!reply({ type: "container.output", id, stream: which, data })) {
          child.stdout?.pause();
          child.stderr?.pause();
          this.paused.add(resume);
        }
      });
    }
    try {
      await new Promise<void>((resolve) => {
        child.once("error", (err) => {
          reply({ type: "container.failed", id, message: err.message });
          resolve();
        });
        child.once("close", (code) => {
          reply({ type: "container.exited", id, code: code ?? 1 });
          resolve();
        });
      });
    } finally {
      this.running.delete(id);
      await variables.remove();
    }
  }

  /**
   * `docker stop`, again while it fails and the container's `docker run` goes on: just
   * after the spawn, the container may not exist yet.
   */
  private async stop(id: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const container = this.running.get(id);
      if (!container) return;
      const stopped = await docker(["stop", "--time", String(STOP_GRACE_S), container.name]);
      if (stopped.code === 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The runtime's stdin has room again: containers paused for it go on. */
  drained(): void {
    for (const resume of this.paused) resume();
    this.paused.clear();
  }

  private async image(request: ContainerRun): Promise<string> {
    if ("name" in request.image) {
      const { name } = request.image;
      if (!name || name.startsWith("-") || /\s/.test(name))
        throw new Error(`'${name}' is not an image name`);
      await ensureImage(name, null);
      return name;
    }
    const { build, dockerfile } = request.image;
    const dir = this.ownDirectory(build);
    if (isAbsolute(dockerfile) || dockerfile.split(/[\\/]/).includes(".."))
      throw new Error(`the action's Dockerfile '${dockerfile}' must be a path inside the action`);
    return actionImage(dir, dockerfile, this.place.log);
  }

  /** `path` resolved, when it lies in one of the job's own directories; else an error. */
  private ownDirectory(path: string): string {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new Error(`the action's directory ${path} does not exist`);
    }
    for (const mount of this.place.mounts) {
      let root: string;
      try {
        root = realpathSync(mount);
      } catch {
        continue; // not made yet: nothing can be in it
      }
      const inside = relative(root, real);
      const outside = inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside);
      if (!outside) return real;
    }
    throw new Error(`the action's directory ${path} is not in the job's directories`);
  }

  /**
   * Ends everything: containers still running are removed, and requests still
   * waiting for an image never start one (a job cancelled or killed mid-step).
   */
  async removeAll(): Promise<void> {
    this.closed = true;
    const names = [...this.running.values()].map((c) => c.name);
    for (const { child } of this.running.values()) child.kill("SIGKILL");
    this.running.clear();
    if (names.length > 0) await docker(["rm", "-f", "-v", ...names]);
  }
}
