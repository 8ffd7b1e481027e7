import type { Workflow } from "../workflow/model.ts";

/**
 * The `github.event` a workflow sees, completed from what its trigger resolved: a
 * `workflow_dispatch` payload carries every input (defaults applied) as strings, and
 * a `schedule` payload carries the workflow's cron. Other payloads pass through.
 */
export function eventPayloadFor(
  workflow: Workflow,
  eventName: string,
  payload: Record<string, unknown>,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  if (eventName === "workflow_dispatch") {
    const given = (payload.inputs ?? {}) as Record<string, unknown>;
    const asStrings: Record<string, string> = {};
    for (const [name, value] of Object.entries(inputs)) asStrings[name] = String(value);
    return { ...payload, inputs: { ...given, ...asStrings } };
  }
  if (eventName === "schedule" && payload.schedule === undefined) {
    const cron = workflow.on.schedule?.[0]?.cron;
    return cron === undefined ? payload : { ...payload, schedule: cron };
  }
  return payload;
}
