import { accessSync, constants } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Result } from "../core/events.ts";
import type { JobSpec } from "../core/job-spec.ts";
import { ContainerClient } from "./containers.ts";
import { evalOptions, stepContexts } from "./contexts.ts";
import { githubEnv } from "./github-env.ts";
import type { EventWriter } from "./output.ts";
import { loadTransform } from "./pipeline/load.ts";
import { CANCEL_GRACE_MS } from "./run-step.ts";
import type { JobState, StepScope } from "./state.ts";
import { evaluateTemplates, runSteps } from "./steps.ts";

export interface JobHandle {
  done: Promise<Result>;
  /** Cancels the job: the running step's process group is terminated; `always()` steps still run. */
  cancel(): void;
}

/** Runs one job: env, steps, outputs; emits every event from job.started to job.finished. */
export function runJob(
  spec: JobSpec,
  out: EventWriter,
  processEnv: NodeJS.ProcessEnv,
  containers: ContainerClient = new ContainerClient(out),
): JobHandle {
  for (const value of Object.values(spec.contexts.secrets)) out.masker.add(value);
  for (const value of spec.mask) out.masker.add(value);

  if (spec.steps.some((s) => s.kind === "pipeline-plan" || s.kind === "pipeline-job"))
    void loadTransform();
  const state: JobState = {
    spec,
    out,
    env: {},
    path: [],
    baseEnv: {},
    status: "success",
    cancelled: false,
    current: null,
    fileCounter: 0,
    bashAvailable: hasBash(processEnv),
    posts: [],
    pipeline: null,
    containers,
    jobEnv: {},
  };
  return {
    done: execute(state, processEnv),
    cancel() {
      if (state.cancelled) return;
      state.cancelled = true;
      if (state.current && !state.current.runsDespiteCancel)
        state.current.process.terminate(CANCEL_GRACE_MS);
    },
  };
}

async function execute(state: JobState, processEnv: NodeJS.ProcessEnv): Promise<Result> {
  const { spec, out } = state;
  out.emit({ type: "job.started", at: new Date().toISOString(), job: spec.jobId });
  await Promise.all(
    [spec.paths.workspace, spec.paths.temp, spec.paths.toolCache, spec.paths.files].map((d) =>
      mkdir(d, { recursive: true }),
    ),
  );
  // The executor may have started this process before the job's workspace existed.
  process.chdir(spec.paths.workspace);
  const eventPath = join(spec.paths.files, "event.json");
  await writeFile(eventPath, JSON.stringify(spec.contexts.github.event ?? {}, null, 2));
  state.jobEnv = githubEnv(spec, eventPath);
  state.baseEnv = { ...processEnv, ...state.jobEnv };
  // Tools the executor brings (node in a runner image) come after the image's own.
  if (spec.toolPath?.length)
    state.baseEnv.PATH = [state.baseEnv.PATH, ...spec.toolPath].filter(Boolean).join(":");

  const scope: StepScope = {
    steps: {},
    inputs: spec.contexts.inputs,
    logIndex: null,
    actionPath: null,
  };
  const opts = evalOptions(state);
  // Workflow env may read github/vars/secrets/inputs; job env also sees the workflow's env.
  const workflowEnv = evaluateTemplates(spec.env.workflow, stepContexts(state, scope, {}), opts);
  const jobEnv = workflowEnv.ok
    ? evaluateTemplates(spec.env.job, stepContexts(state, scope, workflowEnv.value), opts)
    : workflowEnv;
  if (!workflowEnv.ok || !jobEnv.ok) {
    const error = !workflowEnv.ok ? workflowEnv.error : !jobEnv.ok ? jobEnv.error : "";
    out.log(null, [`##[error]Invalid env: ${error}`]);
    return finish(state, "failure");
  }
  state.env = { ...workflowEnv.value, ...jobEnv.value };

  await runSteps(state, scope, spec.steps);
  // Post steps run last-registered first, as in Actions; by default even after a failure.
  await runSteps(state, scope, [...state.posts].reverse(), spec.steps.length);

  // Outputs are evaluated whatever the result: an `always()` dependent may read them.
  emitOutputs(state, scope);
  if (state.cancelled) return finish(state, "cancelled");
  if (state.pipeline?.skipped && state.status === "success") return finish(state, "skipped");
  return finish(state, state.status === "failure" ? "failure" : "success");
}

/** Job outputs are evaluated after the last step; one holding a secret is withheld. */
function emitOutputs(state: JobState, scope: StepScope) {
  const templates = state.spec.outputs;
  const direct = state.pipeline?.outputs ?? {};
  if (Object.keys(templates).length === 0 && Object.keys(direct).length === 0) return;
  const outputs: Record<string, string> = {};
  // A TS pipeline job's returned values are its outputs, withheld like templates when secret.
  for (const [name, value] of Object.entries(direct)) {
    if (state.out.masker.mask(value) !== value) {
      state.out.log(null, [`##[warning]Skip output '${name}' since it may contain secret.`]);
      continue;
    }
    outputs[name] = value;
  }
  const contexts = stepContexts(state, scope);
  for (const [name, template] of Object.entries(templates)) {
    const r = evaluateTemplates({ [name]: template }, contexts, evalOptions(state));
    if (!r.ok) {
      state.out.log(null, [`##[warning]Job output '${name}' could not be evaluated: ${r.error}`]);
      continue;
    }
    const value = r.value[name]!;
    if (state.out.masker.mask(value) !== value) {
      state.out.log(null, [`##[warning]Skip output '${name}' since it may contain secret.`]);
      continue;
    }
    outputs[name] = value;
  }
  state.out.emit({ type: "job.outputs", at: new Date().toISOString(), outputs });
}

function finish(state: JobState, result: Result): Result {
  state.out.emit({ type: "job.finished", at: new Date().toISOString(), result });
  return result;
}

/** Looks for an executable `bash` on PATH without spawning anything (this runs per job). */
function hasBash(env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    try {
      accessSync(join(dir, "bash"), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
