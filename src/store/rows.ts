import type { Selectable } from "kysely";
import type { Result } from "../core/events.ts";
import type {
  EndReason,
  Job,
  JobState,
  Repo,
  Run,
  RunState,
  SecretEntry,
  Step,
  StepState,
  Token,
  TokenScope,
  User,
} from "./records.ts";
import type { Database } from "./schema.ts";

/** Raw rows become records here, and only here: states are built from their columns. */

type RunRow = Selectable<Database["runs"]> & { repo_name: string };
type JobRow = Selectable<Database["jobs"]>;
type StepRow = Selectable<Database["steps"]>;

function json<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  return JSON.parse(text) as T;
}

export function runState(row: RunRow): RunState {
  if (row.status === "queued") return { status: "queued" };
  if (row.status === "running") return { status: "running", startedAt: row.started_at! };
  return {
    status: "completed",
    result: row.result as Result,
    reason: row.reason as EndReason | null,
    startedAt: row.started_at,
    finishedAt: row.finished_at!,
    supersededBy: row.superseded_by,
  };
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    repo: row.repo_name,
    number: row.number,
    workflow: row.workflow,
    workflowName: row.workflow_name,
    event: row.event,
    ref: row.ref,
    sha: row.sha,
    actor: row.actor,
    createdAt: row.created_at,
    state: runState(row),
    payload: json(row.payload_json, {}),
    inputs: json(row.inputs_json, {}),
    plan: json(row.plan_json, []),
    error: row.error,
    rerunOf: row.rerun_of,
    reuse: json(row.reuse_json, {}),
  };
}

function jobState(row: JobRow): JobState {
  if (row.status === "queued") return { status: "queued" };
  if (row.status === "running") return { status: "running", startedAt: row.started_at! };
  return {
    status: "completed",
    result: row.result as Result,
    reason: row.reason as EndReason | null,
    startedAt: row.started_at,
    finishedAt: row.finished_at!,
  };
}

function stepState(row: StepRow): StepState {
  if (row.status === "running") return { status: "running", startedAt: row.started_at };
  return {
    status: "completed",
    result: row.result as Result,
    outcome: row.outcome as Result,
    startedAt: row.started_at,
    finishedAt: row.finished_at!,
  };
}

export function toStep(row: StepRow): Step {
  return { index: row.idx, name: row.name, state: stepState(row) };
}

export function toJob(row: JobRow, steps: Step[]): Job {
  return {
    id: row.id,
    runId: row.run_id,
    key: row.key,
    jobId: row.job_id,
    name: row.name,
    matrix: json(row.matrix_json, null),
    runsOn: json(row.runs_on_json, null),
    state: jobState(row),
    outputs: json(row.outputs_json, {}),
    logLines: row.log_lines,
    steps,
  };
}

export function toRepo(row: Selectable<Database["repos"]>): Repo {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function toUser(row: Selectable<Database["users"]>): User {
  return { id: row.id, name: row.name, isAdmin: row.is_admin === 1, createdAt: row.created_at };
}

export function toToken(row: Selectable<Database["tokens"]>): Token {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope as TokenScope,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toSecretEntry(row: {
  name: string;
  repo_name: string | null;
  updated_at: number;
}): SecretEntry {
  return { name: row.name, repo: row.repo_name, updatedAt: row.updated_at };
}
