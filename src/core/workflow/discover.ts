import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { WorkflowError } from "./model.ts";

/**
 * Workflow folders in the order Forgejo and Gitea consult them: the first that
 * exists is used and the others are ignored, so a repo that keeps a `.github`
 * copy for mirroring does not run everything twice.
 */
export const WORKFLOW_DIRS = [".forgejo/workflows", ".gitea/workflows", ".github/workflows"];

export interface WorkflowFile {
  /** Path relative to the repository root, with `/` separators. */
  path: string;
  content: string;
}

/**
 * The workflow files of the first workflow folder that exists, by name. Only files
 * count (a folder named `x.yml` is not a workflow, as on Forgejo and GitHub); a file
 * that cannot be read is returned as an error naming it, so one bad entry never hides
 * the others nor stops the caller.
 */
export async function discoverWorkflowFiles(
  root: string,
): Promise<(WorkflowFile | WorkflowError)[]> {
  for (const dir of WORKFLOW_DIRS) {
    let names: string[];
    try {
      names = await readdir(join(root, dir));
    } catch {
      continue;
    }
    const files = names.filter((n) => n.endsWith(".yml") || n.endsWith(".yaml")).sort();
    const read = await Promise.all(files.map((name) => readWorkflowFile(root, `${dir}/${name}`)));
    return read.filter((f) => f !== null);
  }
  return [];
}

/** A file's content (symlinks followed), null for anything that is not a file. */
async function readWorkflowFile(
  root: string,
  path: string,
): Promise<WorkflowFile | WorkflowError | null> {
  const full = join(root, path);
  try {
    if (!(await stat(full)).isFile()) return null;
    return { path, content: await readFile(full, "utf8") };
  } catch (err) {
    return { file: path, message: `cannot read the workflow: ${(err as Error).message}` };
  }
}
