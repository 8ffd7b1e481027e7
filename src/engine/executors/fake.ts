import type { RuntimeEvent } from "../../core/events.ts";
import type { JobSpec } from "../../core/job-spec.ts";
import type { Executor, RunningRuntime, RuntimeExit, Session } from "../executor.ts";

/**
 * An executor that runs nothing: it plays a job from keys in the job's `env`, so
 * scheduler tests are fast and hermetic. Keys (values may use `${{ matrix.* }}`
 * only as literal text — the fake does not evaluate expressions):
 *   FAKE_RESULT   success (default) | failure
 *   FAKE_SLEEP_MS how long the job takes (default 0)
 *   FAKE_OUTPUTS  JSON object emitted as job outputs
 *   FAKE_CRASH    "1": exit without job.finished
 *   FAKE_FAIL_MATRIX JSON object: instances whose matrix has these values fail at once
 * It records every spec it was given and the peak number of jobs running at once.
 */
export class FakeExecutor implements Executor {
  readonly kind = "host";
  readonly specs: JobSpec[] = [];
  running = 0;
  peak = 0;

  async prepare(): Promise<Session> {
    const paths = {
      workspace: "/fake/ws",
      temp: "/fake/tmp",
      toolCache: "/fake/cache",
      files: "/fake/files",
    };
    return {
      paths,
      inContainer: false,
      start: (spec, handlers) => this.play(spec, handlers.onEvent),
      cleanup: async () => {},
    };
  }

  private play(spec: JobSpec, onEvent: (e: RuntimeEvent) => void): RunningRuntime {
    this.specs.push(spec);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    const env = { ...spec.env.workflow, ...spec.env.job };
    const at = () => new Date().toISOString();
    let cancelled = false;
    let finish: (exit: RuntimeExit) => void = () => {};
    const exited = new Promise<RuntimeExit>((resolve) => {
      finish = resolve;
    });
    onEvent({ type: "job.started", at: at(), job: spec.jobId });
    const failMatrix = env.FAKE_FAIL_MATRIX
      ? (JSON.parse(env.FAKE_FAIL_MATRIX) as Record<string, unknown>)
      : null;
    const failsByMatrix =
      failMatrix !== null &&
      Object.entries(failMatrix).every(([k, v]) => spec.contexts.matrix?.[k] === v);
    const fails = env.FAKE_RESULT === "failure" || failsByMatrix;
    const end = () => {
      this.running--;
      if (env.FAKE_CRASH === "1") return finish({ kind: "exited", code: 1 });
      const result = cancelled ? "cancelled" : fails ? "failure" : "success";
      if (result === "success" && env.FAKE_OUTPUTS) {
        onEvent({
          type: "job.outputs",
          at: at(),
          outputs: JSON.parse(env.FAKE_OUTPUTS) as Record<string, string>,
        });
      }
      onEvent({ type: "job.finished", at: at(), result });
      finish({ kind: "exited", code: 0 });
    };
    const timer = setTimeout(end, failsByMatrix ? 0 : Number(env.FAKE_SLEEP_MS ?? 0));
    const stop = () => {
      if (cancelled) return;
      cancelled = true;
      clearTimeout(timer);
      setImmediate(end);
    };
    return { exited, cancel: stop, kill: stop };
  }
}
