import type { JobState, Millis, RunState, StepState } from "../../store/records.ts";

/** How long something has run: started → finished, or → now while running; null before it started. */
export function elapsedMs(state: RunState | JobState | StepState, now: Millis): number | null {
  if (state.status === "queued") return null;
  if (state.status === "running") return now - state.startedAt;
  return state.startedAt === null ? null : state.finishedAt - state.startedAt;
}

/** How long a run waited: created → started, → now while queued, → finished when it never started. */
export function queuedMs(state: RunState, createdAt: Millis, now: Millis): number {
  if (state.status === "queued") return now - createdAt;
  if (state.status === "running") return state.startedAt - createdAt;
  return (state.startedAt ?? state.finishedAt) - createdAt;
}
