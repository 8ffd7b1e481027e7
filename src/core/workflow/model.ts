import type { StepSpec, Templates } from "../job-spec.ts";

/**
 * Every pipeline format (Actions YAML, Solstice KDL, TS pipelines) loads into this model.
 * `solstice-script` is Solstice's legacy `.solstice/job.sh`, run as a one-step job;
 * `equinox-pipeline` is `.equinox/ci.ts`, planned by the runtime (see docs/pipelines.md).
 */
export type WorkflowFormat = "actions" | "solstice-kdl" | "solstice-script" | "equinox-pipeline";

export interface BranchFilters {
  branches?: string[];
  "branches-ignore"?: string[];
  tags?: string[];
  "tags-ignore"?: string[];
  paths?: string[];
  "paths-ignore"?: string[];
  types?: string[];
}

export type DispatchInputType = "string" | "choice" | "boolean" | "number" | "environment";

export interface DispatchInput {
  type: DispatchInputType;
  description?: string;
  required?: boolean;
  default?: string | boolean | number;
  options?: string[];
}

/** The normalized `on:` block (the workflow parser's EventsConfig subset we act on). */
export interface Triggers {
  push?: BranchFilters;
  pull_request?: BranchFilters;
  workflow_dispatch?: { inputs?: Record<string, DispatchInput> };
  schedule?: { cron: string }[];
  [event: string]: unknown;
}

export interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

export interface StrategyDef {
  /** A mapping (`{os: [...], include: [...]}`) or an expression string yielding one. */
  matrix: unknown;
  failFast: boolean | string;
  maxParallel: number | string | null;
}

export interface JobDef {
  id: string;
  /** `name` template, or null (then the id is shown). */
  name: string | null;
  needs: string[];
  /** `if` as written, or null. */
  if: string | null;
  /** `runs-on` as written (string, list, or `{group, labels}`); kept for executor selection. */
  runsOn: unknown;
  strategy: StrategyDef | null;
  env: Templates;
  defaults: RunDefaults;
  steps: StepSpec[];
  outputs: Templates;
  continueOnError: boolean | string;
  timeoutMinutes: number | string;
  container: unknown;
  services: unknown;
  /**
   * `contexts.needs` holds every transitive ancestor, not only the direct needs: a TS
   * pipeline's `jobs(name)` reads any ancestor's outputs.
   */
  needsTransitive?: boolean;
  /** 1-based line of the job's key in its file, for messages. */
  line: number;
}

export interface Workflow {
  format: WorkflowFormat;
  /** Path relative to the repository root, e.g. `.github/workflows/ci.yml`. */
  file: string;
  name: string;
  on: Triggers;
  env: Templates;
  defaults: RunDefaults;
  jobs: JobDef[];
}

/** A problem in a workflow file, rendered as `file (Line: n, Col: m): message`. */
export interface WorkflowError {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatWorkflowError(e: WorkflowError): string {
  if (e.line === undefined) return `${e.file}: ${e.message}`;
  return `${e.file} (Line: ${e.line}, Col: ${e.col ?? 1}): ${e.message}`;
}

/** Errors are values: loaders return what they could read and everything wrong with it. */
export interface Loaded<T> {
  value: T | null;
  errors: WorkflowError[];
}
