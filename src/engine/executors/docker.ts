import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { docker, dockerCommand, dockerOk } from "../docker/cli.ts";
import { ensureImage } from "../docker/images.ts";
import { JOB_LABEL, OWNER_LABEL, ownerId } from "../docker/owner.ts";
import { repositoryImage } from "../docker/repo-image.ts";
import { type RuntimeKit, runtimeKit } from "../docker/runtime-kit.ts";
import { stepContainers } from "../docker/step-containers.ts";
import type { ContainerPlacement, Executor, PrepareRequest, Session } from "../executor.ts";
import { attachRuntime } from "./attach-runtime.ts";
import { jobDirectory } from "./job-dir.ts";

export interface DockerExecutorOptions {
  /** Directory under which each job gets `<jobKey>/{workspace,temp,files}` (bound into its container). */
  root: string;
  /** Shared between jobs (remote actions); bound read-write. */
  toolCache: string;
  /** The image of a job that names none (`--executor docker` on a job without `container:`). */
  defaultImage: string;
  /** Variables every job's container gets besides its image's and its `container.env`. */
  env?: Record<string, string>;
  keep?: boolean;
}

/**
 * One container per job, from the job's image, with the runtime brought in (see
 * runtime-kit.ts): the job's directories are bound at the same paths as on the host,
 * so paths in the spec, in logs and in the checkout are the same inside and out.
 * Every container is labelled with its owner and job and removed on every path;
 * `removeOrphans()` (owner.ts) removes what a killed process left behind.
 */
export class DockerExecutor implements Executor {
  readonly kind = "docker";
  private kit: Promise<RuntimeKit> | null = null;
  private readonly owner = ownerId();

  constructor(private readonly options: DockerExecutorOptions) {}

  async prepare(request: PrepareRequest): Promise<Session> {
    const placement = request.placement;
    let container: ContainerPlacement =
      placement?.executor === "docker"
        ? placement.container
        : {
            image: this.options.defaultImage,
            fromJob: false,
            env: {},
            options: [],
            volumes: [],
            credentials: null,
          };
    // A repository with `.equinox/Dockerfile` brings its own image, in place of a
    // label's (a job's own `container:` still wins).
    if (!container.fromJob) {
      const built = await repositoryImage(request.checkout, request.log ?? (() => {}));
      if (built) container = { ...container, image: built };
    }
    this.kit ??= runtimeKit(join(this.options.root, ".runtime-kit"));
    const kit = await this.kit;
    await ensureImage(container.image, container.credentials);

    const { dir, paths } = jobDirectory(this.options.root, request.jobKey, this.options.toolCache);
    await mkdir(paths.workspace, { recursive: true });
    await mkdir(paths.temp, { recursive: true });
    await mkdir(paths.toolCache, { recursive: true });
    const name = `equinox-${request.jobKey}`.slice(0, 200);
    const args = [
      "run",
      "-i",
      "--init",
      "--name",
      name,
      "--label",
      `${OWNER_LABEL}=${this.owner}`,
      "--label",
      `${JOB_LABEL}=${request.jobKey}`,
      "--entrypoint",
      "",
      "-w",
      paths.workspace,
      "-v",
      `${dir}:${dir}`,
      "-v",
      `${paths.toolCache}:${paths.toolCache}`,
      ...(request.readPaths ?? []).flatMap((p) => ["-v", `${p}:${p}:ro`]),
      ...kit.mounts,
      ...container.volumes.flatMap((v) => ["-v", v]),
      ...Object.entries({ ...this.options.env, ...container.env }).flatMap(([k, v]) => [
        "-e",
        `${k}=${v}`,
      ]),
      ...(request.network ? ["--network", request.network] : []),
      ...container.options,
      container.image,
      ...kit.command,
    ];
    let started = false;
    const keep = this.options.keep ?? false;
    const steps = stepContainers(request, dir, paths.toolCache);
    return {
      paths,
      inContainer: container.fromJob,
      start: (spec, handlers) => {
        started = true;
        const child = spawn(dockerCommand(), args, { stdio: ["pipe", "pipe", "pipe"] });
        const job = {
          ...spec.contexts.job,
          container: { id: name, network: request.network ?? "" },
        };
        // A label's image stands for the runner machine, which has `node` (GitHub's
        // runner images do); a job's own `container:` gets none on its PATH, as in Actions.
        const placed = {
          ...spec,
          node: kit.node,
          ...(container.fromJob ? {} : { toolPath: [dirname(kit.node)] }),
          contexts: { ...spec.contexts, job },
        };
        return attachRuntime(child, JSON.stringify(placed), handlers, {
          // `docker run` does not pass signals on; --init's tini gives them to the runtime.
          signal: (signal) =>
            void docker(["kill", "--signal", signal === "SIGKILL" ? "KILL" : "TERM", name]),
          containers: steps,
        });
      },
      cleanup: async () => {
        if (started) await docker(["rm", "-f", "-v", name]);
        await steps.removeAll();
        if (!keep) await removeJobDir(dir, container.image);
      },
    };
  }
}

/**
 * Removes a job's directory. What the job's container created there belongs to the
 * container's user (root, usually); when this process may not remove it, a throwaway
 * container of the same image does.
 */
async function removeJobDir(dir: string, image: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code !== "EACCES" &&
      (err as NodeJS.ErrnoException).code !== "EPERM"
    )
      throw err;
    await dockerOk([
      "run",
      "--rm",
      "--entrypoint",
      "",
      "-v",
      `${dir}:/job`,
      image,
      "find",
      "/job",
      "-mindepth",
      "1",
      "-delete",
    ]);
    await rm(dir, { recursive: true, force: true });
  }
}
