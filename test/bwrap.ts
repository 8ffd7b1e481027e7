import { spawnSync } from "node:child_process";
import { describeUnless } from "./helpers.ts";

/** Why bwrap cannot sandbox here, or null when it can (a real sandbox, not just the binary). */
export function bwrapProblem(): string | null {
  const probe = spawnSync("bwrap", ["--unshare-all", "--ro-bind", "/", "/", "true"], {
    encoding: "utf8",
  });
  if (probe.error)
    return "bwrap is not installed (Debian: bubblewrap; scripts/docker-engine.sh installs it)";
  if (probe.status !== 0) return `bwrap cannot create namespaces here: ${probe.stderr.trim()}`;
  return null;
}

/** `describe` for tests that need bwrap (see describeUnless). */
export function describeBwrap(name: string, fn: () => void): void {
  describeUnless(bwrapProblem(), name, fn);
}
