import type { RuntimeEvent } from "../core/events.ts";
import type { CheckoutSource, JobSpec } from "../core/job-spec.ts";

/**
 * An Executor places one job somewhere (a host directory, a sandbox, a container,
 * a VM), starts the runtime there, and streams its events back.
 *
 * Lifecycle, for every job:
 *   1. `prepare(request)` creates the job's place and returns a Session whose
 *      `paths` are the directories *as the runtime will see them*; the caller puts
 *      them in the JobSpec. On failure it throws, after undoing what it created;
 *      likewise, promptly, when `request.signal` fires (cancel, prepare timeout).
 *   2. `session.start(spec)` starts the runtime with the spec on its stdin and
 *      returns at once. Events arrive through `onEvent`, in order; stderr lines
 *      (runtime diagnostics, never user output) through `onDiagnostic`.
 *   3. `running.exited` resolves when the runtime process is gone, with how it
 *      ended. A stream without `job.finished` means the runtime crashed.
 *   4. `running.cancel()` asks the runtime to cancel (SIGTERM: the step's process
 *      group is terminated, `always()` steps run); `running.kill()` ends it now.
 *      Both are idempotent and safe after exit.
 *   5. `session.cleanup()` removes everything `prepare` created. It is called on
 *      every path — success, failure, cancel, a `start` that threw — and must
 *      succeed (or throw only for an unexpected I/O error) in each of them. It is
 *      idempotent.
 *
 * Concurrency: one Executor serves many jobs at once; a Session serves one job.
 */
export interface Executor {
  readonly kind: ExecutorKind;
  prepare(request: PrepareRequest): Promise<Session>;
  /**
   * A hint that a job will start soon — one like `like`, when given: an executor may
   * get a runtime ready ahead of time (start latency is most of a short job's cost).
   * Optional; never required.
   */
  warm?(like?: Omit<PrepareRequest, "jobKey">): void;
  /** Releases what `warm` prepared. Called once when the caller is done with the executor. */
  dispose?(): Promise<void>;
}

export type ExecutorKind = "host" | "bwrap" | "docker" | "vm";

export interface PrepareRequest {
  /** Unique per job instance; safe for file names (`[A-Za-z0-9._-]`). */
  jobKey: string;
  /**
   * Host paths the job reads besides its own directories (the checkout source): a
   * sandbox or container shows them read-only, at the same path. Default: none.
   */
  readPaths?: readonly string[];
  /** Where and how the job runs, as chosen from its labels (labels.ts). Default: host. */
  placement?: Placement;
  /** `services:` sidecars to start before the job and remove after it (any executor). */
  services?: readonly ServicePlacement[];
  /** A Docker network a container job joins (its services' network). */
  network?: string;
  /** The job's checkout source: the docker executor builds `.equinox/Dockerfile` from it. */
  checkout?: CheckoutSource;
  /** Lines for the job's log while its place is made (an image build). */
  log?(line: string): void;
  /**
   * Fires when the job is cancelled or its preparation has taken too long: `prepare`
   * stops what it is waiting for (an image pull or build, services' health), undoes
   * what it created and rejects.
   */
  signal?: AbortSignal;
}

/** Limits on a sandboxed job's processes (bwrap: rlimits set with prlimit(1)). */
export interface ResourceLimits {
  /** Address space per process, bytes. */
  memoryBytes?: number;
  /** Processes (threads) of the job's user. */
  processes?: number;
  /** CPU time per process, seconds. */
  cpuSeconds?: number;
  /** Size of a file a process may write, bytes. */
  fileBytes?: number;
  /** Open files per process. */
  openFiles?: number;
}

export type Placement =
  | { executor: "host" }
  | { executor: "bwrap"; network: boolean; limits: ResourceLimits }
  | { executor: "docker"; container: ContainerPlacement }
  | { executor: "vm"; image: string };

/** A job container: from a label's `docker://image`, or the job's `container:`. */
export interface ContainerPlacement {
  image: string;
  /**
   * The job asked for it with `container:`: its shells default to `sh -e`, as in
   * Actions. A label's image stands for the runner machine itself (bash, like host).
   */
  fromJob: boolean;
  env: Record<string, string>;
  /** Extra `docker create` options, split like a shell would (`container.options`). */
  options: string[];
  /** `host:container[:ro]` or `volume:container` as in `container.volumes`. */
  volumes: string[];
  /** Credentials for a private registry (`container.credentials`). */
  credentials: { username: string; password: string } | null;
}

/** A `services:` sidecar: reachable by `name` from a container job, by mapped port from a host job. */
export interface ServicePlacement extends ContainerPlacement {
  name: string;
  /** `ports`: `80` (published on a free host port), `8080:80`, `127.0.0.1:8080:80/tcp`. */
  ports: string[];
}

export interface Session {
  readonly paths: JobSpec["paths"];
  /** True when the job runs inside a container (decides the default shell). */
  readonly inContainer: boolean;
  start(spec: JobSpec, handlers: RuntimeHandlers): RunningRuntime;
  cleanup(): Promise<void>;
}

export interface RuntimeHandlers {
  onEvent(event: RuntimeEvent): void;
  /** A line the runtime wrote to stderr, or a malformed event line. */
  onDiagnostic(line: string): void;
}

export type RuntimeExit =
  | { kind: "exited"; code: number }
  | { kind: "signalled"; signal: string }
  | { kind: "spawn-error"; message: string };

export interface RunningRuntime {
  exited: Promise<RuntimeExit>;
  cancel(): void;
  kill(): void;
}
