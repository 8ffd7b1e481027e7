import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { PipelineJobPlan } from "../events.ts";
import type { JobDef, Triggers, Workflow } from "./model.ts";
import { checkoutStep, plainStep } from "./native-steps.ts";

/** Where a programmable pipeline is looked for, first match wins. */
export const PIPELINE_FILES = [".equinox/ci.ts", ".equinox/ci.js", ".equinox/ci.mjs"];

/** A path names a pipeline when it has a script extension (for `-W`). */
export function isPipelinePath(path: string): boolean {
  return /\.(?:[cm]?ts|[cm]?js)$/.test(path);
}

export async function findPipelineFile(root: string): Promise<string | null> {
  for (const path of PIPELINE_FILES) {
    const info = await stat(join(root, path)).catch(() => null);
    if (info?.isFile()) return path;
  }
  return null;
}

/** The pipeline source an event starts from, or null when the event starts none. */
export function sourceForEvent(eventName: string): "push" | "schedule" | "manual" | null {
  if (eventName === "push") return "push";
  if (eventName === "schedule") return "schedule";
  if (eventName === "workflow_dispatch") return "manual";
  return null;
}

/**
 * Maps the runtime's plan of a TS pipeline onto the job model, keeping only the jobs that
 * `source` reaches. The orchestrator never evaluates the pipeline: it gets this data from
 * the `pipeline.plan` event of a plan job run by the runtime, like any other job.
 */
export function pipelineWorkflow(
  file: string,
  jobs: PipelineJobPlan[],
  event: { name: string; inputs: Record<string, string>; cron: string | null },
): Workflow {
  const source = sourceForEvent(event.name);
  const reached = new Set<string>();
  let grew = source !== null;
  while (grew) {
    grew = false;
    for (const j of jobs) {
      if (reached.has(j.id) || !j.inputs.some((i) => i === source || reached.has(i))) continue;
      reached.add(j.id);
      grew = true;
    }
  }
  const on: Triggers = {};
  // A source that reaches no job leaves the pipeline untriggered (reported as such).
  if (reached.size === 0) {
  } else if (source === "push") on.push = {};
  else if (source === "schedule") on.schedule = [{ cron: event.cron ?? "* * * * *" }];
  else if (source === "manual")
    on.workflow_dispatch = {
      // The pipeline declares no inputs: every input given is a string the job may read.
      inputs: Object.fromEntries(Object.keys(event.inputs).map((k) => [k, { type: "string" }])),
    };
  const sources = new Set(["push", "schedule", "manual"]);
  return {
    format: "equinox-pipeline",
    file,
    name: file,
    on,
    env: {},
    defaults: {},
    jobs: jobs.filter((j) => reached.has(j.id)).map((j): JobDef => pipelineJob(file, j, sources)),
  };
}

function pipelineJob(file: string, j: PipelineJobPlan, sources: Set<string>): JobDef {
  return {
    id: j.id,
    name: j.id,
    needs: j.inputs.filter((i) => !sources.has(i)),
    needsTransitive: true,
    if: null,
    runsOn: null,
    strategy: null,
    env: {},
    defaults: {},
    steps: [checkoutStep(), { ...plainStep(), kind: "pipeline-job", file, job: j.id }],
    outputs: {},
    continueOnError: j.allowFailure,
    timeoutMinutes: 360,
    container: null,
    services: null,
    line: j.line,
  };
}
