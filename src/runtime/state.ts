import type { Result } from "../core/events.ts";
import type { JobSpec } from "../core/job-spec.ts";
import type { ContainerClient } from "./containers.ts";
import type { EventWriter } from "./output.ts";
import type { RunningProcess } from "./process.ts";
import type { PostStep } from "./steps.ts";

export interface StepRecord {
  outcome: Result;
  conclusion: Result;
  outputs: Record<string, string>;
}

/** Mutable state of the one job this runtime process runs. */
export interface JobState {
  spec: JobSpec;
  out: EventWriter;
  /** The `env` context: workflow and job env, then values from `GITHUB_ENV`. */
  env: Record<string, string>;
  /** Directories from `GITHUB_PATH`, most recent first. */
  path: string[];
  /** Process environment every step starts from (the runtime's own plus GITHUB_*). */
  baseEnv: NodeJS.ProcessEnv;
  /** `job.status` as the status functions see it. */
  status: "success" | "failure";
  cancelled: boolean;
  /** The step process currently running, for cancellation. */
  current: { process: RunningProcess; runsDespiteCancel: boolean } | null;
  /** Numbers the per-step files (scripts, env files) uniquely across nested steps. */
  fileCounter: number;
  bashAvailable: boolean;
  /** `post:` scripts registered by node actions, run after the steps in reverse order. */
  posts: PostStep[];
  /** Set by a TS pipeline job: its returned outputs, or `skipped` when it returned null. */
  pipeline: { skipped: boolean; outputs: Record<string, string> } | null;
  /** Runs step containers through the executor. */
  containers: ContainerClient;
  /** The GITHUB_* and RUNNER_* variables alone: what a step container gets of baseEnv. */
  jobEnv: Record<string, string>;
}

/** A list of steps being run: the job's own, or a composite action's. */
export interface StepScope {
  /** The `steps` context of this scope. */
  steps: Record<string, StepRecord>;
  /** The `inputs` context (workflow inputs for the job, action inputs in a composite). */
  inputs: Record<string, unknown>;
  /** Index of the job-level step that log lines belong to (null when logging per step). */
  logIndex: number | null;
  /** Directory of the action being run (`github.action_path`), if any. */
  actionPath: string | null;
}

export function jobStatus(state: JobState): "success" | "failure" | "cancelled" {
  return state.cancelled ? "cancelled" : state.status;
}
