import { readdir, readFile, stat } from "node:fs/promises";
import { basename, isAbsolute, join } from "node:path";
import { discoverWorkflowFiles, WORKFLOW_DIRS, type WorkflowFile } from "./discover.ts";
import { loadActionsWorkflow } from "./load-actions.ts";
import {
  loadSolsticeWorkflow,
  SOLSTICE_JOB_SCRIPT,
  SOLSTICE_WORKFLOW,
  solsticeJobScript,
} from "./load-solstice.ts";
import type { Loaded, Workflow, WorkflowError } from "./model.ts";

/** Every place a workflow is looked for, for "nothing found" messages. */
export const WORKFLOW_PLACES = [...WORKFLOW_DIRS, SOLSTICE_WORKFLOW, SOLSTICE_JOB_SCRIPT];

export interface LoadedWorkflows {
  workflows: Workflow[];
  errors: WorkflowError[];
  /** The files read, relative to the root (absolute when `only` lies outside it). */
  files: string[];
}

/**
 * Finds and loads the workflows of a checkout in every format it holds: Actions YAML (the
 * first of the Forgejo/Gitea/GitHub folders), `.solstice/workflow.kdl`, and the legacy
 * `.solstice/job.sh` when the repository has no workflow file at all. All of them run.
 * `only` (relative to `root`, or absolute) loads just that file, whatever its format.
 */
export async function loadWorkflows(root: string, only?: string): Promise<LoadedWorkflows> {
  const workflows: Workflow[] = [];
  const errors: WorkflowError[] = [];
  let files: WorkflowFile[];
  if (only === undefined) {
    files = [];
    // A file that cannot be read is reported like one that does not parse.
    for (const found of await discoverAll(root)) {
      if ("message" in found) errors.push(found);
      else files.push(found);
    }
  } else {
    const file = await readOne(root, only);
    if ("message" in file) return { workflows, errors: [file], files: [only] };
    files = [file];
  }
  for (const file of files) {
    const loaded = await loadFile(file);
    if (loaded.value) workflows.push(loaded.value);
    errors.push(...loaded.errors);
  }
  return { workflows, errors, files: files.map((f) => f.path) };
}

/** Picks the loader by path: `.kdl` is Solstice, `.yml`/`.yaml` Actions, `.sh` a script job. */
function loadFile(file: WorkflowFile): Promise<Loaded<Workflow>> | Loaded<Workflow> {
  const { path, content } = file;
  if (path.endsWith(".kdl")) return loadSolsticeWorkflow(path, content);
  if (path.endsWith(".yml") || path.endsWith(".yaml")) return loadActionsWorkflow(path, content);
  if (path.endsWith(".sh")) return { value: solsticeJobScript(path), errors: [] };
  return {
    value: null,
    errors: [
      {
        file: path,
        message: `Unknown workflow format '${basename(path)}' (expected .yml, .yaml, .kdl or a .sh script)`,
      },
    ],
  };
}

async function discoverAll(root: string): Promise<(WorkflowFile | WorkflowError)[]> {
  const files = await discoverWorkflowFiles(root);
  const kdl = await readIfFile(root, SOLSTICE_WORKFLOW);
  if (kdl) files.push(kdl);
  // The legacy script is the fallback of a repo with no workflow file anywhere, including
  // Actions folders that discovery skipped because an earlier folder exists.
  if (files.length === 0 && !(await anyActionsFile(root))) {
    const script = await readIfFile(root, SOLSTICE_JOB_SCRIPT);
    if (script) files.push(script);
  }
  return files;
}

async function anyActionsFile(root: string): Promise<boolean> {
  for (const dir of WORKFLOW_DIRS) {
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith(".yml") || n.endsWith(".yaml"))) return true;
  }
  return false;
}

async function readIfFile(
  root: string,
  path: string,
): Promise<WorkflowFile | WorkflowError | null> {
  const full = join(root, path);
  const info = await stat(full).catch(() => null);
  if (!info?.isFile()) return null;
  return readOne(root, path);
}

async function readOne(root: string, path: string): Promise<WorkflowFile | WorkflowError> {
  const full = isAbsolute(path) ? path : join(root, path);
  try {
    return { path, content: await readFile(full, "utf8") };
  } catch (err) {
    return { file: path, message: `cannot read the workflow: ${(err as Error).message}` };
  }
}
