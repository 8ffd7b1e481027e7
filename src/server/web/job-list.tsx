import type { Job, Millis, Run, Step } from "../../store/records.ts";
import { formatDuration } from "./format.ts";
import { reasonText } from "./reason-text.ts";
import { elapsedMs } from "./state-times.ts";
import { StatusBadge, StatusIcon, statusKey } from "./status-badge.tsx";

/** Every job row with its steps; the selected job's steps start unfolded. */
export function JobList({
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
  if (jobs.length === 0) return <p class="muted">No job has started yet.</p>;
  return (
    <ul class="jobs">
      {jobs.map((job) => {
        const elapsed = elapsedMs(job.state, now);
        const isSelected = selected?.id === job.id;
        return (
          <li class={isSelected ? "job selected" : "job"}>
            <details open={isSelected}>
              <summary>
                <StatusBadge status={statusKey(job.state)} />{" "}
                <a href={`/runs/${run.id}?job=${job.id}`}>{job.name}</a>
                {elapsed !== null && <span class="dur">{formatDuration(elapsed)}</span>}
                {job.state.status === "completed" && job.state.reason && (
                  <span class="muted"> — {reasonText(job.state.reason)}</span>
                )}
              </summary>
              {job.steps.length === 0 ? (
                <p class="muted">No steps yet.</p>
              ) : (
                <ol class="steps">
                  {job.steps.map((step) => (
                    <StepRow step={step} now={now} />
                  ))}
                </ol>
              )}
            </details>
          </li>
        );
      })}
    </ul>
  );
}

function StepRow({ step, now }: { step: Step; now: Millis }) {
  const elapsed = elapsedMs(step.state, now);
  const state = step.state;
  // continue-on-error: the step failed but counts as a success; say so.
  const tolerated = state.status === "completed" && state.outcome !== state.result;
  return (
    <li>
      <StatusIcon status={statusKey(step.state)} /> <span class="step-name">{step.name}</span>
      {tolerated && <span class="muted"> (outcome: {state.outcome}, continued)</span>}
      {elapsed !== null && <span class="dur">{formatDuration(elapsed)}</span>}
    </li>
  );
}
