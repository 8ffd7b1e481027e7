import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
} from "@actions/workflow-parser";
import { type Document, isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type {
  JobDef,
  Loaded,
  RunDefaults,
  StrategyDef,
  Triggers,
  Workflow,
  WorkflowError,
} from "./model.ts";
import {
  asRecord,
  readBoolOrExpr,
  readCondition,
  readNumberOrExpr,
  readStep,
  readTemplates,
} from "./read-step.ts";

const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

/**
 * Loads a GitHub/Forgejo/Gitea Actions workflow. GitHub's own parser validates the
 * schema and the `needs` graph (its messages carry line and column); the job model is
 * then read from a plain YAML parse, because the parser's template conversion rewrites
 * `run:` scripts and `if:` conditions in ways the runtime must not see.
 */
export async function loadActionsWorkflow(
  file: string,
  content: string,
): Promise<Loaded<Workflow>> {
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const schemaErrors = parsed.context.errors
    .getErrors()
    .map((e) => toWorkflowError(file, e.message));
  if (schemaErrors.length > 0 || !parsed.value) return { value: null, errors: schemaErrors };

  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  const conversionErrors = (template.errors ?? []).map((e) => toWorkflowError(file, e.Message));
  if (conversionErrors.length > 0) return { value: null, errors: conversionErrors };

  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines });
  const root = doc.toJS() as Record<string, unknown>;
  const errors: WorkflowError[] = [];
  const jobs: JobDef[] = [];
  for (const [id, raw] of Object.entries(asRecord(root.jobs))) {
    const line = lineOf(doc, lines, ["jobs", id]);
    const job = asRecord(raw);
    if (job.uses !== undefined) {
      errors.push({
        file,
        line,
        col: 3,
        message: `Job '${id}' calls a reusable workflow (jobs.${id}.uses), which Equinox does not support yet`,
      });
      continue;
    }
    jobs.push(readJob(id, job, line));
  }
  if (errors.length > 0) return { value: null, errors };

  return {
    value: {
      format: "actions",
      file,
      name: typeof root.name === "string" ? root.name : file,
      // The converter normalizes every `on:` spelling (string, list, mapping) to one shape.
      on: withDispatchDefaults(
        JSON.parse(JSON.stringify(template.events ?? {})) as Triggers,
        root.on,
      ),
      env: readTemplates(root.env),
      defaults: readDefaults(root.defaults),
      jobs,
    },
    errors: [],
  };
}

/** The parser drops `default` of `number` inputs; take the defaults from the YAML itself. */
function withDispatchDefaults(on: Triggers, rawOn: unknown): Triggers {
  const rawInputs = asRecord(asRecord(asRecord(rawOn).workflow_dispatch).inputs);
  const inputs = on.workflow_dispatch?.inputs;
  if (!inputs) return on;
  for (const [name, raw] of Object.entries(rawInputs)) {
    const def = asRecord(raw).default;
    if (inputs[name] && def !== undefined && inputs[name].default === undefined) {
      inputs[name].default = def as string | number | boolean;
    }
  }
  return on;
}

function readJob(id: string, job: Record<string, unknown>, line: number): JobDef {
  const strategy = job.strategy === undefined ? null : readStrategy(job.strategy);
  return {
    id,
    name: job.name === undefined ? null : String(job.name),
    needs:
      job.needs === undefined
        ? []
        : Array.isArray(job.needs)
          ? job.needs.map(String)
          : [String(job.needs)],
    if: readCondition(job.if),
    runsOn: job["runs-on"] ?? null,
    strategy,
    env: readTemplates(job.env),
    defaults: readDefaults(job.defaults),
    steps: asArray(job.steps).map((s) => readStep(asRecord(s))),
    outputs: readTemplates(job.outputs),
    continueOnError: readBoolOrExpr(job["continue-on-error"], false),
    timeoutMinutes: readNumberOrExpr(job["timeout-minutes"]) ?? DEFAULT_JOB_TIMEOUT_MINUTES,
    container: job.container ?? null,
    services: job.services ?? null,
    line,
  };
}

function readStrategy(raw: unknown): StrategyDef {
  if (typeof raw === "string") return { matrix: raw, failFast: true, maxParallel: null };
  const s = asRecord(raw);
  return {
    matrix: s.matrix ?? null,
    failFast: readBoolOrExpr(s["fail-fast"], true),
    maxParallel: readNumberOrExpr(s["max-parallel"]),
  };
}

function readDefaults(raw: unknown): RunDefaults {
  const run = asRecord(asRecord(raw).run);
  const defaults: RunDefaults = {};
  if (run.shell !== undefined) defaults.shell = String(run.shell);
  if (run["working-directory"] !== undefined)
    defaults.workingDirectory = String(run["working-directory"]);
  return defaults;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function lineOf(doc: Document, lines: LineCounter, path: string[]): number {
  let node: unknown = doc.contents;
  let keyNode: Node | null = null;
  for (const key of path) {
    if (!isMap(node)) return 1;
    const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    if (!pair) return 1;
    keyNode = pair.key as Node;
    node = pair.value;
  }
  if (isSeq(node) && !keyNode) return 1;
  const offset = keyNode?.range?.[0] ?? 0;
  return lines.linePos(offset).line;
}

const PREFIXED = /^(.*?) \(Line: (\d+), Col: (\d+)\): ([\s\S]*)$/;

/** The parser renders `file (Line: n, Col: m): message`; keep the parts as fields. */
function toWorkflowError(file: string, message: string): WorkflowError {
  const m = PREFIXED.exec(message);
  if (m) return { file, line: Number(m[2]), col: Number(m[3]), message: m[4]! };
  const bare = message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
  const yamlPos = / at line (\d+), column (\d+)/.exec(bare);
  if (yamlPos)
    return {
      file,
      line: Number(yamlPos[1]),
      col: Number(yamlPos[2]),
      message: bare.split("\n")[0]!,
    };
  return { file, message: bare };
}
