/**
 * The docker executor on Podman (`EQUINOX_DOCKER=podman`), end to end through
 * `equinox run`: a container job, a service reached by name and by mapped port with a
 * health check (which Podman cannot run by itself without systemd), a `docker://`
 * step, and cleanup, including after an `equinox run` killed mid-job.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { leftovers, leftoversAfterSweep, SLIM_IMAGE } from "../docker.ts";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";
import { describePodman } from "../podman.ts";

/** A service built here from the slim image: git's own daemon serving an empty repository. */
const GIT_DAEMON_IMAGE = "equinox-test/git-daemon:bookworm";

const podman = (...args: string[]) => execFileSync("podman", args, { encoding: "utf8" });

const labels = join(mkdtempSync(join(tmpdir(), "equinox-podman-labels-")), "labels.yml");
writeFileSync(labels, `docker-image: ${SLIM_IMAGE}\n`);

function run(repo: string, ...args: string[]) {
  return runCli(["run", repo, "--json", ...args], {
    env: { EQUINOX_LABELS: labels, EQUINOX_DOCKER: "podman" },
    timeoutMs: 180_000,
  });
}

const SERVICE = `    services:
      git:
        image: ${GIT_DAEMON_IMAGE}
        ports: [9418]
        options: >-
          --health-cmd "git ls-remote git://127.0.0.1/demo.git"
          --health-interval 1s`;

await describePodman("docker executor on podman", () => {
  beforeAll(() => {
    const context = mkdtempSync(join(tmpdir(), "equinox-podman-build-"));
    writeFileSync(
      join(context, "Dockerfile"),
      `FROM ${SLIM_IMAGE}
RUN git init -q --bare /srv/git/demo.git
CMD ["git", "daemon", "--base-path=/srv/git", "--export-all", "--reuseaddr", "--port=9418", "/srv/git"]
`,
    );
    podman("build", "-q", "-t", GIT_DAEMON_IMAGE, context);
  }, 120_000);

  it("runs a container job with a service by name, a host job with it by port, and a docker:// step", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  pd-container:
    runs-on: ubuntu-latest
    container: ${SLIM_IMAGE}
${SERVICE}
    steps:
      - uses: actions/checkout@v4
      - run: |
          cat hello.txt
          git ls-remote git://git/demo.git && echo "reached the service by name"
      - uses: docker://${SLIM_IMAGE}
        with:
          entrypoint: bash
          args: -c "git ls-remote git://git/demo.git && echo step container on the service network"
  pd-host:
    runs-on: ubuntu-latest
${SERVICE}
    steps:
      - run: |
          git ls-remote "git://127.0.0.1:\${{ job.services.git.ports[9418] }}/demo.git"
          echo "reached the service on port \${{ job.services.git.ports[9418] }}"
`,
      "hello.txt": "checked out inside a podman container\n",
    });
    // The container job goes to the docker executor (on podman), the other to the host.
    const res = await run(repo);
    expect(res.code, res.stderr).toBe(0);
    const jobs = parseRunJson(res.stdout).jobs;
    const container = jobs.find((j) => j.id === "pd-container")!;
    expect(container.log).toContain("checked out inside a podman container");
    expect(container.log).toContain("reached the service by name");
    expect(container.log).toContain("step container on the service network");
    expect(jobs.find((j) => j.id === "pd-host")!.log).toMatch(/reached the service on port \d+/);
    expect(leftovers("pd-", "podman")).toEqual([]);
  });

  it("removes what a killed equinox run left behind when the next one starts", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  pd-slow:
    runs-on: ubuntu-latest
    container: ${SLIM_IMAGE}
${SERVICE}
    steps:
      - run: echo started; sleep 300
`,
    });
    let leftAtKill: string[] = [];
    let killed = false;
    await runCli(["run", repo, "--json", "--executor", "docker"], {
      env: { EQUINOX_LABELS: labels, EQUINOX_DOCKER: "podman" },
      timeoutMs: 120_000,
      onStderr(chunk, child) {
        if (!killed && chunk.includes("started")) {
          killed = true;
          child.kill("SIGKILL");
          leftAtKill = leftovers("pd-", "podman");
        }
      },
    });
    expect(killed).toBe(true);
    expect(leftAtKill.length).toBeGreaterThanOrEqual(3); // job, service, network
    const next = await makeRepo({
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  pd-next:\n    runs-on: x\n    steps:\n      - run: echo next\n",
    });
    const res = await run(next);
    expect(res.code, res.stderr).toBe(0);
    expect(await leftoversAfterSweep("pd-", "podman")).toEqual([]);
  });
});
