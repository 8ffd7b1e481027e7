import { join } from "node:path";
import { ownerId, removeOrphans } from "../docker/owner.ts";
import { type StartedServices, startServices } from "../docker/services.ts";
import type { Executor, ExecutorKind, PrepareRequest, Session } from "../executor.ts";
import { BwrapExecutor } from "./bwrap.ts";
import { DockerExecutor } from "./docker.ts";
import { HostExecutor } from "./host.ts";

export interface RouterOptions {
  /** Directory under which each job gets its directories (any executor). */
  root: string;
  toolCache: string;
  /** Environment host and bwrap runtimes start from. */
  env?: NodeJS.ProcessEnv;
  /** Variables every job gets besides its image's own, in a container (`--env`). */
  jobEnv?: Record<string, string>;
  keep?: boolean;
  /** Keep a host runtime started and waiting (a server). */
  keepWarm?: boolean;
  /** The image of a docker job that names none. */
  dockerImage: string;
}

/**
 * The executor a scheduler talks to: sends each job to the executor its placement
 * names (created when first needed), and runs its `services:` around it, on any
 * executor — a container job joins their network, a host job reaches their ports.
 */
export class ExecutorRouter implements Executor {
  readonly kind = "host";
  private readonly executors = new Map<ExecutorKind, Executor>();
  private readonly owner = ownerId();

  constructor(private readonly options: RouterOptions) {}

  private executor(kind: ExecutorKind): Executor {
    const existing = this.executors.get(kind);
    if (existing) return existing;
    const executor = this.create(kind);
    this.executors.set(kind, executor);
    return executor;
  }

  private create(kind: ExecutorKind): Executor {
    const { root, toolCache, env, keep } = this.options;
    const common = { root, toolCache, ...(env ? { env } : {}), ...(keep ? { keep } : {}) };
    switch (kind) {
      case "host":
        return new HostExecutor({
          ...common,
          ...(this.options.jobEnv ? { jobEnv: this.options.jobEnv } : {}),
          ...(this.options.keepWarm ? { keepWarm: true } : {}),
        });
      case "bwrap":
        // The sandbox gets only the job's own variables, and a tool cache its
        // unprivileged user can reach (not the caller's, e.g. under /root).
        return new BwrapExecutor({
          root,
          toolCache: join(root, ".tool-cache-sandbox"),
          ...(this.options.jobEnv ? { env: this.options.jobEnv } : {}),
          ...(keep ? { keep } : {}),
        });
      case "docker":
        return new DockerExecutor({
          root,
          toolCache,
          defaultImage: this.options.dockerImage,
          env: this.options.jobEnv ?? {},
          ...(keep ? { keep } : {}),
        });
      case "vm":
        throw new Error("the vm executor is not available yet (use host, bwrap or docker)");
    }
  }

  /** Warms the executor a job like `like` goes to (host without a hint). */
  warm(like?: Omit<PrepareRequest, "jobKey">): void {
    const kind = like?.placement?.executor ?? "host";
    if (kind === "vm") return;
    this.executor(kind).warm?.(like);
    // Jobs after the first: the executors already warmed keep a spare ready.
    if (!like) for (const [k, e] of this.executors) if (k !== "host") e.warm?.();
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.dispose?.()));
  }

  /** Removes what killed Equinox processes left in the container engine (when there is one). */
  async removeOrphans(): Promise<number> {
    return removeOrphans().catch(() => 0);
  }

  async prepare(request: PrepareRequest): Promise<Session> {
    const kind = request.placement?.executor ?? "host";
    const executor = this.executor(kind);
    let started: StartedServices | null = null;
    if (request.services && request.services.length > 0)
      started = await startServices(request.jobKey, this.owner, request.services, request.signal);
    let inner: Session;
    try {
      inner = await executor.prepare({
        ...request,
        ...(started ? { network: started.network } : {}),
      });
    } catch (err) {
      await started?.remove();
      throw err;
    }
    if (!started) return inner;
    const services = started.services;
    return {
      paths: inner.paths,
      inContainer: inner.inContainer,
      start: (spec, handlers) =>
        inner.start(
          { ...spec, contexts: { ...spec.contexts, job: { ...spec.contexts.job, services } } },
          handlers,
        ),
      cleanup: async () => {
        try {
          await inner.cleanup();
        } finally {
          await started.remove();
        }
      },
    };
  }
}
