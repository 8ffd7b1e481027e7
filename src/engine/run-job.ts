import { randomBytes } from "node:crypto";
import type { FailureReason, Result, RuntimeEvent } from "../core/events.ts";
import type { CheckoutSource, JobSpec } from "../core/job-spec.ts";
import type { Executor, Placement, RunningRuntime, ServicePlacement } from "./executor.ts";

export interface StepOutcome {
  index: number;
  id: string | null;
  name: string;
  outcome: Result;
  conclusion: Result;
}

export interface JobOutcome {
  result: Result;
  /** Why the job did not succeed, when that is not the job's own doing. */
  reason: FailureReason | null;
  outputs: Record<string, string>;
  steps: StepOutcome[];
}

export interface RunJobOptions {
  /** Builds the spec once the executor has said where the job's directories are. */
  spec(paths: JobSpec["paths"], inContainer: boolean): JobSpec;
  jobKey: string;
  /** Where the job runs and its services (see labels.ts); passed to the executor. */
  placement?: Placement;
  services?: readonly ServicePlacement[];
  /** Host paths the job reads (the checkout source). */
  readPaths?: readonly string[];
  checkout?: CheckoutSource;
  timeoutMs: number;
  /**
   * How long the executor may take to make the job's place: an image pull, a
   * `.equinox/Dockerfile` build, services becoming healthy. Default: `timeoutMs`, so a
   * job never holds its slot longer than its own `timeout-minutes` before it starts.
   */
  prepareTimeoutMs?: number;
  signal?: AbortSignal;
  onEvent?(event: RuntimeEvent): void;
  /** Lines written by the engine itself into the job's log (timeouts, crashes). */
  onSystemLog?(line: string): void;
  onDiagnostic?(line: string): void;
}

/** How long a runtime may take to start its job (a container's or VM's start-up). */
const STARTUP_TIMEOUT_MS = 5 * 60_000;

/** After asking the runtime to cancel, how long before it is killed outright. */
const KILL_AFTER_MS = 15_000;

const MAX_KEY_LENGTH = 120;
let keysMade = 0;

/**
 * A job key (PrepareRequest.jobKey) from a readable `name`: job directories and
 * container and network names derive from it, so no two jobs may share one. A counter
 * makes it unique in this process, the pid and a random part across processes (a
 * clock is not enough: two jobs start in the same millisecond). Safe for file and
 * container names, at most 120 characters; the end of `name` is kept when it is long.
 */
export function uniqueJobKey(name: string): string {
  const suffix = `-${process.pid}-${(++keysMade).toString(36)}-${randomBytes(3).toString("hex")}`;
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${safe.slice(-(MAX_KEY_LENGTH - suffix.length))}${suffix}`;
}

/**
 * Runs one job through an executor and the runtime, start to cleanup. The outcome
 * comes from the runtime's events; a runtime that dies without `job.finished` is a
 * `failure` with reason `internal`, never a silent success.
 */
export async function runJob(executor: Executor, options: RunJobOptions): Promise<JobOutcome> {
  const { onEvent = () => {}, onSystemLog = () => {}, onDiagnostic = () => {} } = options;
  const steps = new Map<number, StepOutcome>();
  let outputs: Record<string, string> = {};
  let finished: { result: Result } | null = null;
  let reason: FailureReason | null = null;

  // The job's time starts when its runtime starts the job, not while its container or
  // sandbox is being made (a 1-minute job is not cut short by an image's start-up).
  let jobStarted = () => {};
  const handle = (event: RuntimeEvent) => {
    switch (event.type) {
      case "job.started":
        jobStarted();
        break;
      case "step.started":
        steps.set(event.index, {
          index: event.index,
          id: event.id,
          name: event.name,
          outcome: "skipped",
          conclusion: "skipped",
        });
        break;
      case "step.finished": {
        const step = steps.get(event.index);
        if (step) Object.assign(step, { outcome: event.outcome, conclusion: event.conclusion });
        break;
      }
      case "job.outputs":
        outputs = event.outputs;
        break;
      case "job.finished":
        finished = { result: event.result };
        break;
    }
    onEvent(event);
  };

  // Making the job's place (pulling or building an image, starting services) is
  // cancellable and bounded too: a Dockerfile that never finishes building must not
  // hold a slot for ever.
  const preparing = new AbortController();
  const prepareLimitMs = options.prepareTimeoutMs ?? options.timeoutMs;
  let prepareTimedOut = false;
  const prepareTimer = setTimeout(() => {
    prepareTimedOut = true;
    preparing.abort();
  }, prepareLimitMs);
  const cancelPrepare = () => preparing.abort();
  if (options.signal?.aborted) preparing.abort();
  options.signal?.addEventListener("abort", cancelPrepare, { once: true });
  const notReady = (): JobOutcome => {
    onSystemLog(
      `##[error]The job's ${options.placement?.executor ?? executor.kind} executor did not get the job ready within ${formatMinutes(prepareLimitMs)} (pulling or building its image, starting its services); it was stopped.`,
    );
    return { result: "failure", reason: "timeout", outputs, steps: [] };
  };

  let session: Awaited<ReturnType<Executor["prepare"]>> | null = null;
  try {
    try {
      session = await executor.prepare({
        jobKey: options.jobKey,
        ...(options.placement ? { placement: options.placement } : {}),
        ...(options.services ? { services: options.services } : {}),
        ...(options.readPaths ? { readPaths: options.readPaths } : {}),
        ...(options.checkout ? { checkout: options.checkout } : {}),
        log: onSystemLog,
        signal: preparing.signal,
      });
    } catch (err) {
      if (prepareTimedOut) return notReady();
      if (options.signal?.aborted) {
        onSystemLog("The job was cancelled before it started.");
        return { result: "cancelled", reason: null, outputs, steps: [] };
      }
      throw err;
    } finally {
      clearTimeout(prepareTimer);
      options.signal?.removeEventListener("abort", cancelPrepare);
    }
    // An executor that does not watch the signal may come back late: too late is too late.
    if (prepareTimedOut) return notReady();
    const running = session.start(options.spec(session.paths, session.inContainer), {
      onEvent: handle,
      onDiagnostic,
    });
    const stop = stopper(running);
    const timeOut = (message: string) => {
      reason = "timeout";
      onSystemLog(`##[error]${message}`);
      stop();
    };
    let timer = setTimeout(
      () => timeOut(`The job's runtime did not start within ${formatMinutes(STARTUP_TIMEOUT_MS)}.`),
      STARTUP_TIMEOUT_MS,
    );
    jobStarted = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          timeOut(
            `The job has exceeded the maximum execution time of ${formatMinutes(options.timeoutMs)}.`,
          ),
        options.timeoutMs,
      );
    };
    const onAbort = () => stop();
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const exit = await running.exited;
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);

    const end = finished as { result: Result } | null;
    if (end)
      return {
        result: reason === "timeout" ? "cancelled" : end.result,
        reason,
        outputs,
        steps: [...steps.values()],
      };
    const how =
      exit.kind === "exited"
        ? `exited with code ${exit.code}`
        : exit.kind === "signalled"
          ? `was killed by ${exit.signal}`
          : `could not start: ${exit.message}`;
    if (options.signal?.aborted || reason === "timeout") {
      onSystemLog(`##[error]The runtime ${how} while the job was being cancelled.`);
      return { result: "cancelled", reason, outputs, steps: [...steps.values()] };
    }
    onSystemLog(`##[error]The job's runtime ${how} before the job finished.`);
    return { result: "failure", reason: "internal", outputs, steps: [...steps.values()] };
  } catch (err) {
    onSystemLog(
      `##[error]Could not run the job on the ${options.placement?.executor ?? executor.kind} executor: ${(err as Error).message}`,
    );
    return { result: "failure", reason: "internal", outputs, steps: [...steps.values()] };
  } finally {
    await session?.cleanup().catch((err: Error) => onDiagnostic(`cleanup failed: ${err.message}`));
  }
}

/** Cancel politely once; kill if the runtime has not exited in time. */
function stopper(running: RunningRuntime): () => void {
  let asked = false;
  return () => {
    if (asked) return;
    asked = true;
    running.cancel();
    const killer = setTimeout(() => running.kill(), KILL_AFTER_MS);
    killer.unref();
    running.exited.then(() => clearTimeout(killer));
  };
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes === 1 ? "1 minute" : `${Number(minutes.toFixed(2))} minutes`;
}
