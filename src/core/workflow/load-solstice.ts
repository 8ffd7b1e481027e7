import {
  type Document,
  type Entry,
  getLocation,
  InvalidKdlError,
  type Node,
  type Primitive,
  parse as parseKdl2,
} from "@bgotink/kdl";
import { parse as parseKdl1 } from "@bgotink/kdl/v1-compat";
import type { StepSpec, Templates } from "../job-spec.ts";
import type { JobDef, Loaded, Triggers, Workflow, WorkflowError } from "./model.ts";
import { checkoutStep, plainStep } from "./native-steps.ts";

/** Where Solstice keeps its workflow and its legacy one-script job, relative to the repo root. */
export const SOLSTICE_WORKFLOW = ".solstice/workflow.kdl";
export const SOLSTICE_JOB_SCRIPT = ".solstice/job.sh";

const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

/** Solstice has no `on:`: it runs a workflow for every push and pull request, and on request. */
const SOLSTICE_TRIGGERS: Triggers = { push: {}, pull_request: {}, workflow_dispatch: {} };

/** Same rule as Actions job ids: they become `needs.<id>` keys and parts of file names. */
const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Loads `.solstice/workflow.kdl`:
 * `workflow name=… { job id=… runs_on=… { setup path=…; step name=… run=… } }`, plus the
 * Equinox extensions (`env`, `needs`, `timeout`, `script`). KDL v2 and v1 are both accepted
 * (Solstice's own files are v1). Every problem is collected, each with its line and column.
 */
export function loadSolsticeWorkflow(file: string, content: string): Loaded<Workflow> {
  const parsed = parseKdl(file, content);
  if (!parsed.value) return { value: null, errors: parsed.errors };
  const reader = new Reader(file);
  const workflow = readDocument(reader, parsed.value);
  if (reader.errors.length > 0 || !workflow) {
    const errors = reader.errors.sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
    );
    return { value: null, errors };
  }
  return { value: workflow, errors: [] };
}

/** The legacy `.solstice/job.sh`: one job, id `job`, on the default label, running the script. */
export function solsticeJobScript(file: string): Workflow {
  return {
    format: "solstice-script",
    file,
    name: file,
    on: structuredClone(SOLSTICE_TRIGGERS),
    env: {},
    defaults: {},
    jobs: [
      jobDef({
        id: "job",
        runsOn: null,
        needs: [],
        env: {},
        timeoutMinutes: DEFAULT_JOB_TIMEOUT_MINUTES,
        steps: [checkoutStep(), scriptStep(`Run ${file}`, file)],
        line: 1,
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Attempt {
  doc: Document | null;
  errors: WorkflowError[];
  /** Offset of the earliest error: the parse that got further usually explains the problem best. */
  reached: number;
}

function parseKdl(file: string, content: string): Loaded<Document> {
  const v2 = attempt(file, () => parseKdl2(content, { storeLocations: true }));
  if (v2.doc) return { value: v2.doc, errors: [] };
  const v1 = attempt(file, () => parseKdl1(content, { storeLocations: true }));
  if (v1.doc) return { value: v1.doc, errors: [] };
  // On a tie prefer v1's messages: Solstice's files are v1, and its messages are more specific.
  return { value: null, errors: v2.reached > v1.reached ? v2.errors : v1.errors };
}

function attempt(file: string, parse: () => Document): Attempt {
  try {
    return { doc: parse(), errors: [], reached: Number.POSITIVE_INFINITY };
  } catch (err) {
    if (!(err instanceof InvalidKdlError)) {
      return { doc: null, errors: [{ file, message: String(err) }], reached: 0 };
    }
    const errors: WorkflowError[] = [];
    let reached = Number.POSITIVE_INFINITY;
    for (const e of err.flat()) {
      const message = `KDL syntax error: ${e.message.replace(/ at \d+:\d+$/, "")}`;
      if (e.start) reached = Math.min(reached, e.start.offset);
      if (errors.some((x) => x.message === message && x.line === e.start?.line)) continue;
      errors.push(
        e.start
          ? { file, line: e.start.line, col: e.start.column, message }
          : { file, message: message },
      );
    }
    return { doc: null, errors, reached: Number.isFinite(reached) ? reached : 0 };
  }
}

// ---------------------------------------------------------------------------------------------
// Validation and mapping

class Reader {
  readonly errors: WorkflowError[] = [];
  constructor(readonly file: string) {}

  error(at: Node | Entry | null, message: string) {
    const loc = at ? getLocation(at)?.start : undefined;
    this.errors.push({ file: this.file, line: loc?.line ?? 1, col: loc?.column ?? 1, message });
  }
}

type Kind = "string" | "minutes";

/** What a node may carry; anything else is reported. */
interface Shape {
  props: Record<string, Kind>;
  required?: string[];
  /** Allowed child node names (none when absent). */
  children?: string[];
  /** Whether string arguments are allowed (`needs "a" "b"`). */
  args?: boolean;
}

interface Attrs {
  strings: Map<string, string>;
  numbers: Map<string, number>;
  /** The entry of each property, to point errors at it. */
  entries: Map<string, Entry>;
  args: { value: string; entry: Entry }[];
  children: Node[];
}

/** Checks a node against its shape, reporting every deviation, and returns what it holds. */
function readNode(r: Reader, node: Node, shape: Shape): Attrs {
  const name = node.getName();
  const attrs: Attrs = {
    strings: new Map(),
    numbers: new Map(),
    entries: new Map(),
    args: [],
    children: [],
  };
  for (const entry of node.entries) {
    const key = entry.getName();
    const value = entry.getValue();
    if (key === null) {
      if (!shape.args) {
        r.error(
          entry,
          `'${name}' takes no arguments, found ${show(value)}${shape.props.id ? ` (write id=${show(value)})` : ""}`,
        );
      } else if (typeof value !== "string") {
        r.error(entry, `'${name}' arguments must be strings, found ${show(value)}`);
      } else {
        attrs.args.push({ value, entry });
      }
      continue;
    }
    const kind = shape.props[key];
    if (!kind) {
      const known = Object.keys(shape.props);
      r.error(
        entry,
        `Unknown property '${key}' on '${name}'${known.length > 0 ? ` (expected ${known.join(", ")})` : ""}`,
      );
      continue;
    }
    attrs.entries.set(key, entry);
    if (kind === "string") {
      if (typeof value === "string") attrs.strings.set(key, value);
      else r.error(entry, `'${name}' property '${key}' must be a string, found ${show(value)}`);
    } else if (typeof value === "number" && Number.isFinite(value) && value > 0) {
      attrs.numbers.set(key, value);
    } else {
      r.error(
        entry,
        `'${name}' property '${key}' must be a positive number of minutes, found ${show(value)}`,
      );
    }
  }
  for (const key of shape.required ?? []) {
    if (!attrs.entries.has(key)) r.error(node, `Missing required property '${key}' on '${name}'`);
  }
  for (const child of node.children?.nodes ?? []) {
    const childName = child.getName();
    if (!shape.children) r.error(child, `'${name}' takes no children, found '${childName}'`);
    else if (!shape.children.includes(childName))
      r.error(
        child,
        `Unknown node '${childName}' in '${name}' (expected ${shape.children.join(", ")})`,
      );
    else attrs.children.push(child);
  }
  return attrs;
}

function show(value: Primitive): string {
  return JSON.stringify(value);
}

function readDocument(r: Reader, doc: Document): Workflow | null {
  let workflow: Workflow | null = null;
  for (const node of doc.nodes) {
    if (node.getName() !== "workflow") {
      r.error(node, `Unknown node '${node.getName()}' at the top level (expected 'workflow')`);
    } else if (workflow) {
      r.error(node, "Only one 'workflow' node is allowed per file");
    } else {
      workflow = readWorkflow(r, node);
    }
  }
  if (!workflow && r.errors.length === 0)
    r.error(null, 'No \'workflow\' node: expected workflow name="…" { job id="…" { … } }');
  return workflow;
}

interface PendingJob {
  def: JobDef;
  node: Node;
  /** Where each need is written, to point errors at it. */
  needsAt: Map<string, Entry>;
}

function readWorkflow(r: Reader, node: Node): Workflow {
  const attrs = readNode(r, node, { props: { name: "string" }, children: ["env", "job"] });
  const env: Templates = {};
  const jobs: PendingJob[] = [];
  for (const child of attrs.children) {
    if (child.getName() === "env") Object.assign(env, readEnv(r, child));
    else {
      const job = readJob(r, child);
      if (job) jobs.push(job);
    }
  }
  if (jobs.length === 0 && !attrs.children.some((c) => c.getName() === "job"))
    r.error(node, "The workflow has no jobs");
  checkJobGraph(r, jobs);
  return {
    format: "solstice-kdl",
    file: r.file,
    name: attrs.strings.get("name") ?? r.file,
    on: structuredClone(SOLSTICE_TRIGGERS),
    env,
    defaults: {},
    jobs: jobs.map((j) => j.def),
  };
}

function readJob(r: Reader, node: Node): PendingJob | null {
  const attrs = readNode(r, node, {
    props: {
      id: "string",
      runs_on: "string",
      needs: "string",
      timeout: "minutes",
      script: "string",
    },
    required: ["id"],
    children: ["env", "needs", "setup", "step"],
  });
  const id = attrs.strings.get("id");
  if (id !== undefined && !JOB_ID.test(id)) {
    r.error(
      attrs.entries.get("id") ?? node,
      `Job id '${id}' must start with a letter or '_' and contain only letters, digits, '-' and '_'`,
    );
  }

  const needsAt = new Map<string, Entry>();
  const needsEntry = attrs.entries.get("needs");
  const needsProp = attrs.strings.get("needs");
  if (needsProp !== undefined && needsEntry) needsAt.set(needsProp, needsEntry);
  const env: Templates = {};
  let setup: { path: string; node: Node } | null = null;
  const steps: StepSpec[] = [];
  for (const child of attrs.children) {
    switch (child.getName()) {
      case "env":
        Object.assign(env, readEnv(r, child));
        break;
      case "needs": {
        const needs = readNode(r, child, { props: {}, args: true });
        if (needs.args.length === 0) r.error(child, '\'needs\' lists job ids: needs "a" "b"');
        for (const a of needs.args) if (!needsAt.has(a.value)) needsAt.set(a.value, a.entry);
        break;
      }
      case "setup": {
        const path = readNode(r, child, {
          props: { path: "string" },
          required: ["path"],
        }).strings.get("path");
        if (setup) r.error(child, "Only one 'setup' node is allowed per job");
        else if (path !== undefined) setup = { path, node: child };
        break;
      }
      case "step": {
        const step = readStep(r, child);
        if (step) steps.push(step);
        break;
      }
    }
  }

  const label = id === undefined ? "The job" : `Job '${id}'`;
  const script = attrs.strings.get("script");
  const hasStepNodes = attrs.children.some((c) => c.getName() === "step");
  if (script !== undefined && hasStepNodes) {
    r.error(
      attrs.entries.get("script") ?? node,
      `${label} has both a script attribute and 'step' nodes; use one or the other`,
    );
  } else if (script === undefined && !hasStepNodes) {
    r.error(node, `${label} has no steps: add 'step' nodes or a script attribute`);
  }
  if (id === undefined) return null;

  // Solstice fetches the commit before anything runs; `setup` comes first wherever it is written.
  const all: StepSpec[] = [checkoutStep()];
  if (setup) all.push(scriptStep(`Setup (${setup.path})`, setup.path));
  if (script !== undefined) all.push(scriptStep(`Run ${script}`, script));
  all.push(...steps);
  return {
    def: jobDef({
      id,
      runsOn: attrs.strings.get("runs_on") ?? null,
      needs: [...needsAt.keys()],
      env,
      timeoutMinutes: attrs.numbers.get("timeout") ?? DEFAULT_JOB_TIMEOUT_MINUTES,
      steps: all,
      line: getLocation(node)?.start.line ?? 1,
    }),
    node,
    needsAt,
  };
}

function readStep(r: Reader, node: Node): StepSpec | null {
  const attrs = readNode(r, node, {
    props: { name: "string", run: "string", timeout: "minutes" },
    required: ["run"],
    children: ["env"],
  });
  const env: Templates = {};
  for (const child of attrs.children) Object.assign(env, readEnv(r, child));
  const run = attrs.strings.get("run");
  if (run === undefined) return null;
  return {
    kind: "run",
    run,
    id: null,
    name: attrs.strings.get("name") ?? null,
    if: null,
    env,
    continueOnError: false,
    timeoutMinutes: attrs.numbers.get("timeout") ?? null,
  };
}

/** `env KEY="value" …` or `env { KEY "value"; … }`; numbers and booleans become strings. */
function readEnv(r: Reader, node: Node): Templates {
  const env: Templates = {};
  const put = (key: string, value: Primitive, at: Entry | Node) => {
    if (value === null) r.error(at, `env '${key}' must be a string, found null`);
    else env[key] = String(value);
  };
  for (const entry of node.entries) {
    const key = entry.getName();
    if (key === null)
      r.error(entry, `'env' takes KEY="value" properties, found ${show(entry.getValue())}`);
    else put(key, entry.getValue(), entry);
  }
  for (const child of node.children?.nodes ?? []) {
    const key = child.getName();
    const [first, ...rest] = child.entries;
    if (!first || rest.length > 0 || first.getName() !== null || child.children?.nodes.length) {
      r.error(child, `env block entries are KEY "value", found '${key}'`);
      continue;
    }
    put(key, first.getValue(), first);
  }
  return env;
}

/** Duplicate ids, unknown needs and cycles, each reported where it is written. */
function checkJobGraph(r: Reader, jobs: PendingJob[]) {
  const byId = new Map<string, PendingJob>();
  for (const job of jobs) {
    const first = byId.get(job.def.id);
    if (first) {
      r.error(
        job.node.entries.find((e) => e.getName() === "id") ?? job.node,
        `Duplicate job id '${job.def.id}' (first defined on line ${first.def.line})`,
      );
    } else byId.set(job.def.id, job);
  }
  for (const job of jobs) {
    for (const need of job.def.needs) {
      if (!byId.has(need))
        r.error(
          job.needsAt.get(need) ?? job.node,
          `Job '${job.def.id}' depends on unknown job '${need}'`,
        );
    }
  }

  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string) => {
    state.set(id, "visiting");
    path.push(id);
    const job = byId.get(id)!;
    for (const need of job.def.needs) {
      if (!byId.has(need)) continue;
      const s = state.get(need);
      if (s === "visiting") {
        const cycle = [...path.slice(path.indexOf(need)), need];
        const start = byId.get(need)!;
        const next = cycle[1]!;
        r.error(
          start.needsAt.get(next) ?? start.node,
          `Job '${need}' is part of a needs cycle: ${cycle.join(" -> ")}`,
        );
      } else if (s === undefined) visit(need);
    }
    path.pop();
    state.set(id, "done");
  };
  for (const id of byId.keys()) if (!state.has(id)) visit(id);
}

// ---------------------------------------------------------------------------------------------
// Steps and jobs

function jobDef(j: {
  id: string;
  runsOn: string | null;
  needs: string[];
  env: Templates;
  timeoutMinutes: number;
  steps: StepSpec[];
  line: number;
}): JobDef {
  return {
    id: j.id,
    name: null,
    needs: j.needs,
    if: null,
    // null: the executor's default label (Solstice's image map `default_label`).
    runsOn: j.runsOn,
    strategy: null,
    env: j.env,
    defaults: {},
    steps: j.steps,
    outputs: {},
    continueOnError: false,
    timeoutMinutes: j.timeoutMinutes,
    container: null,
    services: null,
    line: j.line,
  };
}

/**
 * Runs a script of the checkout: directly when it is executable (its shebang decides the
 * interpreter, as on a Solstice VM), else with bash, since a checkout may lose the mode bit.
 */
function scriptStep(name: string, path: string): StepSpec {
  const rel = /^(\/|\.\.?\/)/.test(path) ? path : `./${path}`;
  const q = shellQuote(rel);
  return {
    ...plainStep(),
    kind: "run",
    run: `if [ -x ${q} ]; then ${q}; else bash ${q}; fi`,
    name,
  };
}

function shellQuote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
