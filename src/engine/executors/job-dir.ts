import { join } from "node:path";
import type { Session } from "../executor.ts";

/**
 * A job's directory under an executor's root and the paths in it: workspace, temp
 * and files (made by the executor and the runtime), and the shared tool cache.
 */
export function jobDirectory(
  root: string,
  name: string,
  toolCache: string,
): { dir: string; paths: Session["paths"] } {
  const dir = join(root, name);
  return {
    dir,
    paths: {
      workspace: join(dir, "workspace"),
      temp: join(dir, "temp"),
      files: join(dir, "files"),
      toolCache,
    },
  };
}
