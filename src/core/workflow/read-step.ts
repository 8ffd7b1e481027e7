import type { StepSpec, Templates } from "../job-spec.ts";

/**
 * Reads a step mapping as written in YAML — a workflow's `steps:` or a composite
 * action's `runs.steps:` — into a StepSpec, leaving every `${{ }}` for the runtime.
 * No parser dependencies: the runtime uses it for `action.yml` too.
 */
export function readStep(step: Record<string, unknown>): StepSpec {
  const common = {
    id: step.id === undefined ? null : String(step.id),
    name: step.name === undefined ? null : String(step.name),
    if: readCondition(step.if),
    env: readTemplates(step.env),
    continueOnError: readBoolOrExpr(step["continue-on-error"], false),
    timeoutMinutes: readNumberOrExpr(step["timeout-minutes"]),
  };
  if (typeof step.uses === "string") {
    return { ...common, kind: "uses", uses: step.uses, with: readTemplates(step.with) };
  }
  const run: StepSpec = { ...common, kind: "run", run: String(step.run ?? "") };
  if (step.shell !== undefined) run.shell = String(step.shell);
  if (step["working-directory"] !== undefined)
    run.workingDirectory = String(step["working-directory"]);
  return run;
}

/** YAML scalars (numbers, booleans) become the strings the runtime would see. */
export function readTemplates(raw: unknown): Templates {
  const out: Templates = {};
  for (const [k, v] of Object.entries(asRecord(raw))) {
    out[k] = v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return out;
}

export function readCondition(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  return String(raw);
}

export function readBoolOrExpr(raw: unknown, fallback: boolean): boolean | string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === "boolean") return raw;
  return String(raw);
}

export function readNumberOrExpr(raw: unknown): number | string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === "number") return raw;
  return String(raw);
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}
