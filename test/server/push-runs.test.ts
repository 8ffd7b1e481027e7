import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiRun,
  ci,
  commitFiles,
  getRun,
  git,
  jobLog,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

/** `git push` over HTTP to a running server, and what users see of the runs it starts. */
describe("equinox serve: push → run", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  async function pushNewRepo(name: string, files: Record<string, string>) {
    const created = await t.api("POST", "/repos", { name });
    expect(created.status).toBe(201);
    const dir = await workTree(files);
    await git(dir, "push", "-q", pushUrl(t, name), "main");
    return dir;
  }

  it("runs a pushed workflow and serves its log", async () => {
    await pushNewRepo("hello", {
      ".forgejo/workflows/ci.yml":
        ci(`      - run: echo "hello from $GITHUB_REPOSITORY at \${{ github.ref_name }}"
      - name: Second
        run: echo second step`),
    });
    const [run] = await waitForRuns(t, "hello", (runs) => runs[0]?.status === "completed");
    expect(run).toMatchObject({
      number: 1,
      workflow: ".forgejo/workflows/ci.yml",
      event: "push",
      ref: "refs/heads/main",
      status: "completed",
      result: "success",
      reason: null,
    });
    const full = await getRun(t, run!.id);
    expect(full.jobs).toHaveLength(1);
    const job = full.jobs![0]!;
    expect(job).toMatchObject({ name: "build", status: "completed", result: "success" });
    expect(job.steps.map((s) => [s.name, s.result])).toEqual(
      expect.arrayContaining([["Second", "success"]]),
    );
    const log = await jobLog(t, run!.id, job.id);
    expect(log).toContain("hello from hello at main");
    expect(log).toContain("second step");
  });

  it("records a failing workflow as failed", async () => {
    await pushNewRepo("failing", {
      ".github/workflows/ci.yml": ci(`      - run: echo before; exit 3
      - run: echo never`),
    });
    const [run] = await waitForRuns(t, "failing", (runs) => runs[0]?.status === "completed");
    expect(run!.result).toBe("failure");
    const job = (await getRun(t, run!.id)).jobs![0]!;
    expect(job.result).toBe("failure");
    expect(await jobLog(t, run!.id, job.id)).toContain("before");
  });

  it("turns a malformed workflow into a failed run that shows the parse error", async () => {
    await pushNewRepo("malformed", {
      ".forgejo/workflows/bad.yml":
        "on: [push]\njobs:\n  build:\n    runs-on: x\n    bogus-key: 1\n    steps:\n      - run: true\n",
      ".forgejo/workflows/good.yml": ci("      - run: echo fine"),
    });
    const runs = await waitForRuns(
      t,
      "malformed",
      (rs) => rs.length === 2 && rs.every((r) => r.status === "completed"),
    );
    const bad = runs.find((r) => r.workflow.endsWith("bad.yml"))!;
    const good = runs.find((r) => r.workflow.endsWith("good.yml"))!;
    expect(bad).toMatchObject({ result: "failure", reason: "pipeline" });
    expect(bad.error).toMatch(/bad\.yml \(Line: 5, Col: 5\).*bogus-key/);
    expect(good.result).toBe("success");
    // The server is still fine.
    expect((await t.api("GET", "/repos")).status).toBe(200);
  });

  it("supersedes an older run of the same ref, killing its processes", async () => {
    const dir = await pushNewRepo("supersede", {
      ".forgejo/workflows/ci.yml": ci("      - run: echo started; sleep 30; echo not-cancelled"),
    });
    const [first] = await waitForRuns(t, "supersede", (runs) => runs[0]?.status === "running");
    const started = Date.now();
    await commitFiles(dir, { "README.md": "second\n" }, "second");
    await git(dir, "push", "-q", pushUrl(t, "supersede"), "main");
    const runs = await waitForRuns(
      t,
      "supersede",
      (rs) => rs.find((r) => r.id === first!.id)?.status === "completed",
      20_000,
    );
    const old = runs.find((r) => r.id === first!.id)!;
    const newer = runs.find((r) => r.id !== first!.id)!;
    expect(old).toMatchObject({
      result: "cancelled",
      reason: "superseded",
      superseded_by: newer.id,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    const job = (await getRun(t, old.id)).jobs![0]!;
    expect(job.result).toBe("cancelled");
    expect(await jobLog(t, old.id, job.id)).not.toContain("not-cancelled");
    await t.api("POST", `/runs/${newer.id}/cancel`);
  });

  it("starts one run per updated ref per triggered workflow, honouring branch filters", async () => {
    const dir = await pushNewRepo("refs", {
      ".forgejo/workflows/main-only.yml": `on:
  push:
    branches: [main]
jobs:
  a:
    runs-on: x
    steps:
      - run: echo main-only
`,
      ".forgejo/workflows/all.yml": ci("      - run: echo all"),
    });
    await waitForRuns(
      t,
      "refs",
      (rs) => rs.length === 2 && rs.every((r) => r.status === "completed"),
    );
    await git(dir, "checkout", "-q", "-b", "feature");
    await commitFiles(dir, { "f.txt": "f\n" }, "feature");
    await git(dir, "push", "-q", pushUrl(t, "refs"), "feature");
    const runs = await waitForRuns(
      t,
      "refs",
      (rs) => rs.length === 3 && rs.every((r) => r.status === "completed"),
    );
    const newest = runs[0] as ApiRun & { ref: string };
    expect(newest.ref).toBe("refs/heads/feature");
    expect(newest.workflow).toBe(".forgejo/workflows/all.yml");
  });
});
