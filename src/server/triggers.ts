import { basename } from "node:path";
import { selectWorkflows } from "../core/plan/select.ts";
import type { TriggerEvent } from "../core/plan/triggers.ts";
import { formatWorkflowError, type Workflow } from "../core/workflow/model.ts";
import { planOf, type RunManager } from "../engine/run-manager.ts";
import type { NewRun, Run } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { PushEvent, PushReply } from "./push/push-event.ts";
import { type GitRepos, type WorkflowsAt, workflowsAt } from "./workflows-at.ts";

const ZERO = /^0+$/;

export type TriggerResult =
  | { ok: true; runs: Run[] }
  | { ok: false; status: 400 | 404; error: string };

export interface TriggerDeps {
  store: Store;
  repos: GitRepos;
  manager: RunManager;
  /** The server's public base URL, for `github.server_url` and run links. */
  baseUrl(): string;
}

/**
 * Turns events (a push, a dispatch, a re-run, a cron tick) into queued runs: one run per
 * workflow the event triggers, at one commit. Workflow files are read from the bare
 * repository and parsed as data; a file that does not parse becomes a failed run that
 * shows the error. A push's runs supersede older unfinished runs of the same workflow
 * and ref.
 */
export class Triggers {
  constructor(private readonly deps: TriggerDeps) {}

  runUrl(run: Run): string {
    return `${this.deps.baseUrl()}/runs/${run.id}`;
  }

  async push(event: PushEvent): Promise<PushReply> {
    const { store, repos } = this.deps;
    if (!(await store.getRepo(event.repo)))
      return { ok: false, error: `no repository '${event.repo}' on this server` };
    const newRuns: NewRun[] = [];
    for (const pushed of event.refs) {
      if (ZERO.test(pushed.new_sha)) continue;
      const created = ZERO.test(pushed.old_sha);
      const changed = created
        ? null
        : await repos.changedFiles(event.repo, pushed.old_sha, pushed.new_sha);
      const payload = {
        ref: pushed.ref,
        before: pushed.old_sha,
        after: pushed.new_sha,
        created,
        deleted: false,
        forced: false,
        repository: this.repository(event.repo),
        pusher: { name: event.pusher ?? "" },
        sender: { login: event.pusher ?? "" },
        head_commit: { id: pushed.new_sha, timestamp: event.pushed_at },
      };
      newRuns.push(
        ...(await this.plan(
          event.repo,
          pushed.new_sha,
          { name: "push", ref: pushed.ref, changedFiles: changed },
          {
            event: "push",
            ref: pushed.ref,
            sha: pushed.new_sha,
            actor: event.pusher ?? "unknown",
            payload,
            inputs: {},
          },
        )),
      );
    }
    const runs = await store.createRuns(newRuns, { eventId: event.id });
    if (runs === null) return { ok: true, runs: [] };
    for (const run of runs) {
      for (const older of await store.listSupersedable(run))
        await this.deps.manager.cancel(older.id, "superseded", run.id);
    }
    this.deps.manager.wake();
    return {
      ok: true,
      runs: runs.map((r) => ({
        id: r.id,
        number: r.number,
        workflow: r.workflow,
        ref: r.ref,
        url: this.runUrl(r),
      })),
    };
  }

  async dispatch(
    repo: string,
    request: { workflow: string; ref?: string | undefined; inputs: Record<string, string> },
    actor: string,
  ): Promise<TriggerResult> {
    const { store, repos } = this.deps;
    if (!(await store.getRepo(repo)))
      return { ok: false, status: 404, error: `no repository '${repo}'` };
    const branch = request.ref ?? (await repos.defaultBranch(repo));
    if (!branch)
      return { ok: false, status: 400, error: `repository '${repo}' has no commits yet` };
    // A short name is a branch, else a tag (as git resolves it).
    const candidates = branch.startsWith("refs/")
      ? [branch]
      : [`refs/heads/${branch}`, `refs/tags/${branch}`];
    let ref = "";
    let sha: string | null = null;
    for (const candidate of candidates) {
      sha = await repos.resolveRef(repo, candidate);
      if (sha) {
        ref = candidate;
        break;
      }
    }
    if (!sha)
      return { ok: false, status: 400, error: `ref '${branch}' does not exist in '${repo}'` };
    // One read of the commit's workflows both finds the file and gives its parse.
    const at = await workflowsAt(repos, repo, sha);
    const file = findWorkflowFile(at, request.workflow);
    if (!file)
      return {
        ok: false,
        status: 400,
        error: `no workflow '${request.workflow}' at ${branch} (give the file, e.g. .forgejo/workflows/deploy.yml, or its name)`,
      };
    const errors = at.errors.get(file) ?? [];
    if (errors.length > 0)
      return { ok: false, status: 400, error: errors.map(formatWorkflowError).join("\n") };
    const trigger: TriggerEvent = { name: "workflow_dispatch", inputs: request.inputs };
    const payload = {
      ref,
      inputs: request.inputs,
      repository: this.repository(repo),
      sender: { login: actor },
    };
    const base = { event: "workflow_dispatch", ref, sha, actor, payload, inputs: request.inputs };
    if (file === at.pipelineFile) {
      const [run] = (await store.createRuns([this.pipelineRun(repo, file, base)]))!;
      this.deps.manager.wake();
      return { ok: true, runs: [run!] };
    }
    const selection = selectWorkflows(
      at.workflows.filter((w) => w.file === file),
      trigger,
    );
    if (selection.errors.length > 0)
      return { ok: false, status: 400, error: selection.errors.join("\n") };
    const selected = selection.selected[0];
    if (!selected)
      return {
        ok: false,
        status: 400,
        error: `${file}: ${selection.skipped[0]?.reason ?? "the workflow does not run on 'workflow_dispatch'"}`,
      };
    const runs = (await store.createRuns([this.workflowRun(repo, selected.workflow, base)]))!;
    this.deps.manager.wake();
    return { ok: true, runs };
  }

  /** A new run of the same workflow, commit and event; `failedOnly` keeps the jobs that succeeded. */
  async rerun(run: Run, failedOnly: boolean, actor: string): Promise<Run> {
    const reuse: Run["reuse"] = {};
    if (failedOnly) {
      const byJob = new Map<string, { ok: boolean; outputs: Record<string, string> }>();
      for (const job of await this.deps.store.listJobs(run.id)) {
        const entry = byJob.get(job.jobId) ?? { ok: true, outputs: {} };
        const result = job.state.status === "completed" ? job.state.result : null;
        entry.ok &&= result === "success";
        Object.assign(entry.outputs, job.outputs);
        byJob.set(job.jobId, entry);
      }
      for (const [jobId, entry] of byJob)
        if (entry.ok) reuse[jobId] = { result: "success", outputs: entry.outputs };
    }
    const [created] = (await this.deps.store.createRuns([
      {
        repo: run.repo,
        workflow: run.workflow,
        workflowName: run.workflowName,
        event: run.event,
        ref: run.ref,
        sha: run.sha,
        actor,
        payload: run.payload,
        inputs: run.inputs,
        plan: run.plan,
        rerunOf: run.id,
        reuse,
      },
    ]))!;
    this.deps.manager.wake();
    return created!;
  }

  /** A scheduled run of one workflow at the default branch's head. */
  async schedule(repo: string, workflow: Workflow, cron: string, sha: string, ref: string) {
    const payload = { schedule: cron, repository: this.repository(repo) };
    const base = { event: "schedule", ref, sha, actor: "schedule", payload, inputs: {} };
    const runs = await this.deps.store.createRuns([
      workflow.format === "equinox-pipeline"
        ? this.pipelineRun(repo, workflow.file, base)
        : this.workflowRun(repo, workflow, base),
    ]);
    this.deps.manager.wake();
    return runs ?? [];
  }

  /** The runs an event starts at one commit: triggered workflows, broken files, the TS pipeline. */
  private async plan(
    repo: string,
    sha: string,
    trigger: TriggerEvent,
    base: Omit<NewRun, "repo" | "workflow" | "workflowName" | "plan">,
  ): Promise<NewRun[]> {
    const at = await workflowsAt(this.deps.repos, repo, sha);
    const runs: NewRun[] = [];
    for (const [file, errors] of at.errors) {
      runs.push({
        ...base,
        repo,
        workflow: file,
        workflowName: basename(file),
        plan: [],
        error: errors.map(formatWorkflowError).join("\n"),
      });
    }
    const selection = selectWorkflows(at.workflows, trigger);
    for (const selected of selection.selected)
      runs.push(this.workflowRun(repo, selected.workflow, base));
    for (const error of selection.errors) {
      const file = error.slice(0, error.indexOf(": "));
      runs.push({ ...base, repo, workflow: file, workflowName: basename(file), plan: [], error });
    }
    if (at.pipelineFile) runs.push(this.pipelineRun(repo, at.pipelineFile, base));
    return runs;
  }

  private workflowRun(
    repo: string,
    workflow: Workflow,
    base: Omit<NewRun, "repo" | "workflow" | "workflowName" | "plan">,
  ): NewRun {
    return {
      ...base,
      repo,
      workflow: workflow.file,
      workflowName: workflow.name ?? basename(workflow.file),
      plan: planOf(workflow),
    };
  }

  /** A TS pipeline's jobs are known once the runtime has planned it, when the run starts. */
  private pipelineRun(
    repo: string,
    file: string,
    base: Omit<NewRun, "repo" | "workflow" | "workflowName" | "plan">,
  ): NewRun {
    return { ...base, repo, workflow: file, workflowName: basename(file), plan: [] };
  }

  repository(repo: string): Record<string, unknown> {
    const slash = repo.lastIndexOf("/");
    return {
      full_name: repo,
      name: repo.slice(slash + 1),
      owner: { login: slash === -1 ? "" : repo.slice(0, slash) },
      clone_url: `${this.deps.baseUrl()}/${repo}.git`,
      html_url: `${this.deps.baseUrl()}/repos/${repo}`,
    };
  }
}

/** A workflow named by its file (`.forgejo/workflows/deploy.yml`) or its file name (`deploy.yml`). */
function findWorkflowFile(at: WorkflowsAt, wanted: string): string | null {
  const files = [
    ...at.workflows.map((w) => w.file),
    ...at.errors.keys(),
    ...(at.pipelineFile ? [at.pipelineFile] : []),
  ];
  return files.find((f) => f === wanted) ?? files.find((f) => basename(f) === wanted) ?? null;
}
