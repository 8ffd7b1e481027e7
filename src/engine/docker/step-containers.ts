import { spawn } from "node:child_process";
import type { ContainerReply, ContainerRun } from "../../core/events.ts";
import type { PrepareRequest } from "../executor.ts";
import { docker, dockerCommand } from "./cli.ts";
import { ensureImage } from "./images.ts";
import { JOB_LABEL, OWNER_LABEL, ownerId } from "./owner.ts";
import { actionImage } from "./repo-image.ts";

export interface StepContainerPlace {
  jobKey: string;
  owner: string;
  /** Host directories a step container sees read-write at the same path: the job's own. */
  mounts: readonly string[];
  /** The job's services' network, when it has one. */
  network?: string;
  /** The job's log, for image builds. */
  log(line: string): void;
}

/** Step containers for a job whose own directory is `jobDir`. */
export function stepContainers(
  request: PrepareRequest,
  jobDir: string,
  toolCache: string,
): StepContainers {
  return new StepContainers({
    jobKey: request.jobKey,
    owner: ownerId(),
    mounts: [jobDir, toolCache],
    ...(request.network
      ? { network: request.network }
      : // A sandbox without network gives its step containers none either.
        request.placement?.executor === "bwrap" && !request.placement.network
        ? { network: "none" }
        : {}),
    log: request.log ?? (() => {}),
  });
}

/** How long a stopped step container gets between SIGTERM and SIGKILL. */
const STOP_GRACE_S = 5;

/**
 * Runs the step containers a runtime asks for (`uses: docker://…`, Docker actions),
 * next to the job rather than inside it: each sees the job's directories at their
 * paths and nothing else of the host, joins the job's services' network, and is
 * labelled for cleanup like the job's own containers. Variables reach `docker run`
 * through its environment, never its command line (secrets are among them).
 */
export class StepContainers {
  private readonly names = new Map<number, string>();

  constructor(private readonly place: StepContainerPlace) {}

  handle(
    request: ContainerRun | { type: "container.stop"; id: number },
    reply: (answer: ContainerReply) => void,
  ): void {
    if (request.type === "container.stop") {
      const name = this.names.get(request.id);
      if (name) void docker(["stop", "--time", String(STOP_GRACE_S), name]);
      return;
    }
    this.run(request, reply).catch((err: Error) =>
      reply({ type: "container.failed", id: request.id, message: err.message }),
    );
  }

  private async run(request: ContainerRun, reply: (answer: ContainerReply) => void) {
    const { id } = request;
    const image =
      "name" in request.image
        ? request.image.name
        : await actionImage(request.image.build, request.image.dockerfile, this.place.log);
    if ("name" in request.image) await ensureImage(image, null);
    const name = `equinox-${this.place.jobKey}-step-${id}`.slice(0, 250);
    const variables = containerVariables(request.env, process.env);
    this.names.set(id, name);
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
      ...(request.entrypoint !== null ? ["--entrypoint", request.entrypoint] : []),
      ...(this.place.network ? ["--network", this.place.network] : []),
      image,
      ...request.args,
    ];
    const child = spawn(dockerCommand(), args, {
      env: variables.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of ["stdout", "stderr"] as const)
      child[stream].on("data", (chunk: Buffer) =>
        reply({ type: "container.output", id, stream, data: chunk.toString("base64") }),
      );
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
    this.names.delete(id);
  }

  /** Removes step containers still there (a job cancelled or killed mid-step). */
  async removeAll(): Promise<void> {
    const names = [...this.names.values()];
    this.names.clear();
    if (names.length > 0) await docker(["rm", "-f", "-v", ...names]);
  }
}

/**
 * How the step's variables reach `docker run`: by name (`-e NAME`) from the CLI's
 * environment, so that values (secrets among them) stay off its command line. The CLI
 * keeps this process's own environment (its PATH, DOCKER_HOST, DOCKER_CONFIG…); a step
 * variable of the same name with another value goes on the command line instead.
 */
export function containerVariables(
  step: Record<string, string>,
  own: NodeJS.ProcessEnv,
): { args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...own };
  const args: string[] = [];
  for (const [name, value] of Object.entries(step)) {
    if (own[name] === undefined || own[name] === value) {
      env[name] = value;
      args.push("-e", name);
    } else args.push("-e", `${name}=${value}`);
  }
  return { args, env };
}
