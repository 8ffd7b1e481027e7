import type { JobState, RunState, StepState } from "../../store/records.ts";

/** What a badge shows: a state's status, or its result once completed. `waiting` is a planned job with no row yet. */
export type StatusKey =
  | "queued"
  | "waiting"
  | "running"
  | "success"
  | "failure"
  | "cancelled"
  | "skipped";

export function statusKey(state: RunState | JobState | StepState): StatusKey {
  return state.status === "completed" ? state.result : state.status;
}

// A symbol as well as a colour and a word, so the status reads without colour vision.
const icons: Record<StatusKey, string> = {
  queued: "○",
  waiting: "◌",
  running: "●",
  success: "✓",
  failure: "✗",
  cancelled: "⊘",
  skipped: "↷",
};

export function statusIcon(key: StatusKey): string {
  return icons[key];
}

export function StatusBadge({ status, label }: { status: StatusKey; label?: string }) {
  return (
    <span class={`badge badge-${status}`}>
      <span class="badge-icon" aria-hidden="true">
        {icons[status]}
      </span>{" "}
      {label ?? status}
    </span>
  );
}

/** The icon alone (step lists), with the status as its accessible name. */
export function StatusIcon({ status }: { status: StatusKey }) {
  return (
    <span class={`icon icon-${status}`} role="img" aria-label={status} title={status}>
      {icons[status]}
    </span>
  );
}
