/**
 * The docker executor end to end, through `equinox run`: container jobs in images
 * without Node.js, isolation from the host, `services:` sidecars, and cleanup on every
 * path, including an `equinox run` killed mid-job.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  describeDocker,
  leftovers,
  leftoversAfterSweep,
  SLIM_IMAGE,
  TEST_IMAGE,
} from "../docker.ts";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

/** A service image: the test image running redis-server (built here; no registry). */
const REDIS_IMAGE = "equinox-test/redis:bookworm";

const labels = join(mkdtempSync(join(tmpdir(), "equinox-docker-labels-")), "labels.yml");
writeFileSync(labels, `docker-image: ${TEST_IMAGE}\nlabels:\n  slim: docker://${SLIM_IMAGE}\n`);

function run(repo: string, ...args: string[]) {
  return runCli(["run", repo, "--json", ...args], {
    env: { EQUINOX_LABELS: labels },
    timeoutMs: 120_000,
  });
}

await describeDocker("docker executor", () => {
  beforeAll(() => {
    execFileSync("docker", ["build", "-q", "-t", REDIS_IMAGE, "-"], {
      input: `FROM ${TEST_IMAGE}\nCMD ["redis-server", "--protected-mode", "no"]\n`,
    });
  }, 60_000);

  it("runs a container: job in an image without Node.js, with sh as its shell and a JavaScript action", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-slim:
    runs-on: ubuntu-latest
    container:
      image: ${SLIM_IMAGE}
      env:
        FROM_CONTAINER: yes-${"$"}{{ github.event_name }}
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "shell=$(readlink /proc/$$/exe)"
          command -v node || echo "no node in the image"
          cat hello.txt
          echo "env=$FROM_CONTAINER"
      - uses: ./.github/actions/greet
        with: { who: container }
`,
      ".github/actions/greet/action.yml": `name: greet
inputs: { who: { required: true } }
runs: { using: node20, main: index.js }
`,
      ".github/actions/greet/index.js": `console.log("hello from node " + process.version + " to " + process.env.INPUT_WHO);`,
      "hello.txt": "checked out inside the container\n",
    });
    const res = await run(repo);
    expect(res.code, res.stderr).toBe(0);
    const [job] = parseRunJson(res.stdout).jobs;
    expect(job!.result, job!.log).toBe("success");
    // sh -e, as in Actions: Debian's sh is dash.
    expect(job!.log).toContain("shell=/usr/bin/dash");
    expect(job!.log).toContain("no node in the image");
    expect(job!.log).toContain("checked out inside the container");
    expect(job!.log).toContain("env=yes-push");
    expect(job!.log).toContain(`hello from node ${process.version} to container`);
    expect(leftovers("dx-")).toEqual([]);
  });

  it("keeps the job away from the host: no host file outside its workspace, no write to the host root", async () => {
    const secretDir = mkdtempSync(join(tmpdir(), "equinox-host-secret-"));
    writeFileSync(join(secretDir, "secret.txt"), "host-only\n");
    const marker = `/equinox-escape-${process.pid}`;
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-probe:
    runs-on: slim
    steps:
      - run: |
          if cat ${secretDir}/secret.txt; then echo "READ-HOST-FILE"; else echo "host file not visible"; fi
          touch ${marker} && echo "wrote the container's root only"
          echo ok > "$GITHUB_WORKSPACE/in-workspace" && echo "workspace writable"
`,
    });
    const res = await run(repo);
    expect(res.code, res.stderr).toBe(0);
    const log = parseRunJson(res.stdout).jobs[0]!.log;
    expect(log).toContain("host file not visible");
    expect(log).not.toContain("READ-HOST-FILE");
    expect(log).toContain("workspace writable");
    expect(existsSync(marker)).toBe(false);
  });

  it("starts services: by name from a container job, by mapped port from a host job, healthy first", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-in-container:
    runs-on: ubuntu-latest
    container: ${TEST_IMAGE}
    services:
      cache:
        image: ${REDIS_IMAGE}
        options: --health-cmd "redis-cli ping" --health-interval 500ms
    steps:
      - run: redis-cli -h cache set greeting hello-from-service && redis-cli -h cache get greeting
  dx-on-host:
    runs-on: ubuntu-latest
    services:
      cache:
        image: ${REDIS_IMAGE}
        ports: [6379]
        # Without a health check a service counts as up once it runs, not once it listens.
        options: --health-cmd "redis-cli ping" --health-interval 500ms
    steps:
      - run: |
          port=${"$"}{{ job.services.cache.ports[6379] }}
          echo "mapped to $port"
          exec 3<>/dev/tcp/127.0.0.1/$port
          printf 'PING\\r\\n' >&3
          head -c 7 <&3
`,
    });
    const res = await run(repo);
    expect(res.code, res.stderr).toBe(0);
    const jobs = parseRunJson(res.stdout).jobs;
    const inContainer = jobs.find((j) => j.name === "dx-in-container")!;
    expect(inContainer.log).toContain("hello-from-service");
    const onHost = jobs.find((j) => j.name === "dx-on-host")!;
    expect(onHost.log).toMatch(/mapped to \d+/);
    expect(onHost.log).toContain("+PONG");
    expect(leftovers("dx-")).toEqual([]);
  });

  it("fails a job whose service does not come up, saying which and why, and removes everything", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-broken:
    runs-on: ubuntu-latest
    services:
      db:
        image: ${TEST_IMAGE}
        options: --entrypoint sh
        env: { WHY: boom }
    steps:
      - run: echo never
`,
    });
    const res = await run(repo);
    expect(res.code).toBe(1);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.result).toBe("failure");
    expect(job.log).toContain("service 'db' has exited");
    expect(job.log).not.toContain("never");
    expect(leftovers("dx-")).toEqual([]);
  });

  it("builds a repository's .equinox/Dockerfile once per content and runs its docker jobs there", async () => {
    // A nonce in the build context: images built by earlier runs of this test on the same
    // engine must not count as "built before".
    const nonce = randomUUID();
    const dockerfile = (version: string) =>
      `FROM ${SLIM_IMAGE}\nCOPY tool.txt /opt/tool.txt\nRUN echo "built ${version} $(date +%s%N)" > /opt/built.txt\n`;
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-own-image:
    runs-on: ubuntu-latest
    steps:
      - run: cat /opt/tool.txt /opt/built.txt
`,
      ".equinox/Dockerfile": dockerfile("v1"),
      ".equinox/tool.txt": `tool from the build context ${nonce}\n`,
    });
    const logOf = async () => {
      const res = await run(repo, "--executor", "docker");
      expect(res.code, res.stderr).toBe(0);
      return parseRunJson(res.stdout).jobs[0]!.log;
    };
    const first = await logOf();
    expect(first).toContain("Building .equinox/Dockerfile");
    expect(first).toContain(`tool from the build context ${nonce}`);
    const built = /built v1 \d+/.exec(first)?.[0];
    expect(built).toBeDefined();
    // Unchanged: the same image, not built again.
    const second = await logOf();
    expect(second).not.toContain("Building .equinox/Dockerfile");
    expect(second).toContain(built!);
    // A change on disk (not committed) is what `equinox run` builds from.
    writeFileSync(join(repo, ".equinox", "Dockerfile"), dockerfile("v2"));
    const third = await logOf();
    expect(third).toContain("Building .equinox/Dockerfile");
    expect(third).toMatch(/built v2 \d+/);
  });

  it("fails a job whose .equinox/Dockerfile does not build, with the build's own words", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  dx-bad-image:\n    runs-on: x\n    steps:\n      - run: echo never\n",
      ".equinox/Dockerfile": `FROM ${SLIM_IMAGE}\nRUN exit 7\n`,
    });
    const res = await run(repo, "--executor", "docker");
    expect(res.code).toBe(1);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.log).toContain("building .equinox/Dockerfile failed");
    expect(job.log).toContain("exit 7");
    expect(job.log).not.toContain("never");
  });

  it("removes what a killed equinox run left behind when the next one starts", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  dx-slow:
    runs-on: ubuntu-latest
    services:
      cache: ${REDIS_IMAGE}
    container: ${TEST_IMAGE}
    steps:
      - run: echo started; sleep 300
`,
    });
    let killed = false;
    let leftAtKill: string[] = [];
    // With --json the live output goes to stderr.
    await runCli(["run", repo, "--json", "--executor", "docker"], {
      env: { EQUINOX_LABELS: labels },
      timeoutMs: 60_000,
      onStderr(chunk, child) {
        if (!killed && chunk.includes("started")) {
          killed = true;
          child.kill("SIGKILL");
          // A SIGKILLed process cleans nothing up: all of this stays until a sweep.
          leftAtKill = leftovers("dx-");
        }
      },
    });
    expect(killed).toBe(true);
    // The job's container, its service and their network.
    expect(leftAtKill).toHaveLength(3);
    const next = await run(
      await makeRepo({
        ".github/workflows/ci.yml":
          "on: push\njobs:\n  dx-next:\n    runs-on: x\n    steps:\n      - run: true\n",
      }),
    );
    expect(next.code, next.stderr).toBe(0);
    expect(await leftoversAfterSweep("dx-")).toEqual([]);
  });
});
