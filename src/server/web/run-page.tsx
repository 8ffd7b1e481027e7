import type { Child } from "hono/jsx";
import type { Job, LogSlice, Millis, Run } from "../../store/records.ts";
import { formatDuration, repoPath, shortSha } from "./format.ts";
import { ButtonForm } from "./forms.tsx";
import { JobGraph } from "./job-graph.tsx";
import { JobList } from "./job-list.tsx";
import { LogPanel } from "./log-panel.tsx";
import { reasonText } from "./reason-text.ts";
import { elapsedMs, queuedMs } from "./state-times.ts";
import { StatusBadge, statusKey } from "./status-badge.tsx";
import { Age } from "./time-label.tsx";

/**
 * One run: its header and actions, the job graph, the jobs with their steps and the
 * selected job's log. While the run is not completed the page carries
 * `data-run-active="1"`, which the client script uses to refresh a page with no live log.
 */
export function RunPage({
  run,
  jobs,
  selected,
  log,
  now,
  csrf,
  canWrite,
  runNumbers = {},
}: {
  run: Run;
  jobs: Job[];
  selected: Job | null;
  log: LogSlice | null;
  now: Millis;
  csrf: string;
  canWrite: boolean;
  /** Run id → number, for the superseded-by and re-run-of links; ids are shown without it. */
  runNumbers?: Record<number, number>;
}) {
  const state = run.state;
  const completed = state.status === "completed";
  const elapsed = elapsedMs(state, now);
  const someFailed = jobs.some(
    (j) => j.state.status === "completed" && j.state.result === "failure",
  );
  const runLabel = (id: number) =>
    runNumbers[id] !== undefined ? `run #${runNumbers[id]}` : `run ${id}`;
  return (
    <article class="run" data-run-active={completed ? undefined : "1"}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Repositories</a> / <a href={repoPath(run.repo)}>{run.repo}</a> / #{run.number}
      </nav>
      <header class="run-head">
        <h1>
          {run.workflowName} <span class="muted">#{run.number}</span>
        </h1>
        <StatusBadge status={statusKey(state)} />
        {state.status === "completed" && state.reason && (
          <span class="reason">{reasonText(state.reason)}</span>
        )}
      </header>
      <dl class="meta">
        <Fact name="Event">{run.event}</Fact>
        <Fact name="Ref">
          <code>{run.ref}</code>
        </Fact>
        <Fact name="Commit">
          <code title={run.sha}>{shortSha(run.sha)}</code>
        </Fact>
        <Fact name="Actor">{run.actor}</Fact>
        <Fact name="Workflow">
          <code>{run.workflow}</code>
        </Fact>
        <Fact name="Created">
          <Age at={run.createdAt} now={now} />
        </Fact>
        <Fact name="Queued">{formatDuration(queuedMs(state, run.createdAt, now))}</Fact>
        <Fact name="Duration">{elapsed === null ? "—" : formatDuration(elapsed)}</Fact>
      </dl>
      {Object.keys(run.inputs).length > 0 && (
        <dl class="meta inputs">
          {Object.entries(run.inputs).map(([name, value]) => (
            <Fact name={name}>
              <code>{value}</code>
            </Fact>
          ))}
        </dl>
      )}
      {state.status === "completed" && state.supersededBy !== null && (
        <p class="notice">
          Superseded by <a href={`/runs/${state.supersededBy}`}>{runLabel(state.supersededBy)}</a>.
        </p>
      )}
      {run.rerunOf !== null && (
        <p class="notice">
          Re-run of <a href={`/runs/${run.rerunOf}`}>{runLabel(run.rerunOf)}</a>.
        </p>
      )}
      {run.error !== null && <pre class="error-box">{run.error}</pre>}
      {canWrite && (
        <div class="actions">
          {!completed && (
            <ButtonForm action={`/runs/${run.id}/cancel`} csrf={csrf} label="Cancel" danger />
          )}
          {completed && (
            <ButtonForm action={`/runs/${run.id}/rerun`} csrf={csrf} label="Re-run all" />
          )}
          {completed && someFailed && (
            <ButtonForm
              action={`/runs/${run.id}/rerun`}
              csrf={csrf}
              label="Re-run failed jobs"
              fields={{ failed: "1" }}
            />
          )}
        </div>
      )}
      <section>
        <h2>Jobs</h2>
        <JobGraph run={run} jobs={jobs} selected={selected} now={now} />
        <JobList run={run} jobs={jobs} selected={selected} now={now} />
      </section>
      {selected && <LogPanel run={run} job={selected} log={log} />}
    </article>
  );
}

/** One name/value pair of a `<dl>`, grouped so the grid keeps them together. */
function Fact({ name, children }: { name: string; children?: Child }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}
