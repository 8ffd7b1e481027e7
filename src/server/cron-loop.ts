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
  /** Set by stop(): a tick under way then finishes without arming the next one. */
  private stopped = false;
  private ticking: Promise<unknown> | null = null;
  private readonly cache = new Map<string, Workflow[]>();

  constructor(private readonly deps: CronLoopDeps) {}

  start(): void {
    this.stopped = false;
    const schedule = () => {
      if (this.stopped) return;
      const now = Date.now();
      // Just after the next minute starts, as cron does.
      this.timer = setTimeout(
        () => {
          this.ticking = this.tick(Date.now())
            .catch((err: Error) => this.deps.log(`equinox: schedule: ${err.message}`))
            .finally(() => {
              this.ticking = null;
              schedule();
            });
        },
        60_000 - (now % 60_000) + 500,
      );
      this.timer.unref();
    };
    schedule();
  }

  /** Stops the loop; resolves once a tick under way has finished (it stops at the next repository). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /**
   * One pass over every repository at time `now`; returns the runs it created. A
   * repository that fails (its commit cannot be read, a store error) is logged and
   * skipped: the others still get their scheduled runs.
   */
  async tick(now: number): Promise<number> {
    let created = 0;
    for (const repo of await this.deps.repos.list()) {
      if (this.stopped) break;
      try {
        created += await this.tickRepo(repo, now);
      } catch (err) {
        this.deps.log(`equinox: schedule: ${repo}: ${(err as Error).message}`);
      }
    }
    return created;
  }

  private async tickRepo(repo: string, now: number): Promise<number> {
    let created = 0;
    const branch = await this.deps.repos.defaultBranch(repo);
    const ref = branch ? (branch.startsWith("refs/") ? branch : `refs/heads/${branch}`) : null;
    const sha = ref ? await this.deps.repos.resolveRef(repo, ref) : null;
    if (!ref || !sha) return 0;
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
        if (last !== null && cronFiresBetween(parsed.cron, Number(last), now, 1).length > 0)
          created += (await this.deps.triggers.schedule(repo, workflow, cron, sha, ref)).length;
        // Only once the run exists: a fire that failed is retried at the next tick.
        await this.deps.store.setValue(key, String(now));
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
