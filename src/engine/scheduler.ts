import { availableParallelism } from "node:os";
import type { FailureReason, Result, RuntimeEvent } from "../core/events.ts";
import {
  type Contexts,
  evaluateCondition,
  evaluateTemplate,
  interpolate,
  isTruthy,
} from "../core/expressions/index.ts";
import type { CheckoutSource, JobSpec } from "../core/job-spec.ts";
import { eventPayloadFor } from "../core/plan/event-payload.ts";
import { expandMatrix, type MatrixCombination, matrixSuffix } from "../core/plan/matrix.ts";
import { withNeeds } from "../core/plan/needs.ts";
import type { JobDef, Workflow } from "../core/workflow/model.ts";
import type { Executor } from "./executor.ts";
import type { JobPlace, JobToPlace } from "./labels.ts";
import { type JobOutcome, runJob, type StepOutcome, uniqueJobKey } from "./run-job.ts";

/** A workflow chosen to run, with the `inputs` its trigger produced. */
export interface PlannedWorkflow {
  workflow: Workflow;
  inputs: Record<string, unknown>;
  /** Job ids to run (with everything they need); null for all. */
  only: string[] | null;
}

/** What every job of a run shares. */
export interface RunEnvironment {
  github: Record<string, unknown>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  runner: Record<string, unknown>;
  checkout: CheckoutSource;
  actionsUrl: string | null;
  debug: boolean;
}

export interface JobInfo {
  key: string;
  workflow: string;
  jobId: string;
  name: string;
  matrix: MatrixCombination | null;
  runsOn: unknown;
}

export interface JobRecord extends JobInfo {
  result: Result;
  reason: FailureReason | null;
  continueOnError: boolean;
  outputs: Record<string, string>;
  steps: StepOutcome[];
  startedAt: number | null;
  finishedAt: number | null;
}

export type SchedulerEvent =
  /** An instance exists and waits for a free slot (matrix instances appear once their needs are done). */
  | { type: "job.queued"; job: JobInfo }
  | { type: "job.started"; job: JobInfo }
  | { type: "job.event"; job: JobInfo; event: RuntimeEvent }
  /** A line the engine adds to a job's log (errors in planning, timeouts, crashes). */
  | { type: "job.log"; job: JobInfo; line: string }
  | { type: "job.finished"; job: JobRecord }
  | { type: "diagnostic"; job: JobInfo | null; line: string };

export interface SchedulerOptions {
  /** Jobs running at once across the run. Default: the number of CPUs. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?(event: SchedulerEvent): void;
  /**
   * Waits for a slot shared beyond this run (the server's global and per-label limits)
   * before a job starts; resolves to the slot's release. Rejects when `signal` aborts.
   */
  acquire?(job: JobInfo, signal: AbortSignal): Promise<() => void>;
  /**
   * Jobs taken over from an earlier run instead of running again ("re-run failed
   * jobs"), by workflow job id: they end at once with this result and these outputs.
   */
  reuse?: ReadonlyMap<string, { result: Result; outputs: Record<string, string> }>;
  /**
   * Where each job runs (labels.ts: `placeJob` with the label config). Default: every
   * job on the executor's default, without services.
   */
  place?(job: JobToPlace): { ok: true; value: JobPlace } | { ok: false; error: string };
}

export interface RunSummary {
  result: Exclude<Result, "skipped">;
  jobs: JobRecord[];
}

type NodeState = "waiting" | "running" | "done";

/** One `jobs.<id>` of a workflow; a matrix makes it several instances. */
interface JobNode {
  key: string;
  workflow: PlannedWorkflow;
  /** The `github` context of this job's workflow (its event payload completed per workflow). */
  github: Record<string, unknown>;
  def: JobDef;
  state: NodeState;
  instances: Instance[];
  result: Result;
  outputs: Record<string, string>;
  failFast: boolean;
  maxParallel: number;
}

interface Instance {
  info: JobInfo;
  node: JobNode;
  matrix: MatrixCombination | null;
  strategy: Record<string, unknown> | null;
  /** What the job's own fields (`runs-on`, `container`, …) evaluate with: needs, matrix, strategy. */
  contexts: Contexts;
  state: "queued" | "running" | "done";
  abort: AbortController;
  record: JobRecord;
}

/**
 * Runs planned workflows in memory: the `needs` DAG, job `if`, matrix expansion
 * (evaluated when a job becomes ready, so it may read `needs`), `max-parallel`,
 * `fail-fast`, and a global concurrency limit. Independent jobs run in parallel.
 */
export class Scheduler {
  private readonly nodes: JobNode[] = [];
  private readonly concurrency: number;
  private running = 0;
  private cancelled = false;
  private wake: (() => void) | null = null;
  /** Counts state changes, so a pass that changed nothing is recognized. */
  private changes = 0;

  constructor(
    private readonly executor: Executor,
    private readonly env: RunEnvironment,
    private readonly options: SchedulerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? Math.max(2, availableParallelism());
  }

  private emit(event: SchedulerEvent) {
    this.options.onEvent?.(event);
  }

  async run(planned: PlannedWorkflow[]): Promise<RunSummary> {
    for (const p of planned) {
      const wanted = p.only ? withNeeds(p.workflow, p.only) : null;
      const base = this.env.github;
      const event = (base.event ?? {}) as Record<string, unknown>;
      const github = {
        ...base,
        event: eventPayloadFor(p.workflow, String(base.event_name ?? ""), event, p.inputs),
      };
      for (const def of p.workflow.jobs) {
        if (wanted && !wanted.has(def.id)) continue;
        this.nodes.push({
          key: `${p.workflow.file}#${def.id}`,
          workflow: p,
          github,
          def,
          state: "waiting",
          instances: [],
          result: "skipped",
          outputs: {},
          failFast: true,
          maxParallel: Number.POSITIVE_INFINITY,
        });
      }
    }
    const signal = this.options.signal;
    const onAbort = () => this.cancelAll();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.cancelAll();

    for (;;) {
      const before = this.changes;
      this.resolveReadyNodes();
      this.startQueued();
      if (this.nodes.every((n) => n.state === "done")) break;
      if (this.running > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      } else if (this.changes === before) {
        // Unreachable while the parser rejects cycles and unknown needs; never hang if it is reached.
        throw new Error("scheduler stalled: jobs are waiting on jobs that can never finish");
      }
    }
    signal?.removeEventListener("abort", onAbort);

    const jobs = this.nodes.flatMap((n) => n.instances.map((i) => i.record));
    const counted = jobs.filter((j) => !j.continueOnError);
    const result = counted.some((j) => j.result === "failure")
      ? "failure"
      : jobs.some((j) => j.result === "cancelled" && !j.continueOnError)
        ? "cancelled"
        : "success";
    return { result, jobs };
  }

  private notify() {
    this.changes++;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private cancelAll() {
    this.cancelled = true;
    for (const node of this.nodes) {
      for (const inst of node.instances) inst.abort.abort();
    }
    this.notify();
  }

  private ancestorsOf(node: JobNode): JobNode[] {
    const seen = new Set<JobNode>();
    const visit = (n: JobNode) => {
      for (const id of n.def.needs) {
        const need = this.nodeFor(n.workflow, id);
        if (need && !seen.has(need)) {
          seen.add(need);
          visit(need);
        }
      }
    };
    visit(node);
    return [...seen];
  }

  private nodeFor(workflow: PlannedWorkflow, jobId: string): JobNode | undefined {
    return this.nodes.find((n) => n.workflow === workflow && n.def.id === jobId);
  }

  /** Decides every waiting job whose `needs` are all done: skip it, or queue its instances. */
  private resolveReadyNodes() {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const node of this.nodes) {
        if (node.state !== "waiting") continue;
        const needs = node.def.needs.map((id) => this.nodeFor(node.workflow, id));
        if (needs.some((n) => n && n.state !== "done")) continue;
        progressed = true;
        const reused = this.options.reuse?.get(node.def.id);
        if (reused) {
          this.finishUnstarted(node, reused.result, null, reused.outputs);
          continue;
        }
        this.resolveNode(
          node,
          needs.filter((n): n is JobNode => n !== undefined),
        );
      }
    }
  }

  private resolveNode(node: JobNode, needs: JobNode[]) {
    const needsContext: JobSpec["contexts"]["needs"] = {};
    for (const n of needs) needsContext[n.def.id] = { result: n.result, outputs: n.outputs };
    const contexts: Contexts = {
      github: node.github,
      vars: this.env.vars,
      inputs: node.workflow.inputs,
      needs: needsContext,
    };
    // As in Actions, failure() looks at every ancestor: a notify job at the end of a
    // chain runs even when the failure was two jobs up and the middle one was skipped.
    const ancestors = this.ancestorsOf(node);
    const status = {
      success: () => !this.cancelled && needs.every((n) => n.result === "success"),
      failure: () => ancestors.some((n) => n.result === "failure"),
      cancelled: () => this.cancelled,
      always: () => true,
    };
    const condition = evaluateCondition(node.def.if, contexts, { status });
    if (!condition.ok)
      return this.failNode(node, `The job's if expression is invalid: ${condition.error}`);
    if (!condition.value) return this.skipNode(node);

    let combinations: (MatrixCombination | null)[] = [null];
    const strategy = node.def.strategy;
    if (strategy) {
      const matrix =
        typeof strategy.matrix === "string"
          ? evaluateTemplate(strategy.matrix, contexts)
          : { ok: true as const, value: resolveDeep(strategy.matrix, contexts) };
      if (!matrix.ok) return this.failNode(node, `strategy.matrix: ${matrix.error}`);
      if (matrix.value !== null && matrix.value !== undefined) {
        const expanded = expandMatrix(matrix.value);
        if (!expanded.ok) return this.failNode(node, `strategy.matrix: ${expanded.error}`);
        combinations = expanded.combinations;
      }
      const failFast =
        typeof strategy.failFast === "boolean"
          ? { ok: true as const, value: strategy.failFast }
          : evaluateTemplate(strategy.failFast, contexts);
      node.failFast = failFast.ok ? isTruthy(failFast.value) && failFast.value !== "false" : true;
      if (strategy.maxParallel !== null) {
        const mp = evaluateTemplate(String(strategy.maxParallel), contexts);
        const n = mp.ok ? Number(mp.value) : Number.NaN;
        if (!Number.isInteger(n) || n < 1)
          return this.failNode(
            node,
            `strategy.max-parallel must be a positive integer, got '${String(strategy.maxParallel)}'`,
          );
        node.maxParallel = n;
      }
    }

    node.state = "running";
    this.changes++;
    combinations.forEach((matrix, index) => {
      const strategyContext = strategy
        ? {
            "fail-fast": node.failFast,
            "job-index": index,
            "job-total": combinations.length,
            "max-parallel": Number.isFinite(node.maxParallel)
              ? node.maxParallel
              : combinations.length,
          }
        : null;
      const instance = this.makeInstance(
        node,
        matrix,
        strategyContext,
        index,
        combinations.length,
        contexts,
      );
      node.instances.push(instance);
      this.emit({ type: "job.queued", job: instance.info });
    });
  }

  private makeInstance(
    node: JobNode,
    matrix: MatrixCombination | null,
    strategy: Record<string, unknown> | null,
    index: number,
    total: number,
    base: Contexts,
  ): Instance {
    const contexts = { ...base, matrix: matrix ?? {}, strategy: strategy ?? {} };
    const def = node.def;
    let name = def.id;
    if (def.name !== null) {
      const r = interpolate(def.name, contexts);
      name = r.ok ? r.value : def.name;
    }
    if (matrix && !(def.name ?? "").includes("matrix.")) name = `${name} ${matrixSuffix(matrix)}`;
    const runsOn = resolveDeep(def.runsOn, contexts);
    const info: JobInfo = {
      key: total > 1 ? `${node.key}#${index}` : node.key,
      workflow: node.workflow.workflow.file,
      jobId: def.id,
      name,
      matrix,
      runsOn,
    };
    const coe =
      typeof def.continueOnError === "boolean"
        ? { ok: true as const, value: def.continueOnError }
        : evaluateTemplate(def.continueOnError, contexts);
    return {
      info,
      node,
      matrix,
      strategy,
      contexts,
      state: "queued",
      abort: new AbortController(),
      record: {
        ...info,
        result: "skipped",
        reason: null,
        continueOnError: coe.ok ? isTruthy(coe.value) && coe.value !== "false" : false,
        outputs: {},
        steps: [],
        startedAt: null,
        finishedAt: null,
      },
    };
  }

  private skipNode(node: JobNode) {
    this.finishUnstarted(node, "skipped", null);
  }

  /** A job that could not even be planned (bad matrix, bad `if`) fails with the reason in its log. */
  private failNode(node: JobNode, message: string) {
    this.finishUnstarted(
      node,
      "failure",
      `##[error]${node.workflow.workflow.file}: jobs.${node.def.id}: ${message}`,
    );
  }

  /** Ends a job that never reached an executor, as one instance with no steps. */
  private finishUnstarted(
    node: JobNode,
    result: Result,
    logLine: string | null,
    outputs: Record<string, string> = {},
  ) {
    const info: JobInfo = {
      key: node.key,
      workflow: node.workflow.workflow.file,
      jobId: node.def.id,
      name: node.def.name ?? node.def.id,
      matrix: null,
      runsOn: node.def.runsOn,
    };
    const record: JobRecord = {
      ...info,
      result,
      reason: result === "failure" && logLine ? "pipeline" : null,
      continueOnError: false,
      outputs,
      steps: [],
      startedAt: null,
      finishedAt: null,
    };
    node.instances.push({
      info,
      node,
      matrix: null,
      strategy: null,
      contexts: {},
      state: "done",
      abort: new AbortController(),
      record,
    });
    node.state = "done";
    node.result = result;
    node.outputs = outputs;
    this.changes++;
    if (logLine) this.emit({ type: "job.log", job: info, line: logLine });
    this.emit({ type: "job.finished", job: record });
  }

  private startQueued() {
    for (const node of this.nodes) {
      if (node.state !== "running") continue;
      for (const inst of node.instances) {
        if (this.running >= this.concurrency) return;
        if (inst.state !== "queued") continue;
        const active = node.instances.filter((i) => i.state === "running").length;
        if (active >= node.maxParallel) break;
        if (this.cancelled || inst.abort.signal.aborted) {
          this.finishInstance(inst, { result: "cancelled", reason: null, outputs: {}, steps: [] });
          continue;
        }
        this.startInstance(inst);
      }
    }
  }

  private startInstance(inst: Instance) {
    inst.state = "running";
    this.running++;
    const ended = (outcome: JobOutcome) => {
      this.running--;
      this.finishInstance(inst, outcome);
    };
    const acquire = this.options.acquire;
    if (!acquire) {
      this.runInstance(inst).then(ended);
      return;
    }
    acquire(inst.info, inst.abort.signal).then(
      (release) =>
        this.runInstance(inst).then((outcome) => {
          release();
          ended(outcome);
        }),
      () => ended({ result: "cancelled", reason: null, outputs: {}, steps: [] }),
    );
  }

  /** Runs an instance that holds its slot; never rejects. */
  private async runInstance(inst: Instance): Promise<JobOutcome> {
    if (this.hasPendingWork()) this.executor.warm?.();
    inst.record.startedAt = Date.now();
    this.emit({ type: "job.started", job: inst.info });
    const def = inst.node.def;
    const fail = (message: string): JobOutcome => {
      this.emit({
        type: "job.log",
        job: inst.info,
        line: `##[error]${inst.node.workflow.workflow.file}: jobs.${def.id}: ${message}`,
      });
      return { result: "failure", reason: "pipeline", outputs: {}, steps: [] };
    };
    const fields = evaluatePlacementFields(def, inst.contexts, this.env.secrets);
    if (!fields.ok) return fail(fields.error);
    const { timeoutMinutes, container, services } = fields.value;
    if (def.container !== null && def.container !== undefined && isEmpty(container))
      this.emit({
        type: "job.log",
        job: inst.info,
        line: "container: the image is empty, so the job runs without a container (as in GitHub Actions).",
      });
    const place = this.options.place?.({ runsOn: inst.info.runsOn, container, services }) ?? {
      ok: true,
      value: { placement: { executor: "host" }, services: [] },
    };
    if (!place.ok) return fail(place.error);

    try {
      return await runJob(this.executor, {
        jobKey: uniqueJobKey(
          `${inst.info.workflow}-${inst.info.key.split("#").slice(1).join("-")}`,
        ),
        timeoutMs: timeoutMinutes * 60_000,
        placement: place.value.placement,
        services: place.value.services,
        readPaths: checkoutPaths(this.env.checkout),
        checkout: this.env.checkout,
        signal: inst.abort.signal,
        spec: (paths, inContainer) => this.buildSpec(inst, paths, inContainer),
        onEvent: (event) => this.emit({ type: "job.event", job: inst.info, event }),
        onSystemLog: (line) => this.emit({ type: "job.log", job: inst.info, line }),
        onDiagnostic: (line) => this.emit({ type: "diagnostic", job: inst.info, line }),
      });
    } catch (err) {
      this.emit({
        type: "job.log",
        job: inst.info,
        line: `##[error]internal error: ${(err as Error).message}`,
      });
      return { result: "failure", reason: "internal", outputs: {}, steps: [] };
    }
  }

  /** Jobs not yet started: queued instances, or jobs still waiting on their needs. */
  private hasPendingWork(): boolean {
    return this.nodes.some(
      (n) => n.state === "waiting" || n.instances.some((i) => i.state === "queued"),
    );
  }

  private finishInstance(inst: Instance, outcome: JobOutcome) {
    inst.state = "done";
    Object.assign(inst.record, outcome, { finishedAt: Date.now() });
    const node = inst.node;
    this.emit({ type: "job.finished", job: inst.record });

    // fail-fast: a failing matrix job cancels its running and queued siblings.
    if (
      outcome.result === "failure" &&
      !inst.record.continueOnError &&
      node.failFast &&
      node.instances.length > 1
    ) {
      for (const sibling of node.instances)
        if (sibling !== inst && sibling.state !== "done") sibling.abort.abort();
    }
    if (node.instances.every((i) => i.state === "done")) {
      node.state = "done";
      const results = node.instances.map((i) => i.record.result);
      node.result = results.includes("failure")
        ? "failure"
        : results.includes("cancelled")
          ? "cancelled"
          : results.every((r) => r === "skipped")
            ? "skipped"
            : "success";
      for (const i of node.instances) Object.assign(node.outputs, i.record.outputs);
    }
    this.notify();
  }

  private buildSpec(inst: Instance, paths: JobSpec["paths"], inContainer: boolean): JobSpec {
    const node = inst.node;
    const wf = node.workflow.workflow;
    const needs: JobSpec["contexts"]["needs"] = {};
    const from = node.def.needsTransitive
      ? this.ancestorsOf(node)
      : node.def.needs.map((id) => this.nodeFor(node.workflow, id));
    for (const n of from) if (n) needs[n.def.id] = { result: n.result, outputs: n.outputs };
    const github = {
      ...node.github,
      job: node.def.id,
      workflow: wf.name,
      workspace: paths.workspace,
    };
    return {
      version: 1,
      jobId: node.def.id,
      name: inst.info.name,
      paths,
      contexts: {
        github,
        vars: this.env.vars,
        secrets: this.env.secrets,
        matrix: inst.matrix,
        strategy: inst.strategy,
        needs,
        inputs: node.workflow.inputs,
        runner: {
          ...this.env.runner,
          temp: paths.temp,
          tool_cache: paths.toolCache,
          debug: this.env.debug ? "1" : "",
        },
      },
      env: { workflow: wf.env, job: node.def.env },
      defaults: { ...wf.defaults, ...node.def.defaults },
      steps: node.def.steps,
      outputs: node.def.outputs,
      inContainer,
      checkout: this.env.checkout,
      actionsUrl: this.env.actionsUrl,
      mask: [],
      debug: this.env.debug,
    };
  }
}

/** The host paths a job's checkout reads: a sandbox or container must show them. */
export function checkoutPaths(checkout: CheckoutSource): string[] {
  switch (checkout.kind) {
    case "git":
      return [...new Set([checkout.url, checkout.overlayFrom])].filter(
        (p): p is string => p?.startsWith("/") === true,
      );
    case "dir":
      return [checkout.path];
    case "none":
      return [];
  }
}

/** Evaluates `${{ }}` inside a YAML value (e.g. a matrix mapping with an expression list). */
function resolveDeep(value: unknown, contexts: Contexts): unknown {
  if (typeof value === "string") {
    if (!value.includes("${{")) return value;
    const r = evaluateTemplate(value, contexts);
    return r.ok ? r.value : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, contexts));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, contexts)]));
  }
  return value;
}

type Evaluated<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * A job's `timeout-minutes`, `container` and `services`, evaluated with the contexts
 * Actions gives them (needs, matrix, strategy; secrets in their `credentials` and
 * `env`). An expression that fails is an error naming the field, never a silent
 * fallback (a container job must not end up on the host).
 */
function evaluatePlacementFields(
  def: JobDef,
  contexts: Contexts,
  secrets: Record<string, string>,
): Evaluated<{ timeoutMinutes: number; container: unknown; services: unknown }> {
  const timeout =
    typeof def.timeoutMinutes === "number"
      ? { ok: true as const, value: def.timeoutMinutes }
      : evaluateDeep(def.timeoutMinutes, contexts, "timeout-minutes");
  if (!timeout.ok) return timeout;
  const minutes = Number(timeout.value);
  if (isEmpty(timeout.value) || !Number.isFinite(minutes) || minutes <= 0)
    return {
      ok: false,
      error: `timeout-minutes: expected a positive number of minutes, got '${String(timeout.value)}'`,
    };
  const container = evaluateContainer(def.container, contexts, secrets, "container");
  if (!container.ok) return container;
  let services: Evaluated<unknown> = { ok: true, value: def.services };
  if (def.services && typeof def.services === "object" && !Array.isArray(def.services)) {
    const each: Record<string, unknown> = {};
    for (const [name, service] of Object.entries(def.services)) {
      const r = evaluateContainer(service, contexts, secrets, `services.${name}`);
      if (!r.ok) return r;
      each[name] = r.value;
    }
    services = { ok: true, value: each };
  } else services = evaluateDeep(def.services, contexts, "services");
  if (!services.ok) return services;
  return {
    ok: true,
    value: { timeoutMinutes: minutes, container: container.value, services: services.value },
  };
}

/** A `container:` or one service: its `credentials` and `env` may read `secrets`. */
function evaluateContainer(
  value: unknown,
  contexts: Contexts,
  secrets: Record<string, string>,
  where: string,
): Evaluated<unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    return evaluateDeep(value, contexts, where);
  const withSecrets = { ...contexts, secrets };
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const r = evaluateDeep(
      field,
      key === "credentials" || key === "env" ? withSecrets : contexts,
      `${where}.${key}`,
    );
    if (!r.ok) return r;
    out[key] = r.value;
  }
  return { ok: true, value: out };
}

/** Evaluates every `${{ }}` in a YAML value; the first that fails is an error naming its path. */
function evaluateDeep(value: unknown, contexts: Contexts, where: string): Evaluated<unknown> {
  if (typeof value === "string") {
    if (!value.includes("${{")) return { ok: true, value };
    const r = evaluateTemplate(value, contexts);
    return r.ok ? r : { ok: false, error: `${where}: ${r.error}` };
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [i, v] of value.entries()) {
      const r = evaluateDeep(v, contexts, `${where}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = evaluateDeep(v, contexts, `${where}.${k}`);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value };
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === "";
}
