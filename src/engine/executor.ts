import type { RuntimeEvent } from "../core/events.ts";
import type { JobSpec } from "../core/job-spec.ts";

/**
 * An Executor places one job somewhere (a host directory, a sandbox, a container,
 * a VM), starts the runtime there, and streams its events back.
 *
 * Lifecycle, for every job:
 *   1. `prepare(request)` creates the job's place and returns a Session whose
 *      `paths` are the directories *as the runtime will see them*; the caller puts
 *      them in the JobSpec. On failure it throws, after undoing what it created.
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
   * A hint that a job will start soon: an executor may get a runtime ready ahead of
   * time (start latency is most of a short job's cost). Optional; never required.
   */
  warm?(): void;
  /** Releases what `warm` prepared. Called once when the caller is done with the executor. */
  dispose?(): Promise<void>;
}

export type ExecutorKind = "host" | "bwrap" | "docker" | "vm";

export interface PrepareRequest {
  /** Unique per job instance; safe for file names (`[A-Za-z0-9._-]`). */
  jobKey: string;
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
