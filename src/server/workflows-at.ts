import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKFLOW_DIRS } from "../core/workflow/discover.ts";
import { loadWorkflows } from "../core/workflow/load.ts";
import { SOLSTICE_JOB_SCRIPT, SOLSTICE_WORKFLOW } from "../core/workflow/load-solstice.ts";
import type { Workflow, WorkflowError } from "../core/workflow/model.ts";
import { findPipelineFile, PIPELINE_FILES } from "../core/workflow/pipeline.ts";

/** The git reads the server needs from its bare repositories (RepoFiles). */
export interface GitRepos {
  path(name: string): string;
  extractPaths(name: string, sha: string, paths: string[], dest: string): Promise<unknown>;
  changedFiles(name: string, before: string, after: string): Promise<string[] | null>;
  resolveRef(name: string, ref: string): Promise<string | null>;
  defaultBranch(name: string): Promise<string | null>;
}

export interface WorkflowsAt {
  workflows: Workflow[];
  /** Loading errors, by file: each such file becomes a failed run. */
  errors: Map<string, WorkflowError[]>;
  /** `.equinox/ci.ts` (or .js/.mjs) when the commit has one: planned by the runtime, not here. */
  pipelineFile: string | null;
}

const WORKFLOW_PATHS = [
  ...WORKFLOW_DIRS,
  SOLSTICE_WORKFLOW,
  SOLSTICE_JOB_SCRIPT,
  ...PIPELINE_FILES,
];

/**
 * Reads the workflows of one commit of a bare repository: only the workflow files are
 * written out (to a temporary directory), and parsed as data — nothing is executed.
 * `only` limits it to one file.
 */
export async function workflowsAt(
  repos: GitRepos,
  repo: string,
  sha: string,
  only?: string,
): Promise<WorkflowsAt> {
  const dir = await mkdtemp(join(tmpdir(), "equinox-wf-"));
  try {
    await repos.extractPaths(repo, sha, only ? [only] : WORKFLOW_PATHS, dir);
    const pipelineFile = only
      ? PIPELINE_FILES.includes(only)
        ? only
        : null
      : await findPipelineFile(dir);
    if (only && pipelineFile) return { workflows: [], errors: new Map(), pipelineFile };
    const loaded = await loadWorkflows(dir, only);
    const errors = new Map<string, WorkflowError[]>();
    for (const error of loaded.errors) {
      const list = errors.get(error.file) ?? [];
      list.push(error);
      errors.set(error.file, list);
    }
    return { workflows: loaded.workflows, errors, pipelineFile };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
