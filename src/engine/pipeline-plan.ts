import type { PipelineJobPlan, PipelinePlanError } from "../core/events.ts";
import type { JobSpec } from "../core/job-spec.ts";
import { linesOf } from "../core/log-block.ts";
import { checkoutStep, plainStep } from "../core/workflow/native-steps.ts";
import type { Executor } from "./executor.ts";
import { runJob, uniqueJobKey } from "./run-job.ts";
import { checkoutPaths, type RunEnvironment, type SchedulerOptions } from "./scheduler.ts";

export type PipelinePlanResult =
  | { ok: true; jobs: PipelineJobPlan[] }
  | { ok: false; errors: PipelinePlanError[] };

const PLAN_TIMEOUT_MS = 5 * 60_000;
/** Making the plan job's place may build `.equinox/Dockerfile`, which later jobs reuse. */
const PLAN_PREPARE_TIMEOUT_MS = 60 * 60_000;

/**
 * Plans a TS pipeline by running a job — checkout, then a `pipeline-plan` step — through
 * the executor, because the pipeline is user code and only the runtime, inside the
 * isolation boundary, evaluates it (DESIGN.md, principle 1). The plan comes back as data
 * in one `pipeline.plan` event. It is placed like any job without `runs-on` (`place`:
 * the label config's default), so a server whose jobs run in bwrap or a container
 * plans there too.
 */
export async function planPipelineJob(
  executor: Executor,
  env: RunEnvironment,
  file: string,
  options: {
    signal?: AbortSignal;
    onDiagnostic?(line: string): void;
    /** The scheduler's placement (labels.ts); without it, the executor's default. */
    place?: SchedulerOptions["place"];
  } = {},
): Promise<PipelinePlanResult> {
  const place = options.place?.({ runsOn: null, container: null, services: null });
  if (place && !place.ok) return { ok: false, errors: [{ file, message: place.error }] };
  let plan: { jobs: PipelineJobPlan[]; errors: PipelinePlanError[] } | null = null;
  const log: string[] = [];
  const outcome = await runJob(executor, {
    jobKey: uniqueJobKey("pipeline-plan"),
    timeoutMs: PLAN_TIMEOUT_MS,
    prepareTimeoutMs: PLAN_PREPARE_TIMEOUT_MS,
    ...(place ? { placement: place.value.placement, services: place.value.services } : {}),
    readPaths: checkoutPaths(env.checkout),
    checkout: env.checkout,
    ...(options.signal ? { signal: options.signal } : {}),
    spec: (paths, inContainer) => planSpec(env, file, paths, inContainer),
    onEvent(event) {
      if (event.type === "pipeline.plan") plan = { jobs: event.jobs, errors: event.errors };
      if (event.type === "log") log.push(...linesOf(event.data));
    },
    onSystemLog: (line) => log.push(line),
    ...(options.onDiagnostic ? { onDiagnostic: options.onDiagnostic } : {}),
  });
  const got = plan as { jobs: PipelineJobPlan[]; errors: PipelinePlanError[] } | null;
  if (got && got.errors.length > 0) return { ok: false, errors: got.errors };
  if (got && outcome.result === "success") return { ok: true, jobs: got.jobs };
  const why = log.filter((l) => l.startsWith("##[error]")).map((l) => l.slice(9));
  return {
    ok: false,
    errors: [
      {
        file,
        message: `the pipeline could not be planned (${outcome.result}${why.length > 0 ? `: ${why.join("; ")}` : ""})`,
      },
    ],
  };
}

function planSpec(
  env: RunEnvironment,
  file: string,
  paths: JobSpec["paths"],
  inContainer: boolean,
): JobSpec {
  const planStep = { ...plainStep(), kind: "pipeline-plan" as const, file };
  return {
    version: 1,
    jobId: "pipeline-plan",
    name: `Plan ${file}`,
    paths,
    contexts: {
      github: { ...env.github, job: "pipeline-plan", workspace: paths.workspace },
      vars: env.vars,
      // Planning runs no job function: it needs no secrets.
      secrets: {},
      matrix: null,
      strategy: null,
      needs: {},
      inputs: {},
      runner: { ...env.runner, temp: paths.temp, tool_cache: paths.toolCache },
    },
    env: { workflow: {}, job: {} },
    defaults: {},
    steps: [checkoutStep(), planStep],
    outputs: {},
    inContainer,
    checkout: env.checkout,
    actionsUrl: env.actionsUrl,
    mask: [],
    debug: env.debug,
  };
}
