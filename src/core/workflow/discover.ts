import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

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

export async function discoverWorkflowFiles(root: string): Promise<WorkflowFile[]> {
  for (const dir of WORKFLOW_DIRS) {
    let names: string[];
    try {
      names = await readdir(join(root, dir));
    } catch {
      continue;
    }
    const files = names.filter((n) => n.endsWith(".yml") || n.endsWith(".yaml")).sort();
    return Promise.all(
      files.map(async (name) => ({
        path: `${dir}/${name}`,
        content: await readFile(join(root, dir, name), "utf8"),
      })),
    );
  }
  return [];
}
