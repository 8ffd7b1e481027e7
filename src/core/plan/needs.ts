import type { Workflow } from "../workflow/model.ts";

/** The requested jobs and every job they transitively need (what `-j ID` runs). */
export function withNeeds(workflow: Workflow, ids: string[]): Set<string> {
  const wanted = new Set<string>();
  const visit = (id: string) => {
    if (wanted.has(id)) return;
    wanted.add(id);
    for (const need of workflow.jobs.find((j) => j.id === id)?.needs ?? []) visit(need);
  };
  for (const id of ids) visit(id);
  return wanted;
}
