import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiJob } from "../../src/cli/api-client.ts";
import { runCli } from "../helpers.ts";
import {
  ADMIN_TOKEN,
  startTestServer,
  type TestServer,
  waitForRuns,
} from "../server/server-helpers.ts";
import { EXIT_1, Gates, pushWorkflow, startCli, waitForJobs } from "./cli-helpers.ts";

const CI = ".forgejo/workflows/ci.yml";

describe("equinox logs against equinox serve", () => {
  let t: TestServer;
  let gates: Gates;
  let env: NodeJS.ProcessEnv;
  /** A finished run: `Build`, then two matrix instances of `test`, the second failing. */
  let finished: { id: number; jobs: ApiJob[] };

  beforeAll(async () => {
    t = await startTestServer();
    gates = await Gates.create();
    env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };
    const { run } = await pushWorkflow(
      t,
      "finished",
      `on: [push]
jobs:
  build:
    name: Build
    runs-on: x
    steps:
      - run: echo compiling; echo done
  test:
    needs: build
    runs-on: x
    strategy:
      fail-fast: false
      matrix:
        shard: [1, 2]
    steps:
      - run: echo "shard \${{ matrix.shard }}"; test \${{ matrix.shard }} = 1
`,
    );
    await waitForRuns(t, "finished", (rs) => rs[0]?.status === "completed");
    finished = { id: run.id, jobs: await waitForJobs(t, run.id, () => true) };
  });
  afterAll(async () => {
    await t.close();
    await gates.remove();
  });

  it("prints every job's log under a header with its result", async () => {
    expect(await runCli(["logs", String(finished.id)], { env })).toEqual({
      code: 0,
      stdout: [
        "== Build (success) ==",
        "compiling",
        "done",
        "== test (1) (success) ==",
        "shard 1",
        "== test (2) (failure) ==",
        "shard 2",
        EXIT_1,
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  it("prints one job's log, named by workflow job id, name, key or id", async () => {
    const [build, test1, test2] = finished.jobs;
    expect([build!.key, test1!.key, test2!.key]).toEqual([
      `${CI}#build`,
      `${CI}#test#0`,
      `${CI}#test#1`,
    ]);
    const run = String(finished.id);
    for (const name of ["build", "Build", build!.key, String(build!.id)]) {
      expect(await runCli(["logs", run, name], { env }), name).toEqual({
        code: 0,
        stdout: "compiling\ndone\n",
        stderr: "",
      });
    }
    expect((await runCli(["logs", run, "test (2)"], { env })).stdout).toBe(`shard 2\n${EXIT_1}\n`);
    expect((await runCli(["logs", run, test1!.key], { env })).stdout).toBe("shard 1\n");
    expect(await runCli(["logs", run, "test"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `equinox: job 'test' is ambiguous in run ${run}; name one by id or key:\n` +
        `  ${test1!.id}  ${CI}#test#0  test (1) (success)\n` +
        `  ${test2!.id}  ${CI}#test#1  test (2) (failure)\n`,
    });
    const unknown = await runCli(["logs", run, "deploy"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`run ${run} has no job 'deploy'; its jobs (id, key, name):`);
    expect(unknown.stderr).toContain(`  ${build!.id}  ${CI}#build  Build (success)`);
  });

  it("follows every job in turn, including one that appears later, and exits by the run's result", async () => {
    const { run } = await pushWorkflow(
      t,
      "follow-all",
      `on: [push]
jobs:
  a:
    runs-on: x
    steps:
      - run: echo a1; ${gates.wait("a")}; echo a2
  b:
    needs: a
    runs-on: x
    steps:
      - run: echo b1; ${gates.wait("b")}; exit 1
`,
    );
    // Job b exists only once a is done; a is running when the CLI starts.
    await waitForJobs(t, run.id, (jobs) => jobs.length === 1 && jobs[0]!.log_lines === 1);
    const cli = startCli(["logs", String(run.id), "--follow"], { env });
    await cli.printed("a1\n");
    await gates.open("a");
    await cli.printed("b1\n");
    await gates.open("b");
    const res = await cli.done;
    expect(res).toEqual({
      code: 1,
      stdout: expect.stringMatching(/^== a \(running\) ==\na1\na2\n== b \((queued|running)\) ==\n/),
      stderr: `Run ${run.id} (follow-all #1): failure\n`,
    });
    expect(res.stdout.replace(/^.*\n.*\n.*\n.*\n/, "")).toBe(`b1\n${EXIT_1}\n`);
    // Following one job that has ended prints its log and exits by its result.
    expect(await runCli(["logs", String(run.id), "b", "-f"], { env })).toEqual({
      code: 1,
      stdout: `b1\n${EXIT_1}\n`,
      stderr: "",
    });
  });

  it("follows one running job until it ends, exiting 0 when it succeeded", async () => {
    const { run } = await pushWorkflow(
      t,
      "follow-one",
      `on: [push]
jobs:
  build:
    runs-on: x
    steps:
      - run: echo 1; echo 2; echo 3; ${gates.wait("one")}; echo 4
`,
    );
    const cli = startCli(["logs", String(run.id), "build", "-f"], { env });
    await cli.printed("3\n");
    await gates.open("one");
    expect(await cli.done).toEqual({ code: 0, stdout: "1\n2\n3\n4\n", stderr: "" });
  });

  it("waits for a followed job that does not exist yet", async () => {
    const { run } = await pushWorkflow(
      t,
      "late",
      `on: [push]
jobs:
  build:
    runs-on: x
    steps:
      - run: ${gates.wait("late")}
  deploy:
    needs: build
    runs-on: x
    steps:
      - run: echo shipped
`,
    );
    // The CLI's own read token: its first use shows the CLI has looked at the run,
    // whose deploy job cannot exist before the gate opens.
    const made = await t.api<{ id: number; token: string }>("POST", "/tokens", {
      name: "late",
      scope: "read",
    });
    const cli = startCli(["logs", String(run.id), "deploy", "--follow"], {
      env: { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: made.body.token },
    });
    await expect
      .poll(
        async () => {
          const { body } = await t.api<{ tokens: { id: number; last_used_at: string | null }[] }>(
            "GET",
            "/tokens",
          );
          return body.tokens.find((tok) => tok.id === made.body.id)?.last_used_at ?? null;
        },
        { timeout: 10_000 },
      )
      .not.toBeNull();
    expect((await waitForJobs(t, run.id, () => true)).map((j) => j.job_id)).toEqual(["build"]);
    await gates.open("late");
    expect(await cli.done).toEqual({ code: 0, stdout: "shipped\n", stderr: "" });
  });

  it("exits 2 without a run id or with a bad one, and 1 for a run the server does not have", async () => {
    expect((await runCli(["logs"], { env })).code).toBe(2);
    const bad = await runCli(["logs", "abc"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'abc' is not a run id");
    expect(await runCli(["logs", "999999"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: no run 999999 (HTTP 404)\n",
    });
  });
});
