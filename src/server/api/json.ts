import type { Job, Millis, Run, Token } from "../../store/records.ts";

/** The API's shapes (docs/api.md): snake_case, ISO times, null rather than absent. */

function iso(ms: Millis | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function runJson(run: Run, baseUrl: string) {
  const s = run.state;
  return {
    id: run.id,
    number: run.number,
    repo: run.repo,
    workflow: run.workflow,
    workflow_name: run.workflowName,
    event: run.event,
    ref: run.ref,
    sha: run.sha,
    actor: run.actor,
    status: s.status,
    result: s.status === "completed" ? s.result : null,
    reason: s.status === "completed" ? s.reason : null,
    created_at: iso(run.createdAt),
    started_at: iso(s.status === "queued" ? null : s.startedAt),
    finished_at: iso(s.status === "completed" ? s.finishedAt : null),
    superseded_by: s.status === "completed" ? s.supersededBy : null,
    rerun_of: run.rerunOf,
    error: run.error,
    url: `${baseUrl}/runs/${run.id}`,
  };
}

export function jobJson(job: Job) {
  const s = job.state;
  return {
    id: job.id,
    key: job.key,
    job_id: job.jobId,
    name: job.name,
    matrix: job.matrix,
    status: s.status,
    result: s.status === "completed" ? s.result : null,
    reason: s.status === "completed" ? s.reason : null,
    started_at: iso(s.status === "queued" ? null : s.startedAt),
    finished_at: iso(s.status === "completed" ? s.finishedAt : null),
    outputs: job.outputs,
    log_lines: job.logLines,
    steps: job.steps.map((step) => ({
      number: step.index + 1,
      name: step.name,
      status: step.state.status,
      result: step.state.status === "completed" ? step.state.result : null,
      started_at: iso(step.state.startedAt),
      finished_at: iso(step.state.status === "completed" ? step.state.finishedAt : null),
    })),
  };
}

export function tokenJson(token: Token) {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    created_at: iso(token.createdAt),
    last_used_at: iso(token.lastUsedAt),
  };
}
