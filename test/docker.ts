import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { describeUnless } from "./helpers.ts";

// What docker-dependent tests need: a running engine and the two images that
// scripts/docker-images.sh builds from Debian's packages (there is no registry to pull from).

const exec = promisify(execFile);

/** Debian bookworm with what the workflow fixtures run, plus redis-server for `services:`. */
export const TEST_IMAGE = "equinox-test/debian:bookworm";
/** Debian bookworm with bash and git only: what the runtime needs and nothing more. */
export const SLIM_IMAGE = "equinox-test/debian-slim:bookworm";

/** Why docker tests cannot run here, or null when the engine answers and both images exist. */
export async function dockerProblem(): Promise<string | null> {
  try {
    await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 15_000 });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    return `no Docker engine (docker info: ${firstLine(detail)}): run scripts/docker-engine.sh`;
  }
  const missing: string[] = [];
  for (const image of [TEST_IMAGE, SLIM_IMAGE]) {
    try {
      await exec("docker", ["image", "inspect", "--format", "{{.Id}}", image], {
        timeout: 15_000,
      });
    } catch {
      missing.push(image);
    }
  }
  if (missing.length > 0)
    return `missing image ${missing.join(", ")}: run scripts/docker-images.sh`;
  return null;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

/**
 * `describe` for tests that need Docker and the test images (see describeUnless).
 * Await it at the top level of the test file.
 */
export async function describeDocker(name: string, fn: () => void): Promise<void> {
  describeUnless(await dockerProblem(), name, fn);
}

/**
 * The containers and networks an Equinox process made for jobs whose id starts with
 * `prefix` (e.g. "dx-") that still exist. Test files run in parallel on one engine, so
 * each looks only at its own jobs. `cli` is "podman" for the Podman tests.
 */
export function leftovers(prefix: string, cli = "docker"): string[] {
  const list = (...args: string[]) =>
    execFileSync(cli, [...args, "--filter", "label=equinox.owner"], { encoding: "utf8" });
  const names = `${list("ps", "-a", "--format", "{{.Names}}")}${list("network", "ls", "--format", "{{.Name}}")}`;
  return names.split("\n").filter((name) => name.includes(`-${prefix}`));
}

/**
 * `leftovers(prefix, cli)` once it is empty, or what is left after `withinMs`. For
 * what an orphan sweep removes: another test's process may be sweeping the same
 * orphans, and `docker rm` returns at once for a container already being removed.
 */
export async function leftoversAfterSweep(
  prefix: string,
  cli = "docker",
  withinMs = 15_000,
): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = leftovers(prefix, cli);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}
