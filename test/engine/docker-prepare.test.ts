/**
 * Making a docker job's place — building `.equinox/Dockerfile`, waiting for services —
 * is bounded by the job's timeout and stopped by a cancel; a job's `container:` is
 * evaluated with the contexts Actions gives it (needs, matrix, secrets); a job's
 * container is the only one its cleanup removes.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DockerExecutor } from "../../src/engine/executors/docker.ts";
import { describeDocker, leftovers, SLIM_IMAGE, TEST_IMAGE } from "../docker.ts";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";
import { jobSpec } from "../job-spec.ts";

/** Never healthy: its health check's first run is an hour away. */
const SLEEPER_IMAGE = "equinox-test/sleeper:bookworm";
/** The slim image with a file that says which image a job runs in (the host may be a container too). */
const MARKED_IMAGE = "equinox-test/dp-marked:bookworm";

const labels = join(mkdtempSync(join(tmpdir(), "equinox-dp-labels-")), "labels.yml");
writeFileSync(labels, `docker-image: ${TEST_IMAGE}\n`);

function run(repo: string, options: Parameters<typeof runCli>[1] = {}, ...args: string[]) {
  return runCli(["run", repo, "--json", ...args], {
    env: { EQUINOX_LABELS: labels },
    timeoutMs: 120_000,
    ...options,
  });
}

/** Build steps still running `sleep <seconds>`: as containers (legacy builder) or processes. */
function buildsLeft(seconds: number): string[] {
  const commands = execFileSync(
    "docker",
    ["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"],
    { encoding: "utf8" },
  );
  const processes = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return `${commands}\n${processes}`
    .split("\n")
    .filter((line) => line.includes(`sleep ${seconds}`) && !line.includes("ps -eo"));
}

async function noBuildLeft(seconds: number): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const left = buildsLeft(seconds);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A Dockerfile whose build never ends in a test's time; unique, so never cached. */
function endlessDockerfile(seconds: number): string {
  return `FROM ${SLIM_IMAGE}\nRUN echo ${randomUUID()} && sleep ${seconds}\n`;
}

await describeDocker("preparing docker jobs", () => {
  beforeAll(() => {
    execFileSync("docker", ["build", "-q", "-t", SLEEPER_IMAGE, "-"], {
      input: `FROM ${TEST_IMAGE}\nCMD ["sleep", "infinity"]\n`,
    });
    execFileSync("docker", ["build", "-q", "-t", MARKED_IMAGE, "-"], {
      input: `FROM ${SLIM_IMAGE}\nRUN echo "image dp-marked" > /dp-marker\n`,
    });
  }, 60_000);

  it("a .equinox/Dockerfile that never finishes building fails the job at its timeout-minutes, build stopped", async () => {
    const seconds = 600 + Math.floor(Math.random() * 300);
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dp-endless-build:
    runs-on: x
    timeout-minutes: 0.2
    steps:
      - run: echo never
`,
      ".equinox/Dockerfile": endlessDockerfile(seconds),
    });
    const started = Date.now();
    const res = await run(repo, {}, "--executor", "docker");
    expect(res.code, res.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.result).toBe("failure");
    expect(job.log).toContain(
      "did not get the job ready within 0.2 minutes (pulling or building its image, starting its services)",
    );
    expect(job.log).not.toContain("never");
    expect(await noBuildLeft(seconds)).toEqual([]);
    expect(leftovers("dp-")).toEqual([]);
  });

  it("Ctrl-C during the .equinox/Dockerfile build cancels the job at once and stops the build", async () => {
    const seconds = 900 + Math.floor(Math.random() * 300);
    const repo = await makeRepo({
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  dp-cancel-build:\n    runs-on: x\n    steps:\n      - run: echo never\n",
      ".equinox/Dockerfile": endlessDockerfile(seconds),
    });
    let interrupted = 0;
    const res = await run(
      repo,
      {
        onStderr(chunk, child) {
          // The build's step is running: its command shows in the build output.
          if (!interrupted && chunk.includes(`sleep ${seconds}`)) {
            interrupted = Date.now();
            setTimeout(() => child.kill("SIGINT"), 500);
          }
        },
      },
      "--executor",
      "docker",
    );
    expect(interrupted).toBeGreaterThan(0);
    expect(Date.now() - interrupted).toBeLessThan(20_000);
    expect(res.code).toBe(1);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.result).toBe("cancelled");
    expect(job.log).not.toContain("never");
    expect(await noBuildLeft(seconds)).toEqual([]);
    expect(leftovers("dp-")).toEqual([]);
  });

  it("a service that never gets healthy fails the job at its timeout-minutes, service removed", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dp-unhealthy:
    runs-on: x
    timeout-minutes: 0.2
    services:
      slow:
        image: ${SLEEPER_IMAGE}
        options: --health-cmd true --health-interval 1h --health-start-period 1h
    steps:
      - run: echo never
`,
    });
    const started = Date.now();
    const res = await run(repo);
    expect(res.code, res.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.result).toBe("failure");
    expect(job.log).toContain("did not get the job ready within 0.2 minutes");
    expect(leftovers("dp-")).toEqual([]);
  });

  it("evaluates container: with needs, matrix and secrets, and fails clearly on a bad expression", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dp-setup:
    runs-on: x
    outputs:
      image: \${{ steps.pick.outputs.image }}
    steps:
      - id: pick
        run: echo "image=${MARKED_IMAGE}" >> "$GITHUB_OUTPUT"
  dp-from-needs:
    needs: dp-setup
    runs-on: x
    container:
      image: \${{ needs.dp-setup.outputs.image }}
      env:
        TOKEN: \${{ secrets.TOKEN }}
    timeout-minutes: \${{ needs.dp-setup.result == 'success' && 5 || 1 }}
    steps:
      - run: |
          cat /dp-marker
          echo "token has \${#TOKEN} characters"
  dp-from-matrix:
    runs-on: x
    strategy:
      matrix:
        image: ["${MARKED_IMAGE}"]
    container: \${{ matrix.image }}
    steps:
      - run: cat /dp-marker
  dp-bad:
    runs-on: x
    container: \${{ fromJSON('not json') }}
    steps:
      - run: echo never
`,
    });
    const res = await run(repo, {}, "--secret", "TOKEN=s3cr3t-value");
    const jobs = parseRunJson(res.stdout).jobs;
    const byName = (name: string) => jobs.find((j) => j.id === name)!;
    expect(byName("dp-from-needs").result, byName("dp-from-needs").log).toBe("success");
    expect(byName("dp-from-needs").log).toContain("image dp-marked");
    expect(byName("dp-from-needs").log).toContain("token has 12 characters");
    expect(byName("dp-from-matrix").log).toContain("image dp-marked");
    const bad = byName("dp-bad");
    expect(bad.result).toBe("failure");
    expect(bad.log).toContain("jobs.dp-bad: container:");
    expect(bad.log).not.toContain("never");
    expect(leftovers("dp-")).toEqual([]);
  });
});

await describeDocker("docker job cleanup", () => {
  const root = mkdtempSync(join(tmpdir(), "equinox-dp-exec-"));
  const other = `equinox-dp-collide-${process.pid}`;
  afterAll(() => {
    execFileSync("docker", ["rm", "-f", other]);
    rmSync(root, { recursive: true, force: true });
  });

  it("removes only the container its own session made, not another of the same name", async () => {
    // Another job's container holds the name this job's would get.
    execFileSync("docker", ["create", "--name", other, SLIM_IMAGE, "true"]);
    const executor = new DockerExecutor({
      root,
      toolCache: join(root, "tool-cache"),
      defaultImage: SLIM_IMAGE,
    });
    const session = await executor.prepare({ jobKey: `dp-collide-${process.pid}` });
    const running = session.start(
      { ...jobSpec([{ run: "echo hi" }]), paths: session.paths },
      { onEvent: () => {}, onDiagnostic: () => {} },
    );
    const exit = await running.exited;
    // docker run refused the name: this job never had a container.
    expect(exit).not.toEqual({ kind: "exited", code: 0 });
    await session.cleanup();
    const still = execFileSync("docker", ["ps", "-a", "--filter", `name=^${other}$`, "-q"], {
      encoding: "utf8",
    }).trim();
    expect(still).not.toBe("");
  });
});
