import type { Workflow } from "../workflow/model.ts";
import { matchTrigger, type TriggerEvent } from "./triggers.ts";

export interface SelectedWorkflow {
  workflow: Workflow;
  inputs: Record<string, unknown>;
}

export interface Selection {
  selected: SelectedWorkflow[];
  /** Workflows the event does not trigger, and why (shown by `--list` and verbose output). */
  skipped: { file: string; reason: string }[];
  /** Problems that stop the run, e.g. a missing required dispatch input. */
  errors: string[];
}

/** Picks the workflows an event triggers, with their `inputs` context. */
export function selectWorkflows(workflows: Workflow[], event: TriggerEvent): Selection {
  const selection: Selection = { selected: [], skipped: [], errors: [] };
  for (const workflow of workflows) {
    const match = matchTrigger(workflow.on, event);
    switch (match.kind) {
      case "match":
        selection.selected.push({ workflow, inputs: match.inputs });
        break;
      case "skip":
        selection.skipped.push({ file: workflow.file, reason: match.reason });
        break;
      case "error":
        selection.errors.push(...match.errors.map((e) => `${workflow.file}: ${e}`));
        break;
    }
  }
  return selection;
}
