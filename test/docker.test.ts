import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { describeDocker, SLIM_IMAGE, TEST_IMAGE } from "./docker.ts";
import { ROOT } from "./helpers.ts";

// The test images that scripts/docker-images.sh builds, checked with the real engine:
// what they contain, and that a job container reaches a service sidecar by its name.

const execAsync = promisify(execFile);

interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI; a non-zero exit is a result, not an exception. */
async function docker(...args: string[]): Promise<DockerResult> {
  try {
    const { stdout, stderr } = await execAsync("docker", args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

function shown(r: DockerResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Every program the workflow fixtures list under "requires" (test/fixtures/run/*\/expect.json). */
function fixturePrograms(): string[] {
  const dir = join(ROOT, "test", "fixtures", "run");
  const programs = new Set<string>();
  for (const name of readdirSync(dir)) {
    let expectation: { requires?: string[] };
    try {
      expectation = JSON.parse(readFileSync(join(dir, name, "expect.json"), "utf8"));
    } catch {
      continue;
    }
    for (const program of expectation.requires ?? []) programs.add(program);
  }
  return [...programs].sort();
}

const unique = () => `eqx-test-${randomBytes(4).toString("hex")}`;

await describeDocker("docker test images", () => {
  it(`${TEST_IMAGE} has a C toolchain, git and redis-server`, async () => {
    const r = await docker(
      "run",
      "--rm",
      TEST_IMAGE,
      "bash",
      "-c",
      "gcc --version && git --version && redis-server --version",
    );
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toContain("gcc (Debian");
    expect(r.stdout).toContain("git version");
    expect(r.stdout).toContain("Redis server");
  });

  it(`${TEST_IMAGE} has every program the workflow fixtures require, and no node`, async () => {
    const programs = fixturePrograms();
    expect(programs).toContain("gcc");
    const script = `for p in ${programs.join(" ")} node; do command -v "$p" >/dev/null || echo "missing $p"; done`;
    const r = await docker("run", "--rm", TEST_IMAGE, "bash", "-c", script);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout.trim()).toBe("missing node");
  });

  it(`${SLIM_IMAGE} has bash and git but no gcc or node`, async () => {
    const r = await docker(
      "run",
      "--rm",
      SLIM_IMAGE,
      "bash",
      "-c",
      'git --version; for p in gcc node; do command -v "$p" >/dev/null || echo "no $p"; done',
    );
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toContain("git version");
    expect(r.stdout).toContain("no gcc");
    expect(r.stdout).toContain("no node");
  });

  it("a container on a user-defined network reaches a redis-server sidecar by its name", async () => {
    // Container names are global to the engine, so the sidecar gets a unique name and is
    // reached by its network alias, as a job's `services:` key would be.
    const network = unique();
    const sidecar = `${network}-svc`;
    try {
      const created = await docker("network", "create", network);
      expect(created.code, shown(created)).toBe(0);
      const started = await docker(
        "run",
        "-d",
        "--network",
        network,
        "--name",
        sidecar,
        "--network-alias",
        "svc",
        TEST_IMAGE,
        "redis-server",
        "--protected-mode",
        "no",
      );
      expect(started.code, shown(started)).toBe(0);
      // Redis takes a moment to listen; probe in a subshell so a refused connection
      // does not end the script.
      const client = [
        "for i in $(seq 100); do (exec 3<>/dev/tcp/svc/6379) 2>/dev/null && break; sleep 0.1; done",
        "exec 3<>/dev/tcp/svc/6379; echo PING >&3; head -c 7 <&3",
      ].join("\n");
      const r = await docker("run", "--rm", "--network", network, TEST_IMAGE, "bash", "-c", client);
      expect(r.code, shown(r)).toBe(0);
      expect(r.stdout.trim()).toBe("+PONG");
    } finally {
      await docker("rm", "-f", sidecar);
      await docker("network", "rm", network);
    }
  });
});
