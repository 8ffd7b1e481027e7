import type { Result } from "../core/events.ts";
import {
  evaluateCondition,
  evaluateTemplate,
  interpolate,
  isTruthy,
} from "../core/expressions/index.ts";
import type { StepSpec, Templates } from "../core/job-spec.ts";
import { evalOptions, stepContexts } from "./contexts.ts";
import { runPlanStep } from "./pipeline/plan.ts";
import { runPipelineJobStep } from "./pipeline/run.ts";
import { runScriptStep } from "./run-step.ts";
import type { JobState, StepRecord, StepScope } from "./state.ts";
import { runUsesStep } from "./uses-step.ts";

/** What running one step produced, before `continue-on-error` turns it into a conclusion. */
export interface StepRun {
  outcome: Exclude<Result, "skipped">;
  outputs: Record<string, string>;
  /** Ended by its own `timeout-minutes`: `cancelled`, yet a failure of the step. */
  timedOut?: boolean;
}

/**
 * A step the runtime adds itself: a node action's `post:` script, run after the
 * job's steps. Not part of the wire format.
 */
export interface PostStep {
  kind: "post";
  id: null;
  name: string;
  if: string;
  env: Record<string, string>;
  continueOnError: false;
  timeoutMinutes: null;
  run(ctx: StepContext): Promise<StepRun>;
}

export type RuntimeStep = StepSpec | PostStep;

/** Everything a step's body needs after its expressions are evaluated. */
export interface StepContext {
  state: JobState;
  scope: StepScope;
  /** Index whose log the step writes to. */
  logIndex: number;
  /** The step's own env merged over the `env` context. */
  env: Record<string, string>;
  /** Timeout for this step, in ms (null: none beyond the job's). */
  timeoutMs: number | null;
  /**
   * The job was already cancelled when this step was chosen to run (an `always()`
   * or `cancelled()` step): cancellation does not stop it.
   */
  runsDespiteCancel: boolean;
}

/**
 * Runs a list of steps in order. A job's steps each get their own index and events;
 * a composite action's steps log into their parent step (`scope.logIndex`).
 */
export async function runSteps(
  state: JobState,
  scope: StepScope,
  steps: RuntimeStep[],
  firstIndex = 0,
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    await runOneStep(state, scope, step, scope.logIndex ?? firstIndex + i);
  }
}

async function runOneStep(state: JobState, scope: StepScope, step: RuntimeStep, index: number) {
  const nested = scope.logIndex !== null;
  const opts = evalOptions(state);
  const ctx = () => stepContexts(state, scope);
  const name = state.out.masker.mask(displayName(step, ctx, opts));
  if (!nested) state.out.emit({ type: "step.started", at: now(), index, id: step.id, name });

  const finish = (record: StepRecord, failsJob = record.conclusion === "failure") => {
    if (step.id !== null) scope.steps[step.id] = record;
    if (failsJob) state.status = "failure";
    if (nested) {
      if (record.outcome !== "skipped") state.out.log(index, ["##[endgroup]"]);
      return;
    }
    state.out.emit({
      type: "step.finished",
      at: now(),
      index,
      outcome: record.outcome,
      conclusion: record.conclusion,
      outputs: maskValues(state, record.outputs),
    });
  };

  const condition = evaluateCondition(step.if, ctx(), opts);
  if (!condition.ok) {
    state.out.log(index, [`##[error]The step's if expression is invalid: ${condition.error}`]);
    return finish({ outcome: "failure", conclusion: "failure", outputs: {} });
  }
  if (condition.value !== true) {
    return finish({ outcome: "skipped", conclusion: "skipped", outputs: {} });
  }
  // A composite's inner steps appear as groups inside their parent step's log.
  if (nested) state.out.log(index, [`##[group]${name}`]);

  const prepared = prepareStep(state, scope, step, index);
  if (!prepared.ok) {
    state.out.log(index, [`##[error]${prepared.error}`]);
    return finish({ outcome: "failure", conclusion: "failure", outputs: {} });
  }
  const { context, continueOnError } = prepared;
  let run: StepRun;
  try {
    run =
      step.kind === "run"
        ? await runScriptStep(context, step)
        : step.kind === "uses"
          ? await runUsesStep(context, step)
          : step.kind === "pipeline-plan"
            ? await runPlanStep(context, step)
            : step.kind === "pipeline-job"
              ? await runPipelineJobStep(context, step)
              : await step.run(context);
  } catch (err) {
    state.out.log(index, [`##[error]${(err as Error).message}`]);
    run = { outcome: "failure", outputs: {} };
  }
  const failed = run.outcome === "failure" || run.timedOut === true;
  const conclusion = failed && continueOnError ? "success" : run.outcome;
  finish({ outcome: run.outcome, conclusion, outputs: run.outputs }, failed && !continueOnError);
}

type Prepared =
  | { ok: true; context: StepContext; continueOnError: boolean }
  | { ok: false; error: string };

function prepareStep(
  state: JobState,
  scope: StepScope,
  step: RuntimeStep,
  index: number,
): Prepared {
  const opts = evalOptions(state);
  const stepEnv = evaluateTemplates(step.env, stepContexts(state, scope), opts);
  if (!stepEnv.ok) return stepEnv;
  const env = { ...state.env, ...stepEnv.value };
  const contexts = stepContexts(state, scope, env);

  const coe = evaluateFlag(step.continueOnError, contexts, opts);
  if (!coe.ok) return { ok: false, error: `continue-on-error: ${coe.error}` };

  let timeoutMs: number | null = null;
  if (step.timeoutMinutes !== null) {
    const t = evaluateTemplate(String(step.timeoutMinutes), contexts, opts);
    if (!t.ok) return { ok: false, error: `timeout-minutes: ${t.error}` };
    const minutes = Number(t.value);
    if (!Number.isFinite(minutes) || minutes <= 0) {
      return {
        ok: false,
        error: `timeout-minutes must be a positive number, got '${String(t.value)}'`,
      };
    }
    timeoutMs = minutes * 60_000;
  }
  return {
    ok: true,
    context: { state, scope, logIndex: index, env, timeoutMs, runsDespiteCancel: state.cancelled },
    continueOnError: coe.value,
  };
}

export function evaluateTemplates(
  templates: Templates,
  contexts: ReturnType<typeof stepContexts>,
  opts: ReturnType<typeof evalOptions>,
): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const value: Record<string, string> = {};
  for (const [key, template] of Object.entries(templates)) {
    const r = interpolate(template, contexts, opts);
    if (!r.ok) return { ok: false, error: `${key}: ${r.error}` };
    value[key] = r.value;
  }
  return { ok: true, value };
}

function evaluateFlag(
  flag: boolean | string,
  contexts: ReturnType<typeof stepContexts>,
  opts: ReturnType<typeof evalOptions>,
): { ok: true; value: boolean } | { ok: false; error: string } {
  if (typeof flag === "boolean") return { ok: true, value: flag };
  const r = evaluateTemplate(flag, contexts, opts);
  if (!r.ok) return r;
  return { ok: true, value: typeof r.value === "string" ? r.value === "true" : isTruthy(r.value) };
}

function displayName(
  step: RuntimeStep,
  contexts: () => ReturnType<typeof stepContexts>,
  opts: ReturnType<typeof evalOptions>,
): string {
  if (step.name !== null) {
    const r = interpolate(step.name, contexts(), opts);
    return r.ok ? r.value : step.name;
  }
  return defaultStepName(step);
}

/** Unnamed steps are shown by their `run` text (first line) or `uses` reference. */
export function defaultStepName(step: RuntimeStep): string {
  if (step.kind === "post") return step.name;
  if (step.kind === "uses") return step.uses;
  if (step.kind === "pipeline-plan") return `Plan ${step.file}`;
  if (step.kind === "pipeline-job") return `Run ${step.job}`;
  const firstLine = step.run.trim().split("\n")[0] ?? "";
  return firstLine;
}

function maskValues(state: JobState, values: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) masked[k] = state.out.masker.mask(v);
  return masked;
}

function now(): string {
  return new Date().toISOString();
}
