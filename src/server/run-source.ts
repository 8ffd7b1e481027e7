import { arch, hostname } from "node:os";
import { githubContext } from "../core/plan/github-context.ts";
import type { TriggerEvent } from "../core/plan/triggers.ts";
import { formatWorkflowError } from "../core/workflow/model.ts";
import type { PreparedRun, RunSource } from "../engine/run-manager.ts";
import type { Run } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { type GitRepos, workflowsAt } from "./workflows-at.ts";

export interface ServerRunSourceOptions {
  store: Store;
  repos: GitRepos;
  baseUrl(): string;
  /** Every secret a job of `repo` gets, decrypted; an error value names the one that failed. */
  secretsFor(
    repo: string,
  ): Promise<{ ok: true; value: Record<string, string> } | { ok: false; error: string }>;
  actionsUrl: string | null;
}

/**
 * Prepares a queued run of the server: reads its workflow at the run's commit again (the
 * queue stores no parsed state, so a restarted server plans exactly as before), the
 * trigger it matched, its secrets, and the checkout from the bare repository.
 */
export class ServerRunSource implements RunSource {
  constructor(private readonly options: ServerRunSourceOptions) {}

  async prepare(run: Run): Promise<PreparedRun> {
    const { repos } = this.options;
    const at = await workflowsAt(repos, run.repo, run.sha, run.workflow);
    const errors = [...at.errors.values()].flat();
    if (errors.length > 0) return { ok: false, error: errors.map(formatWorkflowError).join("\n") };
    const workflow = at.workflows[0];
    if (!at.pipelineFile && !workflow)
      return { ok: false, error: `${run.workflow}: the file is not in commit ${run.sha}` };
    const secrets = await this.options.secretsFor(run.repo);
    if (!secrets.ok) return { ok: false, error: secrets.error };
    return {
      ok: true,
      trigger: await this.trigger(run),
      target: at.pipelineFile
        ? { kind: "pipeline", file: at.pipelineFile }
        : { kind: "workflow", workflow: workflow! },
      env: {
        github: githubContext({
          eventName: run.event,
          event: run.payload,
          sha: run.sha,
          ref: run.ref,
          repository: run.repo,
          actor: run.actor,
          serverUrl: this.options.baseUrl(),
          runId: String(run.id),
          runNumber: String(run.number),
        }),
        vars: {},
        secrets: secrets.value,
        runner: {
          os: "Linux",
          arch: arch() === "arm64" ? "ARM64" : "X64",
          name: hostname(),
          environment: "self-hosted",
        },
        checkout: { kind: "git", url: repos.path(run.repo), sha: run.sha, ref: run.ref },
        actionsUrl: this.options.actionsUrl,
        debug: secrets.value.ACTIONS_STEP_DEBUG === "true",
      },
    };
  }

  private async trigger(run: Run): Promise<TriggerEvent> {
    const p = run.payload;
    switch (run.event) {
      case "push": {
        const before = typeof p.before === "string" ? p.before : "";
        const changed =
          before && !/^0+$/.test(before)
            ? await this.options.repos.changedFiles(run.repo, before, run.sha)
            : null;
        return { name: "push", ref: run.ref, changedFiles: changed };
      }
      case "workflow_dispatch":
        return { name: "workflow_dispatch", inputs: run.inputs };
      case "schedule":
        return { name: "schedule", cron: typeof p.schedule === "string" ? p.schedule : null };
      default:
        return { name: run.event };
    }
  }
}
