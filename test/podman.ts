import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SLIM_IMAGE } from "./docker.ts";
import { describeUnless } from "./helpers.ts";

// Podman through its Docker-compatible CLI (EQUINOX_DOCKER=podman), set up by
// scripts/podman-engine.sh with the slim test image copied over from Docker.

const exec = promisify(execFile);

/** Why Podman tests cannot run here, or null when podman runs containers of the slim image. */
export async function podmanProblem(): Promise<string | null> {
  try {
    await exec("podman", ["image", "inspect", "--format", "{{.Id}}", SLIM_IMAGE], {
      timeout: 30_000,
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === "ENOENT")
      return "podman is not installed (Debian: podman): run scripts/podman-engine.sh";
    return `podman has no ${SLIM_IMAGE}: run scripts/podman-engine.sh`;
  }
  return null;
}

/** `describe` for tests that need Podman (see describeUnless). Await it at the top level. */
export async function describePodman(name: string, fn: () => void): Promise<void> {
  describeUnless(await podmanProblem(), name, fn);
}
