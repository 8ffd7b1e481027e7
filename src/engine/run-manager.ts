import { Masker } from "../core/masking.ts";
import { selectWorkflows } from "../core/plan/select.ts";
import type { TriggerEvent } from "../core/plan/triggers.ts";
import { formatWorkflowError, type Workflow } from "../core/workflow/model.ts";
import { pipelineWorkflow } from "../core/workflow/pipeline.ts";
import type { EndReason, PlanNode, Run } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { Executor } from "./executor.ts";
import type { LogHub } from "./log-hub.ts";
import { planPipelineJob } from "./pipeline-plan.ts";
import { RunRecorder } from "./run-recorder.ts";
import { type RunEnvironment, Scheduler, type SchedulerOptions } from "./scheduler.ts";
import { runsOnLabels, type Slots } from "./slots.ts";

/** What a run needs to start, read when it starts (the server implements it). */
export type PreparedRun =
  | {
      ok: true;
      env: RunEnvironment;
      trigger: TriggerEvent;
      target: { kind: "workflow"; workflow: Workflow } | { kind: "pipeline"; file: string };
    }
  | { ok: false; error: string };

export interface RunSource {
  prepare(run: Run): Promise<PreparedRun>;
}

export interface RunManagerOptions {
  /** Runs held in memory at once; the rest wait in the store. Default 32. */
  maxLiveRuns?: number;
  /** A run still going after this long is cancelled (reason `timeout`). Default 24 h. */
  runTimeoutMs?: number;
  maxLogBytes?: number;
  /** Where each job runs (labels.ts). Default: the executor's default. */
  place?: SchedulerOptions["place"];
  onDiagnostic?(line: string): void;
  /** Called when a run ends (tests, metrics). */
  onRunFinished?(run: Run): void;
}

interface LiveRun {
  repo: string;
  abort: AbortController;
  reason: EndReason | null;
  supersededBy: number | null;
  done: Promise<void>;
}

/**
 * The durable scheduler: queued runs live in the store (the queue survives restarts);
 * this takes them oldest first, runs each through the same `Scheduler` → `runJob` →
 * executor → runtime path as `equinox run`, with jobs waiting for the server's shared
 * slots, and records everything as it happens.
 */
export class RunManager {
  private readonly live = new Map<number, LiveRun>();
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  private readonly maxLiveRuns: number;
  private readonly runTimeoutMs: number;

  constructor(
    private readonly store: Store,
    private readonly executor: Executor,
    private readonly slots: Slots,
    private readonly hub: LogHub,
    private readonly source: RunSource,
    private readonly options: RunManagerOptions = {},
  ) {
    this.maxLiveRuns = options.maxLiveRuns ?? 32;
    this.runTimeoutMs = options.runTimeoutMs ?? 24 * 60 * 60_000;
  }

  /** Startup: what was running when the server stopped is orphaned; queued runs start. */
  async start(): Promise<{ runs: number; jobs: number }> {
    const orphaned = await this.store.reconcile();
    this.wake();
    return orphaned;
  }

  isLive(runId: number): boolean {
    return this.live.has(runId);
  }

  /** New runs may be queued: start what fits. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err: Error) => this.options.onDiagnostic?.(`queue: ${err.message}`))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pump() {
    if (this.live.size >= this.maxLiveRuns) return;
    for (const run of await this.store.listQueuedRuns()) {
      if (this.stopped || this.live.size >= this.maxLiveRuns) return;
      if (!this.live.has(run.id)) this.launch(run);
    }
  }

  /**
   * Cancels a run: a live one's jobs are cancelled for real (processes killed, `always()`
   * steps run); a queued one ends at once. False when it had already ended.
   */
  async cancel(
    runId: number,
    reason: "user" | "superseded",
    supersededBy: number | null = null,
  ): Promise<boolean> {
    const live = this.live.get(runId);
    if (live) {
      if (live.abort.signal.aborted) return false;
      live.reason = reason;
      live.supersededBy = supersededBy;
      live.abort.abort();
      return true;
    }
    return this.store.finishRun(runId, { result: "cancelled", reason, supersededBy });
  }

  /**
   * Cancels every unfinished run of a repository (reason `user`) and resolves once the
   * live ones have ended, so nothing writes to its records any more; false when some
   * were still going after `timeoutMs`. Used before the repository is deleted.
   */
  async cancelRepo(repo: string, timeoutMs = 30_000): Promise<boolean> {
    // Queued ones first, so the queue cannot launch them while the live ones end.
    for (const run of await this.store.listQueuedRuns())
      if (run.repo === repo && !this.live.has(run.id)) await this.cancel(run.id, "user");
    const ending = [...this.live].filter(([, live]) => live.repo === repo);
    for (const [runId] of ending) await this.cancel(runId, "user");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ended = await Promise.race([
      Promise.all(ending.map(([, live]) => live.done)).then(() => true),
      timedOut,
    ]);
    clearTimeout(timer);
    if (!ended)
      this.options.onDiagnostic?.(`runs of '${repo}' still going ${timeoutMs} ms after cancel`);
    return ended;
  }

  /** Stops taking runs, cancels the live ones (recorded as orphaned) and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const live of this.live.values()) {
      live.reason = "orphaned";
      live.abort.abort();
    }
    await Promise.all([...this.live.values()].map((l) => l.done));
  }

  private launch(run: Run) {
    const abort = new AbortController();
    const live: LiveRun = {
      repo: run.repo,
      abort,
      reason: null,
      supersededBy: null,
      done: Promise.resolve(),
    };
    this.live.set(run.id, live);
    const timer = setTimeout(() => {
      live.reason = "timeout";
      abort.abort();
    }, this.runTimeoutMs);
    timer.unref();
    // Never rejects: nothing awaits it but stop() and cancelRepo(), and an unhandled
    // rejection would take the whole server down. The run leaves `live` on every path.
    live.done = (async () => {
      const diagnose = (what: string, err: unknown) =>
        this.options.onDiagnostic?.(
          `run ${run.id}: ${what}: ${(err as Error)?.stack ?? (err as Error)?.message ?? String(err)}`,
        );
      try {
        await this.execute(run, live).catch(async (err: Error) => {
          diagnose("internal error", err);
          await this.store.finishRun(run.id, {
            result: "failure",
            reason: "internal",
            error: `internal error: ${err.message}`,
          });
        });
      } catch (err) {
        diagnose("could not record its end", err);
      } finally {
        clearTimeout(timer);
        this.live.delete(run.id);
      }
      try {
        const ended = await this.store.getRun(run.id);
        if (ended) this.options.onRunFinished?.(ended);
      } catch (err) {
        diagnose("after it ended", err);
      }
      this.wake();
    })();
  }

  private async execute(run: Run, live: LiveRun): Promise<void> {
    const signal = live.abort.signal;
    // The run may have ended (cancelled while queued) since the queue was read.
    const fresh = await this.store.getRun(run.id);
    if (fresh?.state.status !== "queued") return;

    const prepared = await this.source.prepare(fresh);
    if (!prepared.ok) {
      await this.store.finishRun(run.id, {
        result: "failure",
        reason: "pipeline",
        error: prepared.error,
      });
      return;
    }
    const { env, trigger, target } = prepared;
    const masker = new Masker();
    for (const value of Object.values(env.secrets)) masker.add(value);
    const recorder = new RunRecorder(this.store, this.hub, run.id, masker, {
      ...(this.options.maxLogBytes !== undefined ? { maxLogBytes: this.options.maxLogBytes } : {}),
      ...(this.options.onDiagnostic ? { onDiagnostic: this.options.onDiagnostic } : {}),
    });
    let started = false;
    const markStarted = async () => {
      if (started) return;
      started = true;
      await this.store.startRun(run.id);
    };
    recorder.onFirstJobStarted = () =>
      void markStarted().catch((err: Error) =>
        this.options.onDiagnostic?.(`run ${run.id}: could not mark it started: ${err.message}`),
      );

    const end = async (result: "success" | "failure" | "cancelled" | "skipped", error?: string) => {
      await recorder.close();
      const reason: EndReason | null =
        result === "cancelled" || result === "failure" ? (live.reason ?? null) : null;
      await this.store.finishRun(run.id, {
        result: live.reason === "orphaned" ? "failure" : result,
        reason,
        supersededBy: live.reason === "superseded" ? live.supersededBy : null,
        ...(error ? { error } : {}),
      });
    };

    let workflow: Workflow;
    if (target.kind === "pipeline") {
      const release = await this.slots.acquire([], signal).catch(() => null);
      if (!release) return end("cancelled");
      let plan: Awaited<ReturnType<typeof planPipelineJob>>;
      try {
        await markStarted();
        plan = await planPipelineJob(this.executor, env, target.file, {
          signal,
          ...(this.options.place ? { place: this.options.place } : {}),
          ...(this.options.onDiagnostic ? { onDiagnostic: this.options.onDiagnostic } : {}),
        });
      } finally {
        release();
      }
      if (signal.aborted) return end("cancelled");
      if (!plan.ok)
        return end("failure", plan.errors.map((e) => formatWorkflowError(e)).join("\n"));
      const t = trigger as { name: string; inputs?: Record<string, string>; cron?: string | null };
      workflow = pipelineWorkflow(target.file, plan.jobs, {
        name: t.name,
        inputs: t.inputs ?? {},
        cron: t.cron ?? null,
      });
      await this.store.setRunPlan(run.id, planOf(workflow));
    } else {
      workflow = target.workflow;
    }

    const selection = selectWorkflows([workflow], trigger);
    if (selection.errors.length > 0) return end("failure", selection.errors.join("\n"));
    const selected = selection.selected[0];
    if (!selected) return end("skipped");

    const scheduler = new Scheduler(this.executor, env, {
      signal,
      concurrency: Number.POSITIVE_INFINITY,
      acquire: (job, jobSignal) => this.slots.acquire(runsOnLabels(job.runsOn), jobSignal),
      reuse: new Map(Object.entries(fresh.reuse)),
      ...(this.options.place ? { place: this.options.place } : {}),
      onEvent: (event) => {
        recorder.cancelReason = live.reason;
        recorder.handle(event);
      },
    });
    const summary = await scheduler.run([
      { workflow: selected.workflow, inputs: selected.inputs, only: null },
    ]);
    const allSkipped = summary.jobs.every((j) => j.result === "skipped");
    await end(summary.result === "success" && allSkipped ? "skipped" : summary.result);
  }
}

/** The job graph of a workflow, as shown before its jobs start. */
export function planOf(workflow: Workflow): PlanNode[] {
  return workflow.jobs.map((j) => ({ jobId: j.id, name: j.name ?? j.id, needs: j.needs }));
}
