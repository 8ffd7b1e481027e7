import type { Buffer } from "node:buffer";
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
  /**
   * Masked log lines as UTF-8 bytes, each ending in `\n` (one line at least; see
   * log-block.ts; `linesOf(data)` decodes them); `step` is null for job-level lines
   * (setup, job outputs).
   */
  | { type: "log"; at: string; step: number | null; data: Buffer }
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
  | { type: "job.finished"; at: string; result: Result; reason?: FailureReason }
  /**
   * A request to the executor, not news of the job: run a step's container
   * (`uses: docker://…`, a Docker action) next to the job, or stop it. The executor
   * answers on the runtime's stdin (see ContainerReply) and passes these on to no
   * one: `env` holds the step's secrets unmasked.
   */
  | ContainerRun
  | { type: "container.stop"; at: string; id: number };

export interface ContainerRun {
  type: "container.run";
  at: string;
  id: number;
  /** An image, or a directory whose `Dockerfile` the executor builds (a Docker action's). */
  image: { name: string } | { build: string; dockerfile: string };
  /** Replaces the image's entrypoint; null keeps it. */
  entrypoint: string | null;
  args: string[];
  env: Record<string, string>;
  /** The workspace, which the container sees at the same path (with the job's other directories). */
  workdir: string;
}

/** The executor's answers on the runtime's stdin, one JSON object per line after the spec. */
export type ContainerReply =
  /** Output of the container, bytes as base64. */
  | { type: "container.output"; id: number; stream: "stdout" | "stderr"; data: string }
  | { type: "container.exited"; id: number; code: number }
  | { type: "container.failed"; id: number; message: string };

export type RuntimeEventType = RuntimeEvent["type"];

/** Builds an event stamped with the current time. */
export function event<E extends RuntimeEvent>(body: Omit<E, "at"> & { type: E["type"] }): E {
  return { ...body, at: new Date().toISOString() } as E;
}
