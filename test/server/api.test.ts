import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type ApiRun,
  ci,
  getRun,
  git,
  jobLog,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

/** The JSON API's contract (docs/api.md) against a real server. */
describe("equinox serve: API", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  async function repoWith(name: string, files: Record<string, string>) {
    expect((await t.api("POST", "/repos", { name })).status).toBe(201);
    const dir = await workTree(files);
    await git(dir, "push", "-q", pushUrl(t, name), "main");
    return dir;
  }

  it("creates repositories with the exact response, and refuses bad names and duplicates", async () => {
    const created = await t.api("POST", "/repos", { name: "acme/widget" });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: "acme/widget", clone_url: `${t.url}/acme/widget.git` });
    expect((await t.api("POST", "/repos", { name: "acme/widget" })).status).toBe(409);
    for (const name of ["../etc", "a/b/c", ".git", "x y", ""]) {
      const bad = await t.api<{ error: string }>("POST", "/repos", { name });
      expect(bad.status, name).toBe(400);
      expect(bad.body.error).toMatch(/repository name/);
    }
    expect((await t.api("POST", "/repos", "{not json")).status).toBe(400);
    const listed = await t.api<{ repos: { name: string }[] }>("GET", "/repos");
    expect(listed.body.repos.map((r) => r.name)).toContain("acme/widget");
    expect((await t.api("GET", "/repos/acme/widget/runs")).body).toEqual({ runs: [] });
  });

  it("rejects missing and under-scoped tokens, for the API and for git push", async () => {
    const anonymous = await fetch(`${t.url}/api/v1/repos`);
    expect(anonymous.status).toBe(401);
    expect((await t.api("GET", "/repos", undefined, "eqx_wrong")).status).toBe(401);
    const read = await t.api<{ token: string; scope: string }>("POST", "/tokens", {
      name: "reader",
      scope: "read",
    });
    expect(read.status).toBe(201);
    expect(read.body.scope).toBe("read");
    expect((await t.api("GET", "/repos", undefined, read.body.token)).status).toBe(200);
    const denied = await t.api("POST", "/repos", { name: "nope" }, read.body.token);
    expect(denied.status).toBe(403);

    expect((await t.api("POST", "/repos", { name: "guarded" })).status).toBe(201);
    const dir = await workTree({ "a.txt": "a\n" });
    await expect(
      git(dir, "push", "-q", pushUrl(t, "guarded", read.body.token), "main"),
    ).rejects.toThrow(/403|write/);
    // Reading (clone) with a read token works.
    const writer = await t.api<{ token: string }>("POST", "/tokens", { name: "w", scope: "write" });
    await git(dir, "push", "-q", pushUrl(t, "guarded", writer.body.token), "main");
    const clone = await workTree({ "other.txt": "o\n" });
    await git(clone, "fetch", "-q", pushUrl(t, "guarded", read.body.token), "main");
    expect(await git(clone, "show", "FETCH_HEAD:a.txt")).toBe("a");
    const tokens = await t.api<{ tokens: { name: string; last_used_at: string | null }[] }>(
      "GET",
      "/tokens",
    );
    expect(tokens.body.tokens.find((x) => x.name === "reader")?.last_used_at).not.toBeNull();
  });

  it("gives jobs their secrets, masked in the log, and never returns a value", async () => {
    expect((await t.api("PUT", "/secrets/DEPLOY_KEY", { value: "global-value-123" })).status).toBe(
      204,
    );
    expect((await t.api("POST", "/repos", { name: "secretive" })).status).toBe(201);
    expect(
      (await t.api("PUT", "/repos/secretive/secrets/DEPLOY_KEY", { value: "repo-value-456789" }))
        .status,
    ).toBe(204);
    expect((await t.api("PUT", "/secrets/bad-name", { value: "x" })).status).toBe(400);
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci(`      - run: |
          echo "key=\${{ secrets.DEPLOY_KEY }}"
          test "\${{ secrets.DEPLOY_KEY }}" = repo-value-456789 && echo repo-secret-wins`),
    });
    await git(dir, "push", "-q", pushUrl(t, "secretive"), "main");
    const [run] = await waitForRuns(t, "secretive", (rs) => rs[0]?.status === "completed");
    expect(run!.result).toBe("success");
    const job = (await getRun(t, run!.id)).jobs![0]!;
    const log = await jobLog(t, run!.id, job.id);
    expect(log).toContain("repo-secret-wins");
    expect(log).toContain("key=***");
    expect(log).not.toContain("repo-value-456789");
    const listed = await t.api("GET", "/repos/secretive/secrets");
    expect(listed.text).toContain("DEPLOY_KEY");
    expect(listed.text).not.toContain("repo-value");
    expect((await t.api("DELETE", "/secrets/DEPLOY_KEY")).status).toBe(204);
    expect((await t.api("DELETE", "/secrets/DEPLOY_KEY")).status).toBe(404);
  });

  it("dispatches a workflow with inputs, cancels, and re-runs only the failed jobs", async () => {
    await repoWith("ops", {
      ".forgejo/workflows/deploy.yml": `on:
  workflow_dispatch:
    inputs:
      target:
        required: true
        type: choice
        options: [staging, production]
jobs:
  ok:
    runs-on: x
    outputs:
      v: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=from-first-\${{ github.run_id }}" >> "$GITHUB_OUTPUT"
  flaky:
    needs: ok
    runs-on: x
    steps:
      - run: |
          echo "target=\${{ inputs.target }} v=\${{ needs.ok.outputs.v }}"
          test "\${{ inputs.target }}" = staging
`,
    });
    const bad = await t.api<{ error: string }>("POST", "/repos/ops/dispatch", {
      workflow: "deploy.yml",
      inputs: { target: "moon" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/target/);
    expect((await t.api("POST", "/repos/ops/dispatch", { workflow: "nope.yml" })).status).toBe(400);

    const first = await t.api<{ runs: ApiRun[] }>("POST", "/repos/ops/dispatch", {
      workflow: "deploy.yml",
      ref: "main",
      inputs: { target: "production" },
    });
    expect(first.status).toBe(201);
    const runId = first.body.runs[0]!.id;
    const [done] = await waitForRuns(
      t,
      "ops",
      (rs) => rs.find((r) => r.id === runId)?.status === "completed",
    );
    expect(done!.result).toBe("failure");
    const jobs = (await getRun(t, runId)).jobs!;
    expect(jobs.map((j) => [j.name, j.result])).toEqual([
      ["ok", "success"],
      ["flaky", "failure"],
    ]);
    expect(await jobLog(t, runId, jobs[1]!.id)).toContain(
      `target=production v=from-first-${runId}`,
    );
    expect((await t.api("POST", `/runs/${runId}/cancel`)).status).toBe(409);

    const rerun = await t.api<ApiRun & { rerun_of: number }>("POST", `/runs/${runId}/rerun`, {
      failed_only: true,
    });
    expect(rerun.status).toBe(201);
    expect(rerun.body.rerun_of).toBe(runId);
    const [again] = await waitForRuns(
      t,
      "ops",
      (rs) => rs.find((r) => r.id === rerun.body.id)?.status === "completed",
    );
    const rerunJobs = (await getRun(t, again!.id)).jobs!;
    // `ok` was taken over with its outputs (its output still names the first run), not run again.
    const flakyLog = await jobLog(t, again!.id, rerunJobs.find((j) => j.name === "flaky")!.id);
    expect(flakyLog).toContain(`v=from-first-${runId}`);
    expect(rerunJobs.find((j) => j.name === "ok")!.steps).toEqual([]);
  });

  it("cancels a running run for real", async () => {
    await repoWith("slow", {
      ".forgejo/workflows/ci.yml": ci(`      - run: echo going; sleep 30
      - if: always()
        run: echo cleanup-ran`),
    });
    const [run] = await waitForRuns(t, "slow", (rs) => rs[0]?.status === "running");
    const cancelled = await t.api<ApiRun>("POST", `/runs/${run!.id}/cancel`);
    expect(cancelled.status).toBe(202);
    const [done] = await waitForRuns(t, "slow", (rs) => rs[0]?.status === "completed", 20_000);
    expect(done).toMatchObject({ result: "cancelled", reason: "user" });
    const job = (await getRun(t, run!.id)).jobs![0]!;
    expect(await jobLog(t, run!.id, job.id)).toContain("cleanup-ran");
  });

  it("streams a job's log over SSE while it runs, then ends", async () => {
    await repoWith("streamed", {
      ".forgejo/workflows/ci.yml": ci("      - run: echo first-line; sleep 2; echo last-line"),
    });
    const [run] = await waitForRuns(t, "streamed", (rs) => rs[0]?.status === "running");
    const job = await waitForJob(t, run!.id);
    const res = await fetch(`${t.url}/api/v1/runs/${run!.id}/jobs/${job}/log`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "text/event-stream" },
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = text.split("\n\n").filter(Boolean);
    const logs = events.filter((e) => e.includes("event: log"));
    expect(logs.length).toBeGreaterThan(0);
    const lines = logs.flatMap((e) => JSON.parse(/data: (.*)/.exec(e)![1]!).lines as string[]);
    expect(lines.join("\n")).toMatch(/first-line[\s\S]*last-line/);
    expect(events.at(-1)).toContain("event: end");
    expect(events.at(-1)).toContain('"result":"success"');
    // Resuming after the last line sends nothing but the end.
    const last = /id: (\d+)/.exec(logs.at(-1)!)![1];
    const resumed = await fetch(`${t.url}/api/v1/runs/${run!.id}/jobs/${job}/log`, {
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        accept: "text/event-stream",
        "last-event-id": last!,
      },
    });
    const rest = await resumed.text();
    expect(rest).not.toContain("event: log");
    expect(rest).toContain("event: end");
  });

  it("answers bad requests with errors that name the problem", async () => {
    expect((await t.api("GET", "/runs/999999")).status).toBe(404);
    expect((await t.api<{ error: string }>("GET", "/runs/abc")).body.error).toMatch(/run id/);
    expect((await t.api("GET", "/repos/nope/runs")).status).toBe(404);
    expect((await t.api("GET", "/repos/acme/widget/runs?limit=0")).status).toBe(400);
    expect((await t.api("GET", "/nothing-here")).status).toBe(404);
    expect((await t.api("POST", "/tokens", { name: "x", scope: "root" })).status).toBe(400);
  });
});

async function waitForJob(t: TestServer, runId: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const job = (await getRun(t, runId)).jobs?.[0];
    if (job) return job.id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no job");
}
