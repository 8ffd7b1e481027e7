import { cronFiresBetween, parseCron } from "../core/plan/cron.ts";
import type { Workflow } from "../core/workflow/model.ts";
import type { Store } from "../store/store.ts";
import type { Triggers } from "./triggers.ts";
import { type GitRepos, workflowsAt } from "./workflows-at.ts";

export interface CronLoopDeps {
  store: Store;
  repos: GitRepos & { list(): Promise<string[]> };
  triggers: Pick<Triggers, "schedule">;
  log(line: string): void;
}

/**
 * Fires `on.schedule` workflows of each repository's default branch, as Actions does
 * (UTC, at most once per minute per entry). The last tick per entry is stored, so a
 * restart neither repeats a run nor backfills every missed minute: missed fires while
 * the server was down become one run.
 */
export class CronLoop {
  private timer: NodeJS.Timeout | null = null;
  private readonly cache = new Map<string, Workflow[]>();

  constructor(private readonly deps: CronLoopDeps) {}

  start(): void {
    const schedule = () => {
      const now = Date.now();
      // Just after the next minute starts, as cron does.
      this.timer = setTimeout(
        () => {
          this.tick(Date.now())
            .catch((err: Error) => this.deps.log(`equinox: schedule: ${err.message}`))
            .finally(schedule);
        },
        60_000 - (now % 60_000) + 500,
      );
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass over every repository at time `now`; returns the runs it created. */
  async tick(now: number): Promise<number> {
    let created = 0;
    for (const repo of await this.deps.repos.list()) {
      const branch = await this.deps.repos.defaultBranch(repo);
      const ref = branch ? (branch.startsWith("refs/") ? branch : `refs/heads/${branch}`) : null;
      const sha = ref ? await this.deps.repos.resolveRef(repo, ref) : null;
      if (!ref || !sha) continue;
      for (const workflow of await this.workflows(repo, sha)) {
        const entries = Array.isArray(workflow.on.schedule) ? workflow.on.schedule : [];
        for (const entry of entries) {
          const cron = (entry as { cron?: unknown }).cron;
          if (typeof cron !== "string") continue;
          const parsed = parseCron(cron);
          if (!parsed.ok) {
            this.deps.log(`equinox: ${repo}: ${workflow.file}: on.schedule: ${parsed.error}`);
            continue;
          }
          const key = `schedule:${repo}:${workflow.file}:${cron}`;
          const last = await this.deps.store.getValue(key);
          await this.deps.store.setValue(key, String(now));
          if (last === null) continue;
          if (cronFiresBetween(parsed.cron, Number(last), now, 1).length === 0) continue;
          created += (await this.deps.triggers.schedule(repo, workflow, cron, sha, ref)).length;
        }
      }
    }
    return created;
  }

  private async workflows(repo: string, sha: string): Promise<Workflow[]> {
    const key = `${repo}@${sha}`;
    let workflows = this.cache.get(key);
    if (!workflows) {
      workflows = (await workflowsAt(this.deps.repos, repo, sha)).workflows.filter(
        (w) => w.on.schedule !== undefined,
      );
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, workflows);
    }
    return workflows;
  }
}
