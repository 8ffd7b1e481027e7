/**
 * What a job's containers may reach of the host, with the real engine: the label
 * config's containers policy, services' ports on loopback only, variables kept off
 * `docker run`'s command line, private registry logins, and a cleanup that logs rather
 * than throws. Job ids start with "iso-" (test files share one engine).
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../../src/core/events.ts";
import { linesOf } from "../../src/core/log-block.ts";
import { ensureImage, privateConfig, withConfig } from "../../src/engine/docker/images.ts";
import { ownerId } from "../../src/engine/docker/owner.ts";
import { publishSpec, serviceRunArgs, startServices } from "../../src/engine/docker/services.ts";
import { DockerExecutor } from "../../src/engine/executors/docker.ts";
import { describeDocker, leftovers, SLIM_IMAGE, TEST_IMAGE } from "../docker.ts";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";
import { jobSpec } from "../job-spec.ts";

const root = mkdtempSync(join(tmpdir(), "equinox-iso-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const service = {
  name: "web",
  image: "img:1",
  fromJob: true,
  env: { TOKEN: "s3cret-value" },
  options: [],
  volumes: [],
  credentials: null,
  ports: ["8080:80"],
};

describe("service arguments", () => {
  it("publishes a port on the host's loopback unless it names an address", () => {
    expect(publishSpec("6379")).toBe("127.0.0.1::6379");
    expect(publishSpec("53/udp")).toBe("127.0.0.1::53/udp");
    expect(publishSpec("8080:80")).toBe("127.0.0.1:8080:80");
    expect(publishSpec("8080:80/tcp")).toBe("127.0.0.1:8080:80/tcp");
    expect(publishSpec("::80")).toBe("127.0.0.1::80");
    expect(publishSpec("127.0.0.1:8080:80")).toBe("127.0.0.1:8080:80");
    expect(publishSpec("[::1]:8080:80")).toBe("[::1]:8080:80");
  });

  it("names a service's variables without their values", () => {
    const args = serviceRunArgs(service, "c", "net", [], ["-e", "TOKEN"]);
    expect(args.join(" ")).not.toContain("s3cret-value");
    expect(args).toEqual(expect.arrayContaining(["-e", "TOKEN", "-p", "127.0.0.1:8080:80"]));
  });
});

describe("registry credentials", () => {
  it("go to a private config: docker's --config before the command, podman's --authfile after", () => {
    const login = ["login", "--username", "u", "--password-stdin", "registry.example"];
    expect(withConfig(login, "/tmp/cfg", false)).toEqual(["--config", "/tmp/cfg", ...login]);
    expect(withConfig(["pull", "--quiet", "x"], "/tmp/cfg", true)).toEqual([
      "pull",
      "--authfile",
      "/tmp/cfg/auth.json",
      "--quiet",
      "x",
    ]);
    expect(withConfig(["pull", "x"], null, false)).toEqual(["pull", "x"]);
  });

  it("keep the server's current context and nothing else of its config", async () => {
    const own = mkdtempSync(join(root, "own-config-"));
    mkdirSync(join(own, "contexts", "meta"), { recursive: true });
    writeFileSync(
      join(own, "config.json"),
      JSON.stringify({ currentContext: "remote", auths: { "r.example": { auth: "eHg6eXk=" } } }),
    );
    const dir = await privateConfig(own);
    try {
      expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8"))).toEqual({
        currentContext: "remote",
      });
      expect(readlinkSync(join(dir, "contexts"))).toBe(join(own, "contexts"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Process command lines (all of /proc) that contain `marker`, watched until stopped. */
function watchCommandLines(marker: string) {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        if (cmdline.includes(marker)) seen.add(cmdline);
      } catch {}
    }
  }, 25);
  return {
    stop: () => {
      clearInterval(timer);
      return [...seen];
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

await describeDocker("docker isolation", () => {
  it("refuses a --privileged service under a restricted label config, naming it, and leaves nothing", async () => {
    const labels = join(root, "restricted.yml");
    writeFileSync(labels, `containers: restricted\ndocker-image: ${TEST_IMAGE}\n`);
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  iso-privileged:
    runs-on: ubuntu-latest
    services:
      x:
        image: ${SLIM_IMAGE}
        options: --privileged -v /:/host
    steps:
      - run: echo "RAN-ON-THE-HOST"
`,
    });
    const res = await runCli(["run", repo, "--json"], {
      env: { EQUINOX_LABELS: labels },
      timeoutMs: 60_000,
    });
    expect(res.code).not.toBe(0);
    const [job] = parseRunJson(res.stdout).jobs;
    expect(job!.result).toBe("failure");
    expect(job!.log).toContain(
      "jobs.iso-privileged: services.x.options: '--privileged' is not allowed: the label config's containers policy is restricted",
    );
    expect(job!.log).not.toContain("RAN-ON-THE-HOST\n");
    expect(leftovers("iso-")).toEqual([]);
  });

  it("publishes HOSTPORT:PORT on 127.0.0.1 only", async () => {
    const port = await freePort();
    const started = await startServices("iso-ports", ownerId(), [
      {
        ...service,
        image: TEST_IMAGE,
        env: {},
        // bash waits on its terminal, so the service keeps running.
        options: ["-it"],
        ports: [`${port}:80`],
      },
    ]);
    try {
      const shown = execFileSync("docker", ["port", started.services.web!.id], {
        encoding: "utf8",
      });
      expect(shown.trim()).toBe(`80/tcp -> 127.0.0.1:${port}`);
      expect(started.services.web!.ports).toEqual({ "80": String(port) });
    } finally {
      await started.remove();
    }
    expect(leftovers("iso-ports")).toEqual([]);
  });

  it("passes a job's variables to its container by name, and a DOCKER_HOST of its own does not redirect the CLI", async () => {
    const marker = `iso-marker-${process.pid}-${Date.now()}`;
    const executor = new DockerExecutor({
      root: join(root, "jobs"),
      toolCache: join(root, "tool-cache"),
      defaultImage: SLIM_IMAGE,
      env: { ISO_FROM_RUN: `${marker}-run` },
    });
    const watch = watchCommandLines(marker);
    const session = await executor.prepare({
      jobKey: "iso-env",
      placement: {
        executor: "docker",
        container: {
          image: SLIM_IMAGE,
          fromJob: false,
          env: { ISO_FROM_CONTAINER: `${marker}-container`, DOCKER_HOST: "tcp://127.0.0.1:9" },
          options: [],
          volumes: [],
          credentials: null,
        },
      },
    });
    const lines: string[] = [];
    try {
      const running = session.start(
        {
          ...jobSpec([
            { run: 'sleep 1; echo "vals=$ISO_FROM_RUN $ISO_FROM_CONTAINER $DOCKER_HOST"' },
          ]),
          paths: session.paths,
        },
        {
          onEvent: (e: RuntimeEvent) => {
            if (e.type === "log") lines.push(...linesOf(e.data));
          },
          onDiagnostic: (line) => lines.push(`diagnostic: ${line}`),
        },
      );
      await running.exited;
    } finally {
      await session.cleanup();
    }
    expect(watch.stop()).toEqual([]);
    expect(lines.join("\n")).toContain(`vals=${marker}-run ${marker}-container tcp://127.0.0.1:9`);
    expect(leftovers("iso-env")).toEqual([]);
  });

  it("says in the job's log what its cleanup could not remove, and leaves no container", async () => {
    const executor = new DockerExecutor({
      root: join(root, "jobs"),
      toolCache: join(root, "tool-cache"),
      defaultImage: SLIM_IMAGE,
    });
    const lines: string[] = [];
    const session = await executor.prepare({ jobKey: "iso-stuck", log: (l) => lines.push(l) });
    const stuck = join(session.paths.workspace, "stuck");
    writeFileSync(stuck, "immutable\n");
    // Not even root, nor root in a container, may remove an immutable file.
    execFileSync("chattr", ["+i", stuck]);
    try {
      await session.cleanup();
      expect(lines.join("\n")).toContain("##[warning]Could not remove the job's directory");
      expect(existsSync(stuck)).toBe(true);
      expect(leftovers("iso-stuck")).toEqual([]);
    } finally {
      execFileSync("chattr", ["-i", stuck]);
    }
  });

  it("logs in to a registry with a config of its own, removed afterwards", async () => {
    const own = mkdtempSync(join(root, "server-config-"));
    writeFileSync(join(own, "config.json"), "{}");
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("equinox-docker-config-"));
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = own;
    try {
      await expect(
        ensureImage("localhost:1/iso/none:1", { username: "iso", password: "iso-password" }),
      ).rejects.toThrow(/cannot log in to the registry of localhost:1\/iso\/none:1/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith("equinox-docker-config-"));
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
    expect(readFileSync(join(own, "config.json"), "utf8")).toBe("{}");
  });
});
