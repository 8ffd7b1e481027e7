import type { Contexts, EvalOptions, StatusFunctions } from "../core/expressions/index.ts";
import { hashFiles } from "./hash-files.ts";
import { type JobState, jobStatus, type StepScope } from "./state.ts";

/** Every context a step-level expression may read, as of now. */
export function stepContexts(
  state: JobState,
  scope: StepScope,
  env: Record<string, string> = state.env,
): Contexts {
  const c = state.spec.contexts;
  const github = scope.actionPath ? { ...c.github, action_path: scope.actionPath } : c.github;
  return {
    github,
    env,
    vars: c.vars,
    secrets: c.secrets,
    job: { ...c.job, status: jobStatus(state) },
    steps: scope.steps,
    runner: c.runner,
    strategy: c.strategy ?? {},
    matrix: c.matrix ?? {},
    needs: c.needs,
    inputs: scope.inputs,
  };
}

export function evalOptions(state: JobState): EvalOptions & { status: StatusFunctions } {
  return {
    status: {
      success: () => !state.cancelled && state.status === "success",
      failure: () => state.status === "failure",
      cancelled: () => state.cancelled,
      always: () => true,
    },
    hashFiles: (patterns) => hashFiles(state.spec.paths.workspace, patterns),
  };
}
