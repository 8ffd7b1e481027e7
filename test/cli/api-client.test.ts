import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, type FollowLogOptions } from "../../src/cli/api-client.ts";
import {
  ADMIN_TOKEN,
  ci,
  git,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "../server/server-helpers.ts";
import { deadServerUrl, Gates, waitForJobs } from "./cli-helpers.ts";

describe("ApiClient against equinox serve", () => {
  let t: TestServer;
  let gates: Gates;
  let api: ApiClient;
  /** A work tree of repository `live`, whose job prints `first`, waits for the gate named after its branch, then prints `second` and `third`. */
  let live: string;

  beforeAll(async () => {
    t = await startTestServer();
    gates = await Gates.create();
    api = new ApiClient({ server: `${t.url}/`, token: ADMIN_TOKEN });
    expect((await t.api("POST", "/repos", { name: "live" })).status).toBe(201);
    live = await workTree({
      ".forgejo/workflows/ci.yml": ci(
        `      - run: echo first; ${gates.wait("${{ github.ref_name }}")}; echo second; echo third`,
      ),
    });
  });
  afterAll(async () => {
    await t.close();
    await gates.remove();
  });

  /** A run of `live` on a new branch, its job running and `first` in its log. */
  async function liveJob(branch: string): Promise<{ runId: number; jobId: number }> {
    await git(live, "push", "-q", pushUrl(t, "live"), `main:${branch}`);
    // The runs as the API gives them carry their ref (the helper's type leaves it out).
    const onBranch = (runs: object[]) =>
      (runs as { id: number; ref: string }[]).find((r) => r.ref === `refs/heads/${branch}`);
    const runId = onBranch(await waitForRuns(t, "live", (rs) => !!onBranch(rs)))!.id;
    const [job] = await waitForJobs(t, runId, (jobs) => jobs[0]?.log_lines === 1);
    return { runId, jobId: job!.id };
  }

  /** Follows a job, recording `from:line` for each line and the end. */
  function follow(
    runId: number,
    jobId: number,
    opts: Partial<FollowLogOptions> = {},
    client = api,
  ) {
    const got: string[] = [];
    const done = client.followLog(runId, jobId, {
      retryDelayMs: 10,
      ...opts,
      onLines(from, lines) {
        got.push(...lines.map((l, i) => `${from + i}:${l}`));
      },
      onEnd(status, result) {
        got.push(`end ${status} ${result}`);
      },
    });
    return { got, done };
  }

  it("creates, lists and deletes repositories, with errors as values", async () => {
    expect(await api.createRepo("acme/widget")).toEqual({
      ok: true,
      value: { name: "acme/widget", clone_url: `${t.url}/acme/widget.git` },
    });
    expect(await api.createRepo("acme/widget")).toEqual({
      ok: false,
      status: 409,
      error: "repository 'acme/widget' already exists",
    });
    expect(await api.createRepo("no spaces")).toMatchObject({ ok: false, status: 400 });
    const list = await api.listRepos();
    expect(list.ok && list.value.map((r) => [r.name, r.last_run])).toEqual([
      ["acme/widget", null],
      ["live", null],
    ]);
    expect(await api.deleteRepo("acme/widget")).toEqual({ ok: true, value: undefined });
    expect(await api.deleteRepo("acme/widget")).toMatchObject({ ok: false, status: 404 });
  });

  it("reports an unknown token (401) and a scope too small (403)", async () => {
    const stranger = new ApiClient({ server: t.url, token: "eqx_nope" });
    expect(await stranger.listRepos()).toEqual({
      ok: false,
      status: 401,
      error: "the token is not valid (unknown or deleted)",
    });
    const made = await api.createToken("r", "read");
    if (!made.ok) throw new Error(made.error);
    const reader = new ApiClient({ server: t.url, token: made.value.token });
    expect((await reader.listRepos()).ok).toBe(true);
    expect(await reader.createRepo("x")).toMatchObject({ ok: false, status: 403 });
  });

  it("says which server it could not reach, and suggests equinox serve", async () => {
    const gone = await deadServerUrl();
    const res = await new ApiClient({ server: gone, token: "t" }).listRepos();
    expect(res).toMatchObject({ ok: false, status: 0 });
    if (res.ok) return;
    expect(res.error).toContain(`cannot reach the Equinox server at ${gone}`);
    expect(res.error).toContain("ECONNREFUSED");
    expect(res.error).toContain("equinox serve");
  });

  it("pages runs, reads a run with its jobs, and a job's log as text", async () => {
    expect((await api.createRepo("paging")).ok).toBe(true);
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci("      - run: echo one; echo two"),
    });
    for (const branch of ["a", "b", "c"])
      await git(dir, "push", "-q", pushUrl(t, "paging"), `main:${branch}`);
    const all = await waitForRuns(
      t,
      "paging",
      (rs) => rs.length === 3 && rs.every((r) => r.status === "completed"),
    );
    const [c, b, a] = all.map((r) => r.id) as [number, number, number];
    expect(a < b && b < c).toBe(true);
    const page = await api.listRuns("paging", { limit: 2 });
    expect(page.ok && page.value.map((r) => r.id)).toEqual([c, b]);
    const next = await api.listRuns("paging", { limit: 2, before: b });
    expect(next.ok && next.value.map((r) => r.id)).toEqual([a]);
    expect(await api.listRuns("paging", { limit: 500 })).toMatchObject({ ok: false, status: 400 });

    const run = await api.getRun(a);
    expect(run.ok && run.value.jobs.map((j) => [j.job_id, j.status, j.log_lines])).toEqual([
      ["build", "completed", 2],
    ]);
    const jobId = run.ok ? run.value.jobs[0]!.id : 0;
    expect(await api.listJobs(a)).toMatchObject({ ok: true, value: [{ id: jobId }] });
    expect(await api.getLog(a, jobId)).toEqual({ ok: true, value: "one\ntwo\n" });
    expect(await api.getRun(999_999)).toMatchObject({ ok: false, status: 404 });

    // An ended job's log and end come at once, from `after` on.
    const ended = follow(a, jobId, { after: 1 });
    expect(await ended.done).toEqual({
      ok: true,
      value: { status: "completed", result: "success" },
    });
    expect(ended.got).toEqual(["2:two", "end completed success"]);
  });

  it("sets, lists and deletes global and per-repository secrets, never reading values", async () => {
    expect((await api.createRepo("sec")).ok).toBe(true);
    expect(await api.setSecret("TOKEN", "global value")).toEqual({ ok: true, value: undefined });
    expect(await api.setSecret("TOKEN", "repo value", "sec")).toEqual({
      ok: true,
      value: undefined,
    });
    const values = async (repo: string) => {
      const res = await t.server.context.secrets.secretsFor(repo);
      return res.ok ? res.value : res.error;
    };
    expect(await values("live")).toEqual({ TOKEN: "global value" });
    expect(await values("sec")).toEqual({ TOKEN: "repo value" });
    const global = await api.listSecrets();
    expect(global.ok && global.value.map((s) => Object.keys(s).sort())).toEqual([
      ["name", "updated_at"],
    ]);
    expect(await api.setSecret("GITHUB_TOKEN", "x")).toMatchObject({ ok: false, status: 400 });
    expect(await api.deleteSecret("TOKEN", "sec")).toEqual({ ok: true, value: undefined });
    expect(await api.deleteSecret("TOKEN", "sec")).toMatchObject({ ok: false, status: 404 });
    expect(await api.listSecrets("sec")).toEqual({ ok: true, value: [] });
    expect(await values("sec")).toEqual({ TOKEN: "global value" });
  });

  it("creates, lists and deletes tokens", async () => {
    const made = await api.createToken("ci", "write");
    expect(made).toMatchObject({ ok: true, value: { name: "ci", scope: "write" } });
    if (!made.ok) return;
    expect(made.value.token).toMatch(/^eqx_/);
    const list = await api.listTokens();
    expect(list.ok && list.value.find((tok) => tok.id === made.value.id)).toEqual({
      id: made.value.id,
      name: "ci",
      scope: "write",
      created_at: expect.any(String),
      last_used_at: null,
    });
    expect(await api.deleteToken(made.value.id)).toEqual({ ok: true, value: undefined });
    expect(await api.deleteToken(made.value.id)).toMatchObject({ ok: false, status: 404 });
  });

  it("follows a running job's log as it is written, until the end event", async () => {
    const { runId, jobId } = await liveJob("follow");
    const { got, done } = follow(runId, jobId);
    await expect.poll(() => got).toEqual(["1:first"]);
    await gates.open("follow");
    expect(await done).toEqual({ ok: true, value: { status: "completed", result: "success" } });
    expect(got).toEqual(["1:first", "2:second", "3:third", "end completed success"]);
  });

  it("fails at once on a 404, and stops when its signal aborts", async () => {
    const { runId, jobId } = await liveJob("abort");
    expect(await follow(runId, 424242).done).toMatchObject({ ok: false, status: 404 });
    const abort = new AbortController();
    const { got, done } = follow(runId, jobId, { signal: abort.signal });
    await expect.poll(() => got).toEqual(["1:first"]);
    abort.abort();
    expect(await done).toEqual({ ok: false, status: 0, error: "aborted" });
    await gates.open("abort");
  });

  // Last: it stops this file's server.
  it("gives up after a few failed reconnections when the server goes away", async () => {
    const { runId, jobId } = await liveJob("gone");
    const { got, done } = follow(runId, jobId, { retries: 2 });
    await expect.poll(() => got).toEqual(["1:first"]);
    await t.close();
    const res = await done;
    expect(res).toMatchObject({ ok: false, status: 0 });
    expect(!res.ok && res.error).toContain(`cannot reach the Equinox server at ${t.url}`);
    expect(got).toEqual(["1:first"]);
  });
});
