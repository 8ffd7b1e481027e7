import type { PipelineJobStepSpec } from "../../core/job-spec.ts";
import type { StepContext, StepRun } from "../steps.ts";
import { activeSource, logConsole, makeSecret, makeSh, sourceData } from "./api.ts";
import { planPipeline, SOURCES, type Source } from "./plan.ts";

/**
 * The `pipeline-job` step: loads the pipeline again (it is code; the plan event carried only
 * data) and calls one job's function. Its return value becomes the step's and the job's
 * outputs; null/undefined marks the job `skipped`; a throw fails the step.
 */
export async function runPipelineJobStep(
  ctx: StepContext,
  step: PipelineJobStepSpec,
): Promise<StepRun> {
  const { state, logIndex } = ctx;
  const sh = makeSh(ctx);
  const secret = makeSecret(ctx);
  let plan: Awaited<ReturnType<typeof planPipeline>>;
  let jobs: (name: string) => Record<string, unknown> = () => ({});
  plan = await planPipeline(
    state.spec.paths.workspace,
    step.file,
    (job) => ({
      job,
      sh,
      secret,
      jobs: (name: string) => jobs(name),
    }),
    logConsole(ctx),
  );
  if (plan.errors.length > 0) {
    for (const e of plan.errors)
      state.out.log(logIndex, [
        `##[error]${e.file}${e.line ? ` (Line: ${e.line})` : ""}: ${e.message}`,
      ]);
    return { outcome: "failure", outputs: {} };
  }
  const me = plan.jobs.find((j) => j.id === step.job);
  if (!me) {
    state.out.log(logIndex, [`##[error]The pipeline no longer defines job '${step.job}'`]);
    return { outcome: "failure", outputs: {} };
  }
  const ancestors = new Set<string>();
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const walk = (id: string) => {
    for (const i of byId.get(id)?.inputs ?? []) {
      if (ancestors.has(i)) continue;
      ancestors.add(i);
      walk(i);
    }
  };
  walk(me.id);
  const active = activeSource(state.spec.contexts.github.event_name);
  jobs = (name: string) => {
    if (!ancestors.has(name))
      throw new Error(`jobs('${name}'): '${name}' is not an ancestor of '${me.id}'`);
    if ((SOURCES as readonly string[]).includes(name)) {
      if (name !== active)
        throw new Error(`jobs('${name}'): this run was not started by '${name}'`);
      return sourceData(name as Source, ctx);
    }
    const need = state.spec.contexts.needs[name];
    return { ...(need?.outputs ?? {}) };
  };

  let value: unknown;
  try {
    value = await me.fn({ sh, secret, jobs });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    state.out.log(logIndex, [`##[error]${e.message}`]);
    // The user's frame, relative to the workspace: where in the pipeline it was thrown.
    const workspace = `${state.spec.paths.workspace}/`;
    const frame = (e.stack ?? "")
      .split("\n")
      .map((l) => /\(?(\/[^\s()]+:\d+:\d+)\)?$/.exec(l.trim())?.[1])
      .find((f) => f?.startsWith(workspace));
    if (frame) state.out.log(logIndex, [`    at ${frame.slice(workspace.length)}`]);
    return { outcome: "failure", outputs: {} };
  }
  if (value === null || value === undefined) {
    state.out.log(logIndex, [
      `Job '${me.id}' returned ${value === null ? "null" : "nothing"}: skipped`,
    ]);
    state.pipeline = { skipped: true, outputs: {} };
    return { outcome: "success", outputs: {} };
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    state.out.log(logIndex, [
      `##[error]Job '${me.id}' must return an object of outputs, null or undefined (got ${Array.isArray(value) ? "an array" : typeof value})`,
    ]);
    return { outcome: "failure", outputs: {} };
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    outputs[k] =
      typeof v === "string"
        ? v
        : v !== null && typeof v === "object"
          ? JSON.stringify(v)
          : String(v);
  }
  state.pipeline = { skipped: false, outputs };
  return { outcome: "success", outputs };
}
