/** What the `github` context is built from, wherever the run comes from. */
export interface GithubContextInput {
  eventName: string;
  event: Record<string, unknown>;
  sha: string;
  /** The ref the run is for; the event's `ref` wins when it has one. */
  ref: string;
  /** `owner/name`, or a bare name. */
  repository: string;
  actor: string;
  serverUrl: string;
  runId?: string;
  runNumber?: string;
}

/** The `github` context every job of a run starts from (job-specific fields filled later). */
export function githubContext(input: GithubContextInput): Record<string, unknown> {
  const { event } = input;
  const ref = typeof event.ref === "string" ? event.ref : input.ref;
  const isTag = ref.startsWith("refs/tags/");
  const pr = event.pull_request as { head?: { ref?: string }; base?: { ref?: string } } | undefined;
  const slash = input.repository.lastIndexOf("/");
  return {
    event_name: input.eventName,
    event,
    sha: input.sha,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ""),
    ref_type: isTag ? "tag" : "branch",
    repository: input.repository,
    repository_owner: slash === -1 ? "" : input.repository.slice(0, slash),
    actor: input.actor,
    triggering_actor: input.actor,
    server_url: input.serverUrl,
    api_url: "",
    graphql_url: "",
    run_id: input.runId ?? String(Date.now()),
    run_number: input.runNumber ?? "1",
    run_attempt: "1",
    retention_days: "0",
    head_ref: pr?.head?.ref ?? "",
    base_ref: pr?.base?.ref ?? "",
    token: "",
    workflow_ref: "",
    job: "",
    action: "",
  };
}
