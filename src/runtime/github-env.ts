import type { JobSpec } from "../core/job-spec.ts";

/** The variables every step sees, derived from the `github` and `runner` contexts. */
export function githubEnv(spec: JobSpec, eventPath: string): Record<string, string> {
  const g = spec.contexts.github;
  const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  const env: Record<string, string> = {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: spec.paths.workspace,
    GITHUB_SHA: str(g.sha),
    GITHUB_REF: str(g.ref),
    GITHUB_REF_NAME: str(g.ref_name),
    GITHUB_REF_TYPE: str(g.ref_type),
    GITHUB_REPOSITORY: str(g.repository),
    GITHUB_REPOSITORY_OWNER: str(g.repository_owner),
    GITHUB_ACTOR: str(g.actor),
    GITHUB_EVENT_NAME: str(g.event_name),
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: str(g.run_id),
    GITHUB_RUN_NUMBER: str(g.run_number),
    GITHUB_RUN_ATTEMPT: str(g.run_attempt ?? 1),
    GITHUB_JOB: spec.jobId,
    GITHUB_SERVER_URL: str(g.server_url),
    GITHUB_BASE_REF: str(g.base_ref),
    GITHUB_HEAD_REF: str(g.head_ref),
    GITHUB_WORKFLOW: str(g.workflow),
    GITHUB_WORKFLOW_REF: str(g.workflow_ref),
    RUNNER_OS: str(spec.contexts.runner.os),
    RUNNER_ARCH: str(spec.contexts.runner.arch),
    RUNNER_NAME: str(spec.contexts.runner.name),
    RUNNER_TEMP: spec.paths.temp,
    RUNNER_TOOL_CACHE: spec.paths.toolCache,
  };
  if (spec.debug) env.RUNNER_DEBUG = "1";
  return env;
}
