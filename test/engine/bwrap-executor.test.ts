import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../../src/core/events.ts";
import type { JobSpec, StepSpec } from "../../src/core/job-spec.ts";
import { linesOf } from "../../src/core/log-block.ts";
import type { PrepareRequest, RuntimeExit } from "../../src/engine/executor.ts";
import { BwrapExecutor, limitArgs } from "../../src/engine/executors/bwrap.ts";
import { runtimeBundlePath } from "../../src/engine/runtime-bundle.ts";
import { bwrapProblem } from "../bwrap.ts";
import { makeRepo, parseRunJson, ROOT, runCli } from "../helpers.ts";
import { jobSpec } from "../job-spec.ts";

const missing = bwrapProblem();
if (missing && process.env.CI === "true") throw new Error(`bwrap executor tests: ${missing}`);

interface Finished {
  exit: RuntimeExit;
  events: RuntimeEvent[];
  lines: string[];
  result: string | undefined;
  dir: string;
}

const root = mkdtempSync(join(tmpdir(), "equinox-bwrap-exec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let jobs = 0;

async function runJob(
  executor: BwrapExecutor,
  steps: Partial<StepSpec>[],
  request: Partial<PrepareRequest> = {},
  extra: Partial<JobSpec> = {},
  during?: (lines: string[], running: { cancel(): void; kill(): void }) => void,
): Promise<Finished> {
  const jobKey = `job-${++jobs}`;
  const session = await executor.prepare({ jobKey, ...request });
  const events: RuntimeEvent[] = [];
  const lines: string[] = [];
  try {
    const running = session.start(
      { ...jobSpec(steps, extra), paths: session.paths },
      {
        onEvent: (e) => {
          events.push(e);
          if (e.type === "log") {
            lines.push(...linesOf(e.data));
            during?.(lines, running);
          }
        },
        onDiagnostic: (line) => lines.push(`diagnostic: ${line}`),
      },
    );
    const exit = await running.exited;
    const finished = events.findLast((e) => e.type === "job.finished");
    return {
      exit,
      events,
      lines,
      result: finished?.type === "job.finished" ? finished.result : undefined,
      dir: join(root, jobKey),
    };
  } finally {
    await session.cleanup();
  }
}

const bwrapPlacement = (network: boolean, limits = {}) => ({
  placement: { executor: "bwrap" as const, network, limits },
});

describe.skipIf(missing !== null)(
  `bwrap executor${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    const executor = new BwrapExecutor({
      root,
      toolCache: join(root, "tool-cache"),
      env: { EXTRA_VAR: "from-options" },
    });

    it("runs steps in bash: output, env files, step and job outputs, a private HOME", async () => {
      process.env.EQUINOX_SERVER_SECRET = "do-not-leak";
      try {
        const job = await runJob(
          executor,
          [
            { run: '[ -n "$BASH_VERSION" ] && echo "shell: bash"' },
            { id: "s", run: 'echo "FOO=bar" >> "$GITHUB_ENV"; echo "v=42" >> "$GITHUB_OUTPUT"' },
            {
              run: [
                'echo "foo: $FOO, job: $JOB_VAR, extra: $EXTRA_VAR"',
                'echo "secret: ${EQUINOX_SERVER_SECRET:-unset}"',
                'echo "home: $HOME" && touch "$HOME/.written" && echo "home writable"',
                'echo "tmpdir: $TMPDIR"',
              ].join("\n"),
            },
          ],
          {},
          {
            env: { workflow: {}, job: { JOB_VAR: "j" } },
            outputs: { out: "${{ steps.s.outputs.v }}" },
          },
        );
        expect(job.exit).toEqual({ kind: "exited", code: 0 });
        expect(job.result).toBe("success");
        expect(job.lines).toEqual(
          expect.arrayContaining([
            "shell: bash",
            "foo: bar, job: j, extra: from-options",
            "secret: unset",
            `home: ${join(job.dir, "home")}`,
            "home writable",
            `tmpdir: ${join(job.dir, "temp")}`,
          ]),
        );
        expect(job.events).toContainEqual(
          expect.objectContaining({ type: "job.outputs", outputs: { out: "42" } }),
        );
        expect(existsSync(job.dir)).toBe(false);
      } finally {
        delete process.env.EQUINOX_SERVER_SECRET;
      }
    });

    it("starts from a clean environment when given none, never this process's", async () => {
      process.env.EQUINOX_SERVER_SECRET = "do-not-leak";
      try {
        const bare = new BwrapExecutor({ root, toolCache: join(root, "tool-cache") });
        const job = await runJob(bare, [{ run: "env | cut -d= -f1 | sort | tr '\\n' ' '" }]);
        const names =
          job.lines
            .find((l) => l.includes("PATH"))
            ?.trim()
            .split(" ") ?? [];
        expect(names).toEqual(expect.arrayContaining(["HOME", "LANG", "PATH", "TMPDIR"]));
        expect(names).not.toContain("EQUINOX_SERVER_SECRET");
        // Besides the basics, only what the runtime sets for every step.
        const basics = new Set(["HOME", "LANG", "PATH", "TMPDIR", "PWD", "SHLVL", "_", "CI"]);
        expect(names.filter((n) => !basics.has(n) && !/^(GITHUB|RUNNER)_/.test(n))).toEqual([]);
      } finally {
        delete process.env.EQUINOX_SERVER_SECRET;
      }
    });

    describe("isolation", () => {
      // World-readable, so only the sandbox can keep the job from reading it.
      let outside = "";
      let secretFile = "";
      beforeAll(() => {
        outside = mkdtempSync(join(tmpdir(), "equinox-bwrap-outside-"));
        secretFile = join(outside, "secret.txt");
        writeFileSync(secretFile, "host-secret\n");
        chmodSync(outside, 0o755);
        chmodSync(secretFile, 0o644);
      });
      afterAll(() => rmSync(outside, { recursive: true, force: true }));

      /** Runs one check per step (continue-on-error), each printing `NAME: ok|blocked`. */
      const checks = (named: Record<string, string>) =>
        Object.entries(named).map(([name, command]) => ({
          run: `if ${command}; then echo "${name}: ok"; else echo "${name}: blocked"; fi`,
        }));

      it("shows the job only its own directories and the system's, read-only", async () => {
        const marker = `equinox-private-${process.pid}-${Date.now()}`;
        const job = await runJob(
          executor,
          checks({
            "outside file": `cat ${secretFile}`,
            "repo file": `cat ${join(process.cwd(), "package.json")} >/dev/null`,
            shadow: "cat /etc/shadow >/dev/null",
            "root home": "ls /root >/dev/null",
            "write /usr": "touch /usr/equinox-x",
            "write /etc": "touch /etc/equinox-x",
            "write /": "touch /equinox-x",
            "write workspace": "touch written && mkdir -p ro/sub && chmod 555 ro/sub ro",
            "private /tmp": `touch /tmp/${marker}`,
            "system tools": "ls /usr/bin/env >/dev/null && /bin/true",
            "shared memory": "touch /dev/shm/equinox-x",
          }),
        );
        expect(job.result).toBe("success");
        expect(job.lines).toEqual(
          expect.arrayContaining([
            "outside file: blocked",
            "repo file: blocked",
            "shadow: blocked",
            "root home: blocked",
            "write /usr: blocked",
            "write /etc: blocked",
            "write /: blocked",
            "write workspace: ok",
            "private /tmp: ok",
            "system tools: ok",
          ]),
        );
        expect(job.lines).not.toContain("host-secret");
        expect(existsSync(join("/tmp", marker))).toBe(false);
        // Cleanup removed what the sandbox user made, read-only directories included.
        expect(existsSync(job.dir)).toBe(false);
      });

      it("shows readPaths read-only at their host path", async () => {
        const job = await runJob(
          executor,
          checks({ read: `grep -q host-secret ${secretFile}`, write: `touch ${outside}/x` }),
          { readPaths: [outside] },
        );
        expect(job.lines).toEqual(expect.arrayContaining(["read: ok", "write: blocked"]));
      });

      it("never runs the job as root", async () => {
        const job = await runJob(executor, [{ run: 'echo "uid=$(id -u)"' }]);
        const uid = job.lines.find((l) => l.startsWith("uid="));
        expect(uid).toBeDefined();
        expect(uid).not.toBe("uid=0");
      });
    });

    it("checks out a repository given in readPaths, as a user that does not own it", async () => {
      const repo = await makeRepo({ "hello.txt": "checked out 5e1f\n" });
      chmodSync(repo, 0o755);
      const sha = spawnSync("git", ["rev-parse", "HEAD"], {
        cwd: repo,
        encoding: "utf8",
      }).stdout.trim();
      // As root the job runs as the sandbox user; one that is not nobody shows that git's
      // ownership check passes for the source without relying on how ids map.
      const asOther =
        process.getuid?.() === 0
          ? new BwrapExecutor({
              root,
              toolCache: join(root, "tool-cache-4242"),
              sandboxUser: { uid: 4242, gid: 4242 },
            })
          : executor;
      const job = await runJob(
        asOther,
        [
          { kind: "uses", uses: "actions/checkout@v4", with: {} } as Partial<StepSpec>,
          { run: 'cat hello.txt; echo "uid=$(id -u)"' },
        ],
        { readPaths: [repo] },
        { checkout: { kind: "git", url: repo, sha, ref: "refs/heads/main" } },
      );
      expect(job.lines).toContain("checked out 5e1f");
      if (process.getuid?.() === 0) expect(job.lines).toContain("uid=4242");
      expect(job.result).toBe("success");
    });

    describe("a real workflow fixture through `equinox run --executor bwrap`", () => {
      const fixture = join(ROOT, "test", "fixtures", "run", "real-cjson");
      const expected = JSON.parse(readFileSync(join(fixture, "expect.json"), "utf8")) as {
        requires: string[];
        result: string;
        jobs: Record<string, { result: string; log: string[] }>;
      };
      const tools = expected.requires.filter(
        (t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0,
      );
      if (tools.length > 0 && process.env.CI === "true")
        throw new Error(`real-cjson through bwrap needs ${tools.join(", ")}`);
      it.skipIf(tools.length > 0)(
        `real-cjson builds and tests in the sandbox${tools.length > 0 ? ` (skipped: needs ${tools.join(", ")})` : ""}`,
        async () => {
          const repo = await makeRepo(
            { ".github/workflows/ci.yml": readFileSync(join(fixture, "workflow.yml"), "utf8") },
            { copyFrom: join(fixture, "repo") },
          );
          chmodSync(repo, 0o755);
          // The tool cache must be one the sandbox user can reach (root's ~/.cache is not).
          const cache = mkdtempSync(join(tmpdir(), "equinox-bwrap-cache-"));
          chmodSync(cache, 0o755);
          const res = await runCli(["run", repo, "--json", "--executor", "bwrap"], {
            env: { XDG_CACHE_HOME: cache },
            timeoutMs: 120_000,
          });
          const context = `stderr:\n${res.stderr}`;
          expect(res.code, context).toBe(0);
          const run = parseRunJson(res.stdout);
          expect(run.result).toBe(expected.result);
          for (const [name, job] of Object.entries(expected.jobs)) {
            const got = run.jobs.find((j) => j.name === name);
            expect(got?.result, `${name}\n${got?.log}`).toBe(job.result);
            for (const line of job.log) expect(got?.log).toContain(line);
          }
          rmSync(cache, { recursive: true, force: true });
        },
        120_000,
      );
    });

    describe("network", () => {
      let server: Server;
      let port = 0;
      beforeAll(async () => {
        server = createServer((socket) => socket.end());
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as { port: number }).port;
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

      const connect = () => [
        {
          run: `if exec 3<>/dev/tcp/127.0.0.1/${port}; then echo connected; else echo refused; fi`,
        },
      ];

      it("is the host's when on", async () => {
        const job = await runJob(executor, connect(), bwrapPlacement(true));
        expect(job.lines).toContain("connected");
      });

      it("is a fresh, empty namespace when off", async () => {
        const job = await runJob(executor, connect(), bwrapPlacement(false));
        expect(job.lines).toContain("refused");
        expect(job.lines).not.toContain("connected");
      });
    });

    it("applies resource limits to the job's processes", async () => {
      const limits = { fileBytes: 64 * 1024, openFiles: 200, cpuSeconds: 300, processes: 300 };
      const job = await runJob(
        executor,
        [
          {
            run: 'echo "nofile=$(ulimit -n) fsize=$(ulimit -f) cpu=$(ulimit -t) nproc=$(ulimit -u)"',
          },
          { run: "head -c 4096 /dev/zero > small && echo small-ok" },
          { run: "head -c 1000000 /dev/zero > big && echo big-ok" },
        ],
        bwrapPlacement(true, limits),
      );
      // ulimit -f counts 1024-byte blocks.
      expect(job.lines).toContain("nofile=200 fsize=64 cpu=300 nproc=300");
      expect(job.lines).toContain("small-ok");
      expect(job.lines).not.toContain("big-ok");
      expect(job.result).toBe("failure");
    });

    it("cancel ends the running step's processes and still runs always() steps", async () => {
      const tag = `${process.pid}${Date.now() % 100000}`;
      let cancelled = false;
      const job = await runJob(
        executor,
        [
          { run: `echo started; sleep 300.${tag} & sleep 301.${tag}; echo not-reached` },
          {
            name: "always",
            if: "always()",
            // The pattern does not match its own command line.
            run: `if grep -qs "30[01][.]${tag}" /proc/[0-9]*/cmdline; then echo sleeps-alive; else echo sleeps-gone; fi`,
          },
        ],
        {},
        {},
        (lines, running) => {
          if (!cancelled && lines.includes("started")) {
            cancelled = true;
            running.cancel();
          }
        },
      );
      // The runtime itself got the SIGTERM and ended cleanly: bwrap did not just die.
      expect(job.exit).toEqual({ kind: "exited", code: 0 });
      expect(job.result).toBe("cancelled");
      expect(job.lines).toContain("sleeps-gone");
      expect(job.lines).not.toContain("not-reached");
      expect(hostProcesses(tag)).toEqual([]);
      expect(existsSync(job.dir)).toBe(false);
    });

    it("kill ends the whole sandbox at once", async () => {
      const tag = `${process.pid}${(Date.now() + 7) % 100000}`;
      let killed = false;
      const job = await runJob(
        executor,
        [{ run: `echo started; sleep 302.${tag}` }],
        {},
        {},
        (lines, running) => {
          if (!killed && lines.includes("started")) {
            killed = true;
            running.kill();
          }
        },
      );
      expect(job.exit).toEqual({ kind: "signalled", signal: "SIGKILL" });
      expect(hostProcesses(tag)).toEqual([]);
      expect(existsSync(job.dir)).toBe(false);
    });

    it("leaves no sandbox behind when the process that started it is killed", async () => {
      const tag = `${process.pid}${(Date.now() + 13) % 100000}`;
      // A stand-in server: a node process that starts a job through the executor and
      // is then SIGKILLed without any cleanup of its own.
      const script = `
      import { BwrapExecutor } from ${JSON.stringify(join(process.cwd(), "src/engine/executors/bwrap.ts"))};
      import { jobSpec } from ${JSON.stringify(join(process.cwd(), "test/job-spec.ts"))};
      const executor = new BwrapExecutor({ root: ${JSON.stringify(root)}, toolCache: ${JSON.stringify(join(root, "tool-cache"))} });
      const session = await executor.prepare({ jobKey: "orphan-${tag}" });
      session.start({ ...jobSpec([{ run: "sleep 303.${tag}" }]), paths: session.paths }, {
        onEvent: (e) => { if (e.type === "step.started") console.log("running"); },
        onDiagnostic: () => {},
      });
    `;
      const source = join(root, `orphan-${tag}.ts`);
      const bundle = join(root, `orphan-${tag}.mjs`);
      writeFileSync(source, script);
      await build({
        entryPoints: [source],
        outfile: bundle,
        bundle: true,
        platform: "node",
        format: "esm",
      });
      const server = spawn(process.execPath, [bundle], {
        env: { ...process.env, EQUINOX_RUNTIME: runtimeBundlePath() },
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("the stand-in server never ran its job")),
          30_000,
        );
        server.stdout.on("data", (d) => {
          if (String(d).includes("running")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(hostProcesses(tag)).not.toEqual([]);
      server.kill("SIGKILL");
      await waitFor(() => hostProcesses(tag).length === 0, 5_000);
      expect(hostProcesses(tag)).toEqual([]);
    });

    it("a warm sandbox runs the next job like it; one never taken leaves no process behind", async () => {
      const warmRoot = mkdtempSync(join(tmpdir(), "equinox-bwrap-warm-"));
      const warm = new BwrapExecutor({ root: warmRoot, toolCache: join(warmRoot, "tool-cache") });
      warm.warm({});
      const job = await runJob(warm, [{ run: "echo warm-ran" }]);
      expect(job.lines).toContain("warm-ran");
      // Warmed and given up at once: bwrap is still setting the sandbox up.
      warm.warm({});
      await warm.dispose();
      await waitFor(() => hostProcesses(warmRoot).length === 0, 5_000);
      expect(hostProcesses(warmRoot)).toEqual([]);
      rmSync(warmRoot, { recursive: true, force: true });
    });
  },
);

describe("bwrap executor errors", () => {
  it("says to install bubblewrap when it is missing", async () => {
    const executor = new BwrapExecutor({
      root,
      toolCache: join(root, "tool-cache"),
      bwrap: "/nonexistent/bwrap",
    });
    await expect(executor.prepare({ jobKey: "no-bwrap" })).rejects.toThrow(
      /\/nonexistent\/bwrap not found: install bubblewrap/,
    );
    expect(existsSync(join(root, "no-bwrap"))).toBe(false);
  });

  it("says what to enable when bwrap cannot create namespaces", async () => {
    // Stands in for bwrap where user namespaces are off (what it prints there).
    const fake = join(mkdtempSync(join(tmpdir(), "equinox-fake-bwrap-")), "bwrap");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
    );
    chmodSync(fake, 0o755);
    chmodSync(join(fake, ".."), 0o755);
    const executor = new BwrapExecutor({ root, toolCache: join(root, "tool-cache"), bwrap: fake });
    await expect(executor.prepare({ jobKey: "no-userns" })).rejects.toThrow(
      /cannot create a sandbox here \(bwrap: No permissions to create new namespace.*\)\. It needs unprivileged user namespaces/,
    );
    rmSync(join(fake, ".."), { recursive: true, force: true });
  });

  it("rejects a limit that is not a positive integer", () => {
    expect(() => limitArgs({ fileBytes: -1 })).toThrow(/fileBytes must be a positive integer/);
    expect(limitArgs({ processes: 50, memoryBytes: 2 ** 31 })).toEqual([
      `--as=${2 ** 31}`,
      "--nproc=50",
    ]);
  });
});

/** Host pids of processes whose command line contains `tag`. */
function hostProcesses(tag: string): number[] {
  const out = spawnSync("pgrep", ["-f", tag], { encoding: "utf8" }).stdout ?? "";
  return out
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid && !isZombie(pid));
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

async function waitFor(condition: () => boolean, ms: number) {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
