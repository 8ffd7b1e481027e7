import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { docker, dockerCommand } from "../docker/cli.ts";
import { ensureImage } from "../docker/images.ts";
import { JOB_LABEL, OWNER_LABEL, ownerId } from "../docker/owner.ts";
import { repositoryImage } from "../docker/repo-image.ts";
import { type RuntimeKit, runtimeKit } from "../docker/runtime-kit.ts";
import { stepContainers } from "../docker/step-containers.ts";
import { containerVariables } from "../docker/variables.ts";
import type { ContainerPlacement, Executor, PrepareRequest, Session } from "../executor.ts";
import { attachRuntime } from "./attach-runtime.ts";
import { jobDirectory, removeDirectory } from "./job-dir.ts";

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
      const built = await repositoryImage(
        request.checkout,
        request.log ?? (() => {}),
        request.signal,
      );
      if (built) container = { ...container, image: built };
    }
    this.kit ??= runtimeKit(join(this.options.root, ".runtime-kit"));
    const kit = await this.kit;
    await ensureImage(container.image, container.credentials, request.signal);
    request.signal?.throwIfAborted();

    const { dir, paths } = jobDirectory(this.options.root, request.jobKey, this.options.toolCache);
    await mkdir(paths.workspace, { recursive: true });
    await mkdir(paths.temp, { recursive: true });
    await mkdir(paths.toolCache, { recursive: true });
    const name = `equinox-${request.jobKey}`.slice(0, 200);
    // Docker writes the id of the container it made here: cleanup removes that one and
    // nothing else (not a container of the same name another job made). Outside the
    // job's directory, which the job can write.
    const cidFile = join(this.options.root, ".containers", `${request.jobKey}.cid`);
    await mkdir(dirname(cidFile), { recursive: true });
    const containerId = async (): Promise<string | null> =>
      (await readFile(cidFile, "utf8").catch(() => "")).trim() || null;
    // The job's variables (`--env`, `container.env`) reach `docker run` by name from
    // its environment, never on its command line, where `ps` shows them.
    const variables = await containerVariables({ ...this.options.env, ...container.env });
    const args = [
      "run",
      "-i",
      "--init",
      "--name",
      name,
      "--cidfile",
      cidFile,
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
      ...variables.args,
      ...(request.network ? ["--network", request.network] : []),
      ...container.options,
      container.image,
      ...kit.command,
    ];
    let started = false;
    const keep = this.options.keep ?? false;
    const steps = stepContainers(request, dir, paths.toolCache, {
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    return {
      paths,
      inContainer: container.fromJob,
      start: (spec, handlers) => {
        started = true;
        const child = spawn(dockerCommand(), args, {
          env: variables.env,
          stdio: ["pipe", "pipe", "pipe"],
        });
        // Once the runtime speaks, docker has read its env file: it goes at once.
        child.stdout.once("data", () => void variables.remove());
        child.once("close", () => void variables.remove());
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
          // No id yet: no container yet either, and the client itself is stopped.
          signal: (signal) =>
            void containerId().then((id) => {
              if (id) void docker(["kill", "--signal", signal === "SIGKILL" ? "KILL" : "TERM", id]);
              else child.kill(signal);
            }),
          containers: steps,
        });
      },
      cleanup: async () => {
        if (started) await this.removeContainer(await containerId(), request.jobKey);
        await rm(cidFile, { force: true });
        await variables.remove();
        await steps.removeAll();
        if (!keep)
          await removeJobDir(
            dir,
            container.image,
            `${name}-cleanup`,
            [
              "--label",
              `${OWNER_LABEL}=${this.owner}`,
              "--label",
              `${JOB_LABEL}=${request.jobKey}`,
            ],
            request.log ?? (() => {}),
          );
      },
    };
  }

  /**
   * Removes a job's container: the one Docker said it made, or without its id (the
   * client was killed before Docker wrote it), what carries this job's key and this
   * process's owner label.
   */
  private async removeContainer(id: string | null, jobKey: string): Promise<void> {
    const ids = id
      ? [id]
      : (
          await docker([
            "ps",
            "-aq",
            "--filter",
            `label=${OWNER_LABEL}=${this.owner}`,
            "--filter",
            `label=${JOB_LABEL}=${jobKey}`,
          ])
        ).stdout
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean);
    if (ids.length > 0) await docker(["rm", "-f", "-v", ...ids]);
  }
}

/** How long the throwaway container that removes a job's files may take. */
const REMOVE_WITHIN_MS = 60_000;

/**
 * Removes a job's directory; never throws, says in `log` what it could not remove.
 * What the job's container created there belongs to the container's user (root,
 * usually): when this process may not remove it, a throwaway container of the same
 * image does — labelled like the job's, so the orphan sweep finds it, and removed
 * after a minute. An image without `find` (distroless) cannot; then it stays.
 */
async function removeJobDir(
  dir: string,
  image: string,
  name: string,
  labels: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  if ((await removeDirectory(dir)) === null) return;
  const timer = setTimeout(() => void docker(["rm", "-f", name]), REMOVE_WITHIN_MS);
  const removal = await docker([
    "run",
    "--rm",
    "--name",
    name,
    ...labels,
    "--network",
    "none",
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
  clearTimeout(timer);
  const problem = await removeDirectory(dir);
  if (problem)
    log(
      `##[warning]Could not remove the job's directory: ${problem}${removal.code === 0 ? "" : `; a container of ${image} could not either: ${(removal.stderr || removal.stdout).trim().split("\n")[0]}`}`,
    );
}
