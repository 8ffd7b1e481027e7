import type { Millis, Run } from "../../store/records.ts";
import { type Dispatchable, DispatchForm } from "./dispatch-form.tsx";
import { formatDuration, repoPath, shortRef, shortSha } from "./format.ts";
import { PostForm } from "./forms.tsx";
import { elapsedMs, queuedMs } from "./state-times.ts";
import { StatusBadge, statusKey } from "./status-badge.tsx";
import { Age } from "./time-label.tsx";

export function RunListPage({
  repo,
  runs,
  total,
  nextBefore,
  now,
  csrf,
  canWrite,
  canAdmin = false,
  dispatchable,
  cloneUrl,
}: {
  repo: string;
  runs: Run[];
  total: number;
  nextBefore: number | null;
  now: Millis;
  csrf: string;
  canWrite: boolean;
  /** Shows the delete form. */
  canAdmin?: boolean;
  dispatchable: Dispatchable[];
  cloneUrl: string;
}) {
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Repositories</a> / <span>{repo}</span>
      </nav>
      <h1>{repo}</h1>
      <p class="clone">
        Clone: <code class="copy">{cloneUrl}</code>
      </p>
      {canWrite && dispatchable.length > 0 && (
        <section class="panel">
          <h2>Run a workflow</h2>
          {dispatchable.map((workflow) => (
            <DispatchForm repo={repo} workflow={workflow} csrf={csrf} />
          ))}
        </section>
      )}
      <h2 data-run-active={runs.some((r) => r.state.status !== "completed") ? "1" : undefined}>
        Runs <span class="muted">({total})</span>
      </h2>
      {runs.length === 0 ? (
        <p class="empty">
          No runs yet. Push a commit with a workflow to <code>{cloneUrl}</code> to start one.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="list runs">
            <thead>
              <tr>
                <th>Status</th>
                <th>Run</th>
                <th>Workflow</th>
                <th>Event</th>
                <th>Ref</th>
                <th>Commit</th>
                <th>Actor</th>
                <th>Created</th>
                <th>Queued</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <RunRow run={run} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextBefore !== null && (
        <p class="pager">
          <a href={`?before=${nextBefore}`}>Older runs →</a>
        </p>
      )}
      {canAdmin && (
        <details class="danger-zone">
          <summary>Delete this repository…</summary>
          <PostForm action={`${repoPath(repo)}/delete`} csrf={csrf} class="stack">
            <label class="check">
              <input type="checkbox" name="confirm" value="1" required /> Yes, delete{" "}
              <strong>{repo}</strong> with all its runs, logs and secrets
            </label>
            <button type="submit" class="danger">
              Delete repository
            </button>
          </PostForm>
        </details>
      )}
    </>
  );
}

function RunRow({ run, now }: { run: Run; now: Millis }) {
  const elapsed = elapsedMs(run.state, now);
  return (
    <tr>
      <td>
        <StatusBadge status={statusKey(run.state)} />
      </td>
      <td>
        <a href={`/runs/${run.id}`}>#{run.number}</a>
      </td>
      <td>{run.workflowName}</td>
      <td>{run.event}</td>
      <td>
        <code title={run.ref}>{shortRef(run.ref)}</code>
      </td>
      <td>
        <code title={run.sha}>{shortSha(run.sha)}</code>
      </td>
      <td>{run.actor}</td>
      <td>
        <Age at={run.createdAt} now={now} />
      </td>
      <td>{formatDuration(queuedMs(run.state, run.createdAt, now))}</td>
      <td>{elapsed === null ? "—" : formatDuration(elapsed)}</td>
    </tr>
  );
}
