import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CronLoop } from "../../src/server/cron-loop.ts";
import { runCli } from "../helpers.ts";
import {
  ADMIN_TOKEN,
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

describe("equinox serve: schedules and the CLI", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it("fires on.schedule workflows of the default branch once per due minute, not on first sight", async () => {
    expect((await t.api("POST", "/repos", { name: "nightly" })).status).toBe(201);
    const dir = await workTree({
      ".forgejo/workflows/nightly.yml": `on:
  schedule:
    - cron: "0 3 * * *"
jobs:
  n:
    runs-on: x
    steps:
      - run: echo "scheduled by \${{ github.event.schedule }} (\${{ github.event_name }})"
`,
    });
    await git(dir, "push", "-q", pushUrl(t, "nightly"), "main");
    const { store, repos, triggers } = t.server.context;
    const loop = new CronLoop({ store, repos, triggers, log: () => {} });
    const day = Date.UTC(2026, 10, 23);
    // First sight records the time: no backfill.
    expect(await loop.tick(day + 2 * 3600_000)).toBe(0);
    // 02:00 → 02:30: not due.
    expect(await loop.tick(day + 2.5 * 3600_000)).toBe(0);
    // 02:30 → 04:00 (the server was down at 03:00): one run.
    expect(await loop.tick(day + 4 * 3600_000)).toBe(1);
    const [run] = await waitForRuns(t, "nightly", (rs) => rs[0]?.status === "completed");
    expect(run).toMatchObject({ event: "schedule", result: "success" });
    const job = (await getRun(t, run!.id)).jobs![0]!;
    expect(await jobLog(t, run!.id, job.id)).toContain("scheduled by 0 3 * * * (schedule)");
  });

  it("lists runs, prints and follows logs, and manages secrets from the command line", async () => {
    const env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };
    const created = await runCli(["repo", "create", "cli-demo"], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`${t.url}/cli-demo.git`);

    const secret = await runCli(
      ["secret", "set", "API_KEY", "--repo", "cli-demo", "--value", "cli-secret-value"],
      {
        env,
      },
    );
    expect(secret.code, secret.stderr).toBe(0);
    const listed = await runCli(["secret", "ls", "--repo", "cli-demo"], { env });
    expect(listed.stdout).toContain("API_KEY");
    expect(listed.stdout).not.toContain("cli-secret-value");

    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci(
        `      - run: echo "using \${{ secrets.API_KEY }}"; sleep 1; echo done-here`,
      ),
    });
    await git(dir, "push", "-q", pushUrl(t, "cli-demo"), "main");
    const [run] = await waitForRuns(t, "cli-demo", (rs) => rs.length > 0);
    const followed = await runCli(["logs", String(run!.id), "--follow"], { env });
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain("using ***");
    expect(followed.stdout).toContain("done-here");

    const runs = await runCli(["runs", "cli-demo"], { env });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/cli-demo/);
    expect(runs.stdout).toMatch(/success/);

    const noToken = await runCli(["runs"], { env: { EQUINOX_SERVER: t.url } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("EQUINOX_TOKEN");
  });
});
