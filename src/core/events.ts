/**
 * The runtime's event protocol: one JSON object per line on the runtime's stdout.
 * Every event has a `type` and an ISO-8601 `at`. A stream that ends without
 * `job.finished` means the runtime crashed; the orchestrator records `failure`
 * with reason `internal`. See docs/event-protocol.md.
 */

/** Result words shared with Actions and runner.v1. */
export type Result = "success" | "failure" | "cancelled" | "skipped";

/** Why a job that did not succeed ended as it did, recorded beside its result. */
export type FailureReason = "pipeline" | "internal" | "orphaned" | "timeout";

export type AnnotationLevel = "notice" | "warning" | "error";

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

/** One `job(id, inputs, fn, options)` call of a TS pipeline. */
export interface PipelineJobPlan {
  id: string;
  /** Job ids and sources (`push`, `schedule`, `manual`). */
  inputs: string[];
  allowFailure: boolean;
  /** 1-based line of the `job()` call. */
  line: number;
}

export interface PipelinePlanError {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export type RuntimeEvent =
  | { type: "job.started"; at: string; job: string }
  | { type: "step.started"; at: string; index: number; id: string | null; name: string }
  /** Masked log lines; `step` is null for job-level lines (setup, job outputs). */
  | { type: "log"; at: string; step: number | null; lines: string[] }
  | { type: "annotation"; at: string; step: number | null; annotation: Annotation }
  | { type: "step.summary"; at: string; index: number; markdown: string }
  | {
      type: "step.finished";
      at: string;
      index: number;
      outcome: Result;
      conclusion: Result;
      outputs: Record<string, string>;
    }
  | { type: "job.outputs"; at: string; outputs: Record<string, string> }
  /** What a `pipeline-plan` step found in a TS pipeline: its jobs, or every problem. */
  | { type: "pipeline.plan"; at: string; jobs: PipelineJobPlan[]; errors: PipelinePlanError[] }
  | { type: "job.finished"; at: string; result: Result; reason?: FailureReason };

export type RuntimeEventType = RuntimeEvent["type"];

/** Builds an event stamped with the current time. */
export function event<E extends RuntimeEvent>(body: Omit<E, "at"> & { type: E["type"] }): E {
  return { ...body, at: new Date().toISOString() } as E;
}
