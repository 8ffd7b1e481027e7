import { raw } from "hono/html";
import type { Job, LogSlice, Run } from "../../store/records.ts";
import { lastLineNumber, renderLog } from "./log-render.ts";
import { StatusBadge, statusKey } from "./status-badge.tsx";

/**
 * The selected job's log. The data attributes are the client script's contract: while
 * `data-live="1"` it streams lines after `data-after` from
 * `/runs/<data-run>/jobs/<data-job>/log/live` into `.log`.
 */
export function LogPanel({ run, job, log }: { run: Run; job: Job; log: LogSlice | null }) {
  const slice = log ?? { firstLine: 1, lines: [] };
  const live = job.state.status !== "completed";
  const rawUrl = `/api/v1/runs/${run.id}/jobs/${job.id}/log`;
  return (
    <section
      class="log-panel"
      id="log"
      data-run={String(run.id)}
      data-job={String(job.id)}
      data-after={String(lastLineNumber(slice))}
      data-live={live ? "1" : undefined}
    >
      <header class="log-head">
        <h2>{job.name}</h2> <StatusBadge status={statusKey(job.state)} />{" "}
        <a href={rawUrl} class="raw">
          Raw log
        </a>
      </header>
      {slice.firstLine > 1 && (
        <p class="muted">
          Lines before {slice.firstLine} are not shown here; the <a href={rawUrl}>raw log</a> has
          them all.
        </p>
      )}
      <div class="log">{raw(renderLog(slice))}</div>
      {slice.lines.length === 0 && (
        <p class="log-empty">
          {job.state.status === "queued"
            ? "Waiting for a runner…"
            : live
              ? "No output yet."
              : "This job wrote no output."}
        </p>
      )}
    </section>
  );
}
