import { relative, resolve } from "node:path";
import type { PipelineJobPlan, PipelinePlanError } from "../../core/events.ts";
import type { PipelinePlanStepSpec } from "../../core/job-spec.ts";
import type { StepContext, StepRun } from "../steps.ts";
import { logConsole } from "./api.ts";
import { type JobCall, loadPipeline } from "./load.ts";

/** Where a run can start: `push`, `schedule` and `manual` (workflow_dispatch, with inputs). */
export const SOURCES = ["push", "schedule", "manual"] as const;
export type Source = (typeof SOURCES)[number];
const sourceSet = new Set<string>(SOURCES);

export interface ValidPlan {
  jobs: (PipelineJobPlan & { fn: (...args: unknown[]) => unknown })[];
  errors: PipelinePlanError[];
}

/** Loads and validates a pipeline; every problem is reported, each with file and line. */
export async function planPipeline(
  workspace: string,
  file: string,
  makeApi: Parameters<typeof loadPipeline>[1],
  console: Parameters<typeof loadPipeline>[2],
): Promise<ValidPlan> {
  const abs = resolve(workspace, file);
  const shown = (f: string) => relative(workspace, f) || f;
  const loaded = await loadPipeline(abs, makeApi, console);
  if (!loaded.ok) {
    const { ok: _, ...e } = loaded;
    return { jobs: [], errors: [{ ...e, file: shown(e.file) }] };
  }
  return validate(loaded.calls, shown(abs), shown);
}

function validate(calls: JobCall[], file: string, shown: (f: string) => string): ValidPlan {
  const errors: PipelinePlanError[] = [];
  const at = (c: JobCall, message: string) =>
    errors.push({ file: shown(c.file), line: c.line, col: c.col, message });
  if (calls.length === 0)
    errors.push({ file, message: "the pipeline defines no job (call job(id, inputs, fn))" });

  const jobs: ValidPlan["jobs"] = [];
  const byId = new Map<string, JobCall>();
  for (const c of calls) {
    let ok = true;
    const id = typeof c.id === "string" ? c.id : "";
    if (typeof c.id !== "string" || c.id === "") {
      at(c, "a job's id must be a non-empty string");
      ok = false;
    } else if (id.includes("/")) {
      at(c, `job id '${id}' must not contain '/'`);
      ok = false;
    } else if (sourceSet.has(id)) {
      at(c, `job id '${id}' is the name of a source (${SOURCES.join(", ")})`);
      ok = false;
    } else if (byId.has(id)) {
      at(c, `duplicate job id '${id}' (first defined on line ${byId.get(id)!.line})`);
      ok = false;
    }
    const inputs = Array.isArray(c.inputs) ? c.inputs : null;
    if (!inputs?.every((i) => typeof i === "string")) {
      at(c, `job '${id}': inputs must be a list of job ids or sources (${SOURCES.join(", ")})`);
      ok = false;
    } else if (inputs.length === 0) {
      at(c, `job '${id}' has empty inputs (name a source such as "push", or other jobs)`);
      ok = false;
    }
    if (typeof c.fn !== "function") {
      at(c, `job '${id}': the third argument must be a function`);
      ok = false;
    }
    let allowFailure = false;
    if (c.options !== undefined && c.options !== null) {
      const o = c.options as Record<string, unknown>;
      if (typeof o !== "object") at(c, `job '${id}': options must be an object`);
      else {
        for (const k of Object.keys(o))
          if (k !== "allowFailure")
            at(c, `job '${id}': unknown option '${k}' (expected allowFailure)`);
        if (o.allowFailure !== undefined && typeof o.allowFailure !== "boolean")
          at(c, `job '${id}': allowFailure must be true or false`);
        allowFailure = o.allowFailure === true;
      }
    }
    if (id && !byId.has(id)) byId.set(id, c);
    if (ok)
      jobs.push({
        id,
        inputs: [...new Set(inputs as string[])],
        allowFailure,
        line: c.line,
        fn: c.fn as (...args: unknown[]) => unknown,
      });
  }

  const known = new Map(jobs.map((j) => [j.id, j]));
  const badInputs = new Set<string>();
  for (const j of jobs) {
    for (const i of j.inputs) {
      if (sourceSet.has(i) || known.has(i)) continue;
      badInputs.add(j.id);
      // An input that is defined but invalid was reported already.
      if (byId.has(i)) continue;
      at(
        byId.get(j.id)!,
        `job '${j.id}' has unknown input '${i}' (not a job id nor a source: ${SOURCES.join(", ")})`,
      );
    }
  }

  // Cycles: depth-first search; each cycle is reported once, at its first job.
  const state = new Map<string, "visiting" | "done">();
  const inCycle = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, "visiting");
    stack.push(id);
    for (const i of known.get(id)!.inputs) {
      if (!known.has(i)) continue;
      if (state.get(i) === "visiting") {
        const cycle = stack.slice(stack.indexOf(i));
        for (const c of cycle) inCycle.add(c);
        at(byId.get(i)!, `cycle between jobs: ${[...cycle, i].join(" → ")}`);
      } else if (!state.has(i)) visit(i);
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const j of jobs) if (!state.has(j.id)) visit(j.id);

  // Reachability from the sources, following inputs forward.
  const reached = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const j of jobs) {
      if (reached.has(j.id)) continue;
      if (j.inputs.some((i) => sourceSet.has(i) || reached.has(i))) {
        reached.add(j.id);
        grew = true;
      }
    }
  }
  for (const j of jobs) {
    if (reached.has(j.id) || inCycle.has(j.id) || badInputs.has(j.id)) continue;
    at(byId.get(j.id)!, `job '${j.id}' is unreachable from any source (${SOURCES.join(", ")})`);
  }
  errors.sort((a, b) =>
    a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1,
  );
  return { jobs, errors };
}

/** The `pipeline-plan` step: emits the plan; fails when the pipeline has errors. */
export async function runPlanStep(ctx: StepContext, step: PipelinePlanStepSpec): Promise<StepRun> {
  const { state } = ctx;
  // Planning never runs a job: the API is inert apart from `job()`.
  const refuse = (name: string) => () => {
    throw new Error(`${name}() can only be called inside a job's function`);
  };
  const plan = await planPipeline(
    state.spec.paths.workspace,
    step.file,
    (job) => ({
      job,
      sh: refuse("sh"),
      secret: refuse("secret"),
      jobs: refuse("jobs"),
    }),
    logConsole(ctx),
  );
  const jobs = plan.jobs.map(({ fn: _, ...j }) => j);
  state.out.emit({
    type: "pipeline.plan",
    at: new Date().toISOString(),
    jobs,
    errors: plan.errors,
  });
  for (const e of plan.errors)
    state.out.log(ctx.logIndex, [
      `##[error]${e.file}${e.line ? ` (Line: ${e.line}, Col: ${e.col ?? 1})` : ""}: ${e.message}`,
    ]);
  if (plan.errors.length === 0)
    state.out.log(ctx.logIndex, [`${jobs.length} job(s): ${jobs.map((j) => j.id).join(", ")}`]);
  return { outcome: plan.errors.length > 0 ? "failure" : "success", outputs: {} };
}
