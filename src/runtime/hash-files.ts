import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { globSync } from "tinyglobby";

/**
 * `hashFiles(patterns)`: the SHA-256 of the SHA-256s of every matching regular file
 * under the workspace, in path order; empty string when nothing matches (as in Actions).
 * Synchronous because expression evaluation is.
 */
export function hashFiles(workspace: string, patterns: string[]): string {
  const positive = patterns.filter((p) => !p.startsWith("!"));
  const ignore = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  const files = globSync(positive, { cwd: workspace, ignore, onlyFiles: true, dot: true }).sort();
  if (files.length === 0) return "";
  const all = createHash("sha256");
  for (const file of files) {
    all.update(
      createHash("sha256")
        .update(readFileSync(`${workspace}/${file}`))
        .digest(),
    );
  }
  return all.digest("hex");
}
