import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.ts";
import {
  ADMIN_TOKEN,
  commitFiles,
  git,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "../server/server-helpers.ts";
import { Gates, pushWorkflow } from "./cli-helpers.ts";

describe("equinox runs against equinox serve", () => {
  let t: TestServer;
  let gates: Gates;
  let env: NodeJS.ProcessEnv;
  /** alpha #1 failed on main, alpha #2 runs on feature/x, beta/lib #1 waits for a slot. */
  const runs = { failed: { id: 0, sha: "" }, running: { id: 0, sha: "" }, queued: { id: 0 } };

  beforeAll(async () => {
    // One slot: while alpha #2 holds it, the dispatched run stays queued.
    t = await startTestServer({ maxConcurrency: 1 });
    gates = await Gates.create();
    env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };

    const alpha = await pushWorkflow(
      t,
      "alpha",
      "name: CI\non: [push]\njobs:\n  build:\n    runs-on: x\n    steps:\n      - run: exit 1\n",
    );
    runs.failed = { id: alpha.run.id, sha: alpha.sha };
    await waitForRuns(t, "alpha", (rs) => rs[0]?.status === "completed");
    await git(alpha.dir, "checkout", "-q", "-b", "feature/x");
    const sha = await commitFiles(
      alpha.dir,
      {
        ".forgejo/workflows/ci.yml": `name: CI\non: [push]\njobs:\n  build:\n    runs-on: x\n    steps:\n      - run: ${gates.wait("alpha")}\n`,
      },
      "wait",
    );
    await git(alpha.dir, "push", "-q", pushUrl(t, "alpha"), "feature/x");
    const [second] = await waitForRuns(t, "alpha", (rs) => rs[0]?.status === "running");
    runs.running = { id: second!.id, sha };

    expect((await t.api("POST", "/repos", { name: "beta/lib" })).status).toBe(201);
    const beta = await workTree({
      ".forgejo/workflows/release.yml":
        "name: Release\non: [workflow_dispatch]\njobs:\n  ship:\n    runs-on: x\n    steps:\n      - run: echo shipped\n",
    });
    await git(beta, "tag", "v1.2");
    // A workflow_dispatch workflow starts no run on push.
    await git(beta, "push", "-q", pushUrl(t, "beta/lib"), "main", "v1.2");
    const dispatched = await t.api<{ runs: { id: number }[] }>("POST", "/repos/beta/lib/dispatch", {
      workflow: "release.yml",
      ref: "refs/tags/v1.2",
    });
    expect(dispatched.status, dispatched.text).toBe(201);
    runs.queued = { id: dispatched.body.runs[0]!.id };
    expect((await t.api("POST", "/repos", { name: "empty" })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await gates.remove();
  });

  const rows = (stdout: string) =>
    stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split(/\s{2,}/));
  const seconds = expect.stringMatching(/^\d+s$/);

  it("lists one repository's runs, newest first", async () => {
    const { code, stdout, stderr } = await runCli(["runs", "alpha"], { env });
    expect(code, stderr).toBe(0);
    const [header, ...body] = rows(stdout);
    expect(header).toEqual([
      "ID",
      "REPO",
      "#",
      "WORKFLOW",
      "EVENT",
      "REF",
      "SHA",
      "STATUS",
      "AGE",
      "DURATION",
    ]);
    expect(body).toEqual([
      [
        String(runs.running.id),
        "alpha",
        "2",
        "CI",
        "push",
        "feature/x",
        runs.running.sha.slice(0, 7),
        "running",
        seconds,
        seconds,
      ],
      [
        String(runs.failed.id),
        "alpha",
        "1",
        "CI",
        "push",
        "main",
        runs.failed.sha.slice(0, 7),
        "failure",
        seconds,
        seconds,
      ],
    ]);
  });

  it("merges every repository's runs by creation time without REPO, up to --limit", async () => {
    const { code, stdout } = await runCli(["runs", "-n", "2"], { env });
    expect(code).toBe(0);
    expect(
      rows(stdout)
        .slice(1)
        .map((r) => [r[0], r[1], r[3], r[4], r[5], r[7], r[9]]),
    ).toEqual([
      [String(runs.queued.id), "beta/lib", "Release", "workflow_dispatch", "v1.2", "queued", "-"],
      [String(runs.running.id), "alpha", "CI", "push", "feature/x", "running", seconds],
    ]);
  });

  it("prints the API's runs with --json", async () => {
    const { code, stdout } = await runCli(["runs", "beta/lib", "--json"], { env });
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { runs: unknown[] };
    expect(doc.runs).toEqual([
      expect.objectContaining({
        id: runs.queued.id,
        repo: "beta/lib",
        workflow_name: "Release",
        event: "workflow_dispatch",
        ref: "refs/tags/v1.2",
        status: "queued",
        result: null,
        started_at: null,
      }),
    ]);
  });

  it("says when a repository has no runs yet", async () => {
    expect(await runCli(["runs", "empty"], { env })).toEqual({
      code: 0,
      stdout: "",
      stderr: "No runs in empty yet.\n",
    });
  });

  it("exits 1 for an unknown repository and 2 for a bad --limit", async () => {
    expect(await runCli(["runs", "nope"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: no repository 'nope' (HTTP 404)\n",
    });
    const bad = await runCli(["runs", "--limit", "500"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit '500': expected a whole number from 1 to 100");
  });
});
