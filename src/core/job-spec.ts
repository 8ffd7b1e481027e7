/**
 * What the orchestrator hands the runtime on stdin: one job, fully planned (matrix
 * values fixed, `needs` results known) but with step-level `${{ }}` left for the
 * runtime to evaluate, because steps see contexts (steps, env, job) that only exist
 * while the job runs. Secrets travel only here, never on argv or in the environment.
 */

/** String-valued `${{ }}` templates, evaluated by the runtime. */
export type Templates = Record<string, string>;

export interface RunStepSpec {
  kind: "run";
  run: string;
  shell?: string;
  workingDirectory?: string;
}

export interface UsesStepSpec {
  kind: "uses";
  uses: string;
  with: Templates;
}

/** Loads `.equinox/ci.ts` (or .js/.mjs), validates it and emits one `pipeline.plan` event. */
export interface PipelinePlanStepSpec {
  kind: "pipeline-plan";
  /** Path relative to the workspace. */
  file: string;
}

/** Loads the pipeline again and runs one `job()` function. */
export interface PipelineJobStepSpec {
  kind: "pipeline-job";
  file: string;
  job: string;
}

export type StepSpec = (RunStepSpec | UsesStepSpec | PipelinePlanStepSpec | PipelineJobStepSpec) & {
  /** The step's `id`, or null when it has none (then it is absent from `steps`). */
  id: string | null;
  /** The step's `name` template, or null. */
  name: string | null;
  /** The `if` condition as written (with or without `${{ }}`), or null. */
  if: string | null;
  env: Templates;
  /** `continue-on-error`: a boolean or an expression string. */
  continueOnError: boolean | string;
  /** `timeout-minutes`: a number or an expression string. */
  timeoutMinutes: number | string | null;
};

/** Where `actions/checkout` gets the code from. */
export type CheckoutSource =
  /** A git repository (path or URL) and the exact commit to fetch. */
  | { kind: "git"; url: string; sha: string; ref: string; overlayFrom?: string }
  /** A plain directory copied as it is (not a git repository). */
  | { kind: "dir"; path: string }
  | { kind: "none" };

export interface JobSpec {
  version: 1;
  /** The job's id in the workflow (`github.job`). */
  jobId: string;
  /** Display name, matrix values appended. */
  name: string;
  paths: {
    workspace: string;
    temp: string;
    toolCache: string;
    /** Per-job directory for env files and scripts; created by the runtime. */
    files: string;
  };
  /** Contexts known before the job starts. `env`, `steps`, `job` are built by the runtime. */
  contexts: {
    github: Record<string, unknown>;
    vars: Record<string, string>;
    secrets: Record<string, string>;
    matrix: Record<string, unknown> | null;
    strategy: Record<string, unknown> | null;
    needs: Record<string, { result: string; outputs: Record<string, string> }>;
    inputs: Record<string, unknown>;
    runner: Record<string, unknown>;
    /** What the executor started for the job: `job.container`, `job.services` (Actions' `job` context). */
    job?: {
      container?: { id: string; network: string };
      services?: Record<string, { id: string; network: string; ports: Record<string, string> }>;
    };
  };
  /** Workflow-level then job-level `env` templates (job wins). */
  env: { workflow: Templates; job: Templates };
  defaults: { shell?: string; workingDirectory?: string };
  steps: StepSpec[];
  /** Job `outputs` templates, evaluated after the last step. */
  outputs: Templates;
  /** Where the job runs: decides the default shell (`sh -e` inside a container). */
  inContainer: boolean;
  checkout: CheckoutSource;
  /** Base URL that remote actions (`owner/repo@ref`) are cloned from; null when none. */
  actionsUrl: string | null;
  /** Extra values to mask beyond the secrets (e.g. a forge token). */
  mask: string[];
  /** `ACTIONS_STEP_DEBUG`: show `::debug::` lines. */
  debug: boolean;
  /**
   * How to start Node.js for JavaScript actions where the job runs (a container's
   * image may have none). Default: the runtime's own executable.
   */
  node?: string;
  /** Directories appended to every step's PATH: tools the executor brings (e.g. `node`). */
  toolPath?: string[];
}
