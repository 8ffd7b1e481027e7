import type { Result } from "../core/events.ts";

/**
 * What the store holds, as the rest of Equinox sees it. States are unions whose
 * variants carry exactly their fields: a queued run has no start time, a completed
 * one always has a result. Raw rows become these in one place (`rows.ts`), and the
 * schema's CHECK constraints hold the same invariants (docs/store.md).
 */

/** Milliseconds since the epoch. */
export type Millis = number;

/**
 * Why a run or job ended as it did when that was not its own steps' doing.
 * `pipeline`, `internal`, `orphaned` and `timeout` go with `failure` (or `cancelled`
 * for a timeout, as in Actions); `superseded` and `user` go with `cancelled`.
 */
export type EndReason = "pipeline" | "internal" | "orphaned" | "timeout" | "superseded" | "user";

export type RunState =
  | { status: "queued" }
  | { status: "running"; startedAt: Millis }
  | {
      status: "completed";
      result: Result;
      reason: EndReason | null;
      /** Null when the run ended before any job started (cancelled while queued, a parse error). */
      startedAt: Millis | null;
      finishedAt: Millis;
      /** The newer run that cancelled this one (reason `superseded`). */
      supersededBy: number | null;
    };

export type RunStatus = RunState["status"];

/** One job node of a run's plan: the job graph shown before any job has started. */
export interface PlanNode {
  /** The workflow's job id. */
  jobId: string;
  name: string;
  needs: string[];
}

export interface Run {
  id: number;
  repo: string;
  /** Per repository, from 1. */
  number: number;
  /** The workflow file, relative to the repository root (`.forgejo/workflows/ci.yml`). */
  workflow: string;
  /** The workflow's `name`, or the file name. */
  workflowName: string;
  event: string;
  /** `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  sha: string;
  actor: string;
  createdAt: Millis;
  state: RunState;
  /** The event payload (`github.event`). */
  payload: Record<string, unknown>;
  /** workflow_dispatch inputs, as given. */
  inputs: Record<string, string>;
  plan: PlanNode[];
  /** A problem that stopped the run before its jobs (a workflow that does not parse), shown on its page. */
  error: string | null;
  /** The run this one re-runs. */
  rerunOf: number | null;
  /**
   * Jobs a "re-run failed jobs" takes over from `rerunOf` instead of running them again,
   * by workflow job id.
   */
  reuse: Record<string, { result: Result; outputs: Record<string, string> }>;
}

export type JobState =
  | { status: "queued" }
  | { status: "running"; startedAt: Millis }
  | {
      status: "completed";
      result: Result;
      reason: EndReason | null;
      startedAt: Millis | null;
      finishedAt: Millis;
    };

export type StepState =
  | { status: "running"; startedAt: Millis }
  | {
      status: "completed";
      /** The step's `conclusion` (after continue-on-error). */
      result: Result;
      /** The step's `outcome` (before continue-on-error). */
      outcome: Result;
      startedAt: Millis;
      finishedAt: Millis;
    };

export interface Step {
  /** 0-based, in the order the runtime ran them. */
  index: number;
  name: string;
  state: StepState;
}

export interface Job {
  id: number;
  runId: number;
  /** Unique in the run: the scheduler's instance key (`file#job`, `file#job#2` for matrix). */
  key: string;
  /** The workflow's job id. */
  jobId: string;
  name: string;
  matrix: Record<string, unknown> | null;
  runsOn: unknown;
  state: JobState;
  outputs: Record<string, string>;
  /** Lines stored so far. */
  logLines: number;
  steps: Step[];
}

export interface Repo {
  id: number;
  name: string;
  createdAt: Millis;
}

export interface RepoSummary extends Repo {
  lastRun: Run | null;
}

/** A run as the triggers record it: what they know of it; the store assigns the rest. */
export type NewRun = Pick<
  Run,
  | "repo"
  | "workflow"
  | "workflowName"
  | "event"
  | "ref"
  | "sha"
  | "actor"
  | "payload"
  | "inputs"
  | "plan"
> &
  Partial<Pick<Run, "rerunOf" | "reuse">> & {
    /** Set for a run that fails before it starts (a workflow that does not parse): created completed. */
    error?: string | null;
  };

export interface NewJob {
  key: string;
  jobId: string;
  name: string;
  matrix: Record<string, unknown> | null;
  runsOn: unknown;
}

export type TokenScope = "read" | "write" | "admin";

export interface User {
  id: number;
  name: string;
  isAdmin: boolean;
  createdAt: Millis;
}

export interface Token {
  id: number;
  name: string;
  scope: TokenScope;
  userId: number;
  createdAt: Millis;
  lastUsedAt: Millis | null;
}

export interface SecretEntry {
  name: string;
  /** Null for a global secret. */
  repo: string | null;
  updatedAt: Millis;
}

/** A stretch of one job's log: `lines[0]` is line number `firstLine` (1-based). */
export interface LogSlice {
  firstLine: number;
  lines: string[];
}
