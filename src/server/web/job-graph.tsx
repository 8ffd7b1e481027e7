import type { Job, Millis, Run } from "../../store/records.ts";
import { formatDuration } from "./format.ts";
import { COLUMN_WIDTH, type GraphNode, layoutGraph, MAX_ROWS } from "./graph-layout.ts";
import { elapsedMs } from "./state-times.ts";
import { StatusIcon, type StatusKey, statusKey } from "./status-badge.tsx";

/** The run's plan as boxes in dependency columns, each listing its job instances. */
export function JobGraph({
  run,
  jobs,
  selected,
  now,
}: {
  run: Run;
  jobs: Job[];
  selected: Job | null;
  now: Millis;
}) {
  const layout = layoutGraph(run.plan, jobs);
  if (layout.nodes.length === 0) return null;
  const runDone = run.state.status === "completed";
  return (
    <div class="graph-wrap">
      <div class="graph" style={`width:${layout.width}px;height:${layout.height}px`}>
        <svg
          class="edges"
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          aria-hidden="true"
        >
          {layout.edges.map((edge) => (
            <path d={edge.path} />
          ))}
        </svg>
        {layout.nodes.map((node) => (
          <Node node={node} run={run} selected={selected} now={now} runDone={runDone} />
        ))}
      </div>
    </div>
  );
}

function Node({
  node,
  run,
  selected,
  now,
  runDone,
}: {
  node: GraphNode;
  run: Run;
  selected: Job | null;
  now: Millis;
  runDone: boolean;
}) {
  const shown = node.jobs.slice(0, MAX_ROWS);
  const more = node.jobs.length - shown.length;
  const style = `left:${node.x}px;top:${node.y}px;width:${COLUMN_WIDTH}px;height:${node.height}px`;
  return (
    <section class={`node node-${aggregate(node.jobs)}`} style={style}>
      <h3
        class="node-title"
        title={node.needs.length ? `needs: ${node.needs.join(", ")}` : undefined}
      >
        {node.name}
      </h3>
      <ul>
        {shown.length === 0 && (
          <li class="waiting">
            <StatusIcon status="waiting" /> {runDone ? "not run" : "waiting"}
          </li>
        )}
        {shown.map((job) => {
          const elapsed = elapsedMs(job.state, now);
          return (
            <li class={selected?.id === job.id ? "selected" : undefined}>
              <a href={`/runs/${run.id}?job=${job.id}`}>
                <StatusIcon status={statusKey(job.state)} /> {job.name}
              </a>
              {elapsed !== null && <span class="dur">{formatDuration(elapsed)}</span>}
            </li>
          );
        })}
        {more > 0 && <li class="muted">+{more} more (see the jobs below)</li>}
      </ul>
    </section>
  );
}

/** One colour for a box: what is still moving first, then the worst result. */
function aggregate(jobs: Job[]): StatusKey {
  if (jobs.length === 0) return "waiting";
  const keys = new Set(jobs.map((j) => statusKey(j.state)));
  for (const key of ["running", "queued", "failure", "cancelled", "success"] as const) {
    if (keys.has(key)) return key;
  }
  return "skipped";
}
