import { randomBytes } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePostgres, dropSchema, newRun, PG_URL } from "../../test/store.ts";
import { logBlock } from "../core/log-block.ts";
import { openPostgresStore, openSqliteStore } from "./open.ts";
import type { NewRun, Run } from "./records.ts";
import type { SqlStore } from "./sql-store.ts";

// One suite, run against a fresh SQLite file and a throwaway PostgreSQL schema: the
// contract (store.ts) and the CHECK constraints must hold the same on both.

interface Target {
  open(): Promise<SqlStore>;
  /** A second store on the same data, as after a restart. */
  reopen(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), "eqx-store-"));
  const path = join(dir, "equinox.db");
  return {
    open: () => openSqliteStore(path),
    reopen: () => openSqliteStore(path),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresTarget(): Promise<Target> {
  const schema = `eqx_test_${randomBytes(6).toString("hex")}`;
  const logDir = await mkdtemp(join(tmpdir(), "eqx-store-logs-"));
  return {
    open: () => openPostgresStore(PG_URL, { schema, logDir }),
    reopen: () => openPostgresStore(PG_URL, { schema, logDir }),
    cleanup: async () => {
      await rm(logDir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}

let unique = 0;
/** Names never reused within a store, so tests sharing it stay independent. */
const fresh = (base: string) => `${base}-${++unique}`;

const CHECK_VIOLATION = /check constraint/i;

function storeSuite(dialect: "sqlite" | "postgres", makeTarget: () => Promise<Target>) {
  describe(`SqlStore on ${dialect}`, () => {
    let target: Target;
    let store: SqlStore;

    beforeAll(async () => {
      target = await makeTarget();
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target?.cleanup();
    });

    async function repoWithRun(overrides: Partial<NewRun> = {}): Promise<Run> {
      const repo = fresh("repo");
      await store.createRepo(repo);
      const [run] = (await store.createRuns([newRun(repo, overrides)]))!;
      return run!;
    }

    describe("repositories", () => {
      it("creates a repo once; a taken name gives null", async () => {
        const name = fresh("alpha");
        const repo = await store.createRepo(name, 1000);
        expect(repo).toEqual({ id: expect.any(Number), name, createdAt: 1000 });
        expect(await store.createRepo(name)).toBeNull();
        expect(await store.getRepo(name)).toEqual(repo);
        expect(await store.getRepo(fresh("missing"))).toBeNull();
      });

      it("lists repos by name, each with its newest run", async () => {
        const b = fresh("list-b");
        const a = fresh("list-a");
        await store.createRepo(b);
        await store.createRepo(a);
        await store.createRuns([newRun(a), newRun(a, { workflow: "other.yml" })]);
        const summaries = (await store.listRepos()).filter((r) => r.name === a || r.name === b);
        expect(summaries.map((r) => r.name)).toEqual([a, b]);
        expect(summaries[0]!.lastRun).toMatchObject({ repo: a, number: 2, workflow: "other.yml" });
        expect(summaries[1]!.lastRun).toBeNull();
      });

      it("deletes a repo with its runs, jobs, steps, logs and secrets", async () => {
        const run = await repoWithRun();
        const job = await store.createJob(run.id, {
          key: "ci#build",
          jobId: "build",
          name: "build",
          matrix: null,
          runsOn: "linux",
        });
        await store.startStep(job.id, 0, "checkout");
        await store.appendLog(job.id, logBlock(["one", "two"]));
        await store.setSecret(run.repo, "TOKEN", "ciphertext");
        const repoId = (await store.getRepo(run.repo))!.id;

        expect(await store.deleteRepo(run.repo)).toBe(true);
        expect(await store.getRepo(run.repo)).toBeNull();
        expect(await store.getRun(run.id)).toBeNull();
        expect(await store.getJob(job.id)).toBeNull();
        const left = await sql<{ n: number }>`
          SELECT (SELECT COUNT(*) FROM steps WHERE job_id = ${job.id})
               + (SELECT COUNT(*) FROM log_chunks WHERE job_id = ${job.id})
               + (SELECT COUNT(*) FROM secrets WHERE repo_id = ${repoId}) AS n`.execute(store.db);
        expect(Number(left.rows[0]!.n)).toBe(0);
        expect(await store.deleteRepo(run.repo)).toBe(false);
      });
    });

    describe("createRuns", () => {
      it("numbers runs per repo in creation order and keeps what it was given", async () => {
        const a = fresh("num-a");
        const b = fresh("num-b");
        await store.createRepo(a);
        await store.createRepo(b);
        const first = (await store.createRuns([newRun(a)], { at: 5000 }))!;
        const other = (await store.createRuns([newRun(b)]))!;
        const batch = (await store.createRuns([
          newRun(a, {
            inputs: { level: "3" },
            payload: { nested: { list: [1, "two"] } },
            rerunOf: first[0]!.id,
            reuse: { build: { result: "success", outputs: { v: "1" } } },
          }),
          newRun(a),
        ]))!;
        expect(first.map((r) => r.number)).toEqual([1]);
        expect(other.map((r) => r.number)).toEqual([1]);
        expect(batch.map((r) => r.number)).toEqual([2, 3]);
        expect(first[0]).toMatchObject({
          repo: a,
          createdAt: 5000,
          state: { status: "queued" },
          error: null,
          rerunOf: null,
          reuse: {},
          plan: [{ jobId: "build", name: "build", needs: [] }],
        });
        expect(await store.getRun(batch[0]!.id)).toEqual(batch[0]);
        expect(batch[0]).toMatchObject({
          inputs: { level: "3" },
          payload: { nested: { list: [1, "two"] } },
          rerunOf: first[0]!.id,
          reuse: { build: { result: "success", outputs: { v: "1" } } },
        });
        expect(await store.getRun(999_999_999)).toBeNull();
      });

      it("gives concurrent triggers of one repo distinct numbers", async () => {
        const repo = fresh("concurrent");
        await store.createRepo(repo);
        const created = await Promise.all(
          Array.from({ length: 8 }, () => store.createRuns([newRun(repo), newRun(repo)])),
        );
        const numbers = created.flatMap((runs) => runs!.map((r) => r.number));
        expect(numbers.sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      });

      it("creates a run with an error completed: failure, reason pipeline, never started", async () => {
        const repo = fresh("broken");
        await store.createRepo(repo);
        const [run] = (await store.createRuns(
          [newRun(repo, { error: "ci.yml (Line: 3, Col: 5): unexpected value", plan: [] })],
          { at: 7000 },
        ))!;
        expect(run!.state).toEqual({
          status: "completed",
          result: "failure",
          reason: "pipeline",
          startedAt: null,
          finishedAt: 7000,
          supersededBy: null,
        });
        expect(run!.error).toBe("ci.yml (Line: 3, Col: 5): unexpected value");
        expect((await store.listQueuedRuns()).some((r) => r.id === run!.id)).toBe(false);
      });

      it("creates nothing for an event id it has seen, and returns null", async () => {
        const repo = fresh("event");
        await store.createRepo(repo);
        const eventId = `evt-${randomBytes(8).toString("hex")}`;
        const first = await store.createRuns([newRun(repo), newRun(repo)], { eventId });
        expect(first).toHaveLength(2);
        expect(await store.createRuns([newRun(repo)], { eventId })).toBeNull();
        expect(await store.countRuns(repo)).toBe(2);
      });

      it("throws for an unknown repo and records nothing, not even the event", async () => {
        const repo = fresh("known");
        const missing = fresh("unknown");
        await store.createRepo(repo);
        const eventId = `evt-${randomBytes(8).toString("hex")}`;
        await expect(
          store.createRuns([newRun(repo), newRun(missing)], { eventId }),
        ).rejects.toThrow(`no repository '${missing}'`);
        expect(await store.countRuns(repo)).toBe(0);
        // The failed transaction did not keep the event: the replay still works.
        await store.createRepo(missing);
        expect(await store.createRuns([newRun(repo), newRun(missing)], { eventId })).toHaveLength(
          2,
        );
      });
    });

    describe("listing runs", () => {
      it("pages newest first with before, and counts", async () => {
        const repo = fresh("pages");
        await store.createRepo(repo);
        const runs = (await store.createRuns(Array.from({ length: 5 }, () => newRun(repo))))!;
        const ids = runs.map((r) => r.id);
        const page1 = await store.listRuns(repo, { limit: 2 });
        expect(page1.map((r) => r.number)).toEqual([5, 4]);
        const page2 = await store.listRuns(repo, { limit: 2, before: page1.at(-1)!.id });
        expect(page2.map((r) => r.number)).toEqual([3, 2]);
        const page3 = await store.listRuns(repo, { limit: 2, before: page2.at(-1)!.id });
        expect(page3.map((r) => r.number)).toEqual([1]);
        expect(await store.listRuns(repo, { before: ids[0]! })).toEqual([]);
        expect((await store.listRuns(repo)).map((r) => r.id)).toEqual([...ids].reverse());
        expect(await store.countRuns(repo)).toBe(5);
        expect(await store.countRuns(fresh("none"))).toBe(0);
        expect(await store.listRuns(fresh("none"))).toEqual([]);
      });

      it("lists queued runs oldest first: the durable queue", async () => {
        const a = fresh("queue-a");
        const b = fresh("queue-b");
        await store.createRepo(a);
        await store.createRepo(b);
        const [a1, a2] = (await store.createRuns([newRun(a), newRun(a)]))!;
        const [b1] = (await store.createRuns([newRun(b)]))!;
        const [a3] = (await store.createRuns([newRun(a)]))!;
        await store.startRun(a2!.id);
        await store.finishRun(a3!.id, { result: "cancelled", reason: "user" });
        const queued = (await store.listQueuedRuns()).filter((r) => r.repo === a || r.repo === b);
        expect(queued.map((r) => r.id)).toEqual([a1!.id, b1!.id]);
        expect(queued.every((r) => r.state.status === "queued")).toBe(true);
      });

      it("lists the older unfinished runs of the same ref and workflow as supersedable", async () => {
        const repo = fresh("supersede");
        await store.createRepo(repo);
        const [queued, running, done, otherRef, otherWorkflow, newest, later] =
          (await store.createRuns([
            newRun(repo),
            newRun(repo),
            newRun(repo),
            newRun(repo, { ref: "refs/heads/dev" }),
            newRun(repo, { workflow: ".forgejo/workflows/lint.yml" }),
            newRun(repo),
            newRun(repo),
          ]))!;
        await store.startRun(running!.id);
        await store.startRun(done!.id);
        await store.finishRun(done!.id, { result: "success" });
        const supersedable = await store.listSupersedable(newest!);
        expect(supersedable.map((r) => r.id)).toEqual([queued!.id, running!.id]);
        expect(otherRef && otherWorkflow && later).toBeTruthy();
      });
    });

    describe("run transitions", () => {
      it("starts a queued run once", async () => {
        const run = await repoWithRun();
        expect(await store.startRun(run.id, 2000)).toBe(true);
        expect(await store.startRun(run.id, 3000)).toBe(false);
        expect((await store.getRun(run.id))!.state).toEqual({ status: "running", startedAt: 2000 });
        expect(await store.startRun(999_999_999)).toBe(false);
      });

      it("finishes a run once", async () => {
        const run = await repoWithRun();
        await store.startRun(run.id, 2000);
        expect(await store.finishRun(run.id, { result: "success", at: 4000 })).toBe(true);
        expect(await store.finishRun(run.id, { result: "failure", reason: "user" })).toBe(false);
        expect((await store.getRun(run.id))!.state).toEqual({
          status: "completed",
          result: "success",
          reason: null,
          startedAt: 2000,
          finishedAt: 4000,
          supersededBy: null,
        });
      });

      it("finishes a queued run without a start time, with who superseded it", async () => {
        const older = await repoWithRun();
        const [newer] = (await store.createRuns([newRun(older.repo)]))!;
        expect(
          await store.finishRun(older.id, {
            result: "cancelled",
            reason: "superseded",
            supersededBy: newer!.id,
            at: 9000,
          }),
        ).toBe(true);
        expect((await store.getRun(older.id))!.state).toEqual({
          status: "completed",
          result: "cancelled",
          reason: "superseded",
          startedAt: null,
          finishedAt: 9000,
          supersededBy: newer!.id,
        });
        expect(await store.startRun(older.id)).toBe(false);
      });

      it("records the error a run ended with", async () => {
        const run = await repoWithRun();
        await store.startRun(run.id);
        await store.finishRun(run.id, { result: "failure", reason: "internal", error: "boom" });
        expect((await store.getRun(run.id))!.error).toBe("boom");
      });

      it("replaces a run's plan", async () => {
        const run = await repoWithRun({ plan: [] });
        const plan = [
          { jobId: "build", name: "Build", needs: [] },
          { jobId: "test", name: "Test ✓", needs: ["build"] },
        ];
        await store.setRunPlan(run.id, plan);
        expect((await store.getRun(run.id))!.plan).toEqual(plan);
      });
    });

    describe("jobs and steps", () => {
      it("creates, starts and finishes jobs and steps, listed in order", async () => {
        const run = await repoWithRun();
        const build = await store.createJob(run.id, {
          key: "ci.yml#build",
          jobId: "build",
          name: "build (linux, 20)",
          matrix: { os: "linux", node: 20 },
          runsOn: ["self-hosted", "linux"],
        });
        expect(build).toEqual({
          id: expect.any(Number),
          runId: run.id,
          key: "ci.yml#build",
          jobId: "build",
          name: "build (linux, 20)",
          matrix: { os: "linux", node: 20 },
          runsOn: ["self-hosted", "linux"],
          state: { status: "queued" },
          outputs: {},
          logLines: 0,
          steps: [],
        });
        const test = await store.createJob(run.id, {
          key: "ci.yml#test",
          jobId: "test",
          name: "test",
          matrix: null,
          runsOn: "linux",
        });
        await expect(
          store.createJob(run.id, {
            key: "ci.yml#test",
            jobId: "test",
            name: "test",
            matrix: null,
            runsOn: "linux",
          }),
        ).rejects.toThrow();

        expect(await store.startJob(build.id, 100)).toBe(true);
        expect(await store.startJob(build.id, 200)).toBe(false);
        // Steps arrive out of order; they are listed by index.
        await store.startStep(build.id, 1, "test", 120);
        await store.startStep(build.id, 0, "checkout", 110);
        await store.startStep(build.id, 0, "checkout again", 999);
        expect(
          await store.finishStep(build.id, 0, { result: "success", outcome: "failure", at: 115 }),
        ).toBe(true);
        expect(await store.finishStep(build.id, 0, { result: "failure", outcome: "failure" })).toBe(
          false,
        );
        expect(await store.finishStep(build.id, 7, { result: "success", outcome: "success" })).toBe(
          false,
        );
        expect(
          await store.finishJob(build.id, {
            result: "success",
            outputs: { version: "1.2.3" },
            at: 300,
          }),
        ).toBe(true);
        expect(await store.finishJob(build.id, { result: "failure" })).toBe(false);

        const jobs = await store.listJobs(run.id);
        expect(jobs.map((j) => j.key)).toEqual(["ci.yml#build", "ci.yml#test"]);
        expect(jobs[0]!.state).toEqual({
          status: "completed",
          result: "success",
          reason: null,
          startedAt: 100,
          finishedAt: 300,
        });
        expect(jobs[0]!.outputs).toEqual({ version: "1.2.3" });
        expect(jobs[0]!.steps).toEqual([
          {
            index: 0,
            name: "checkout",
            state: {
              status: "completed",
              result: "success",
              outcome: "failure",
              startedAt: 110,
              finishedAt: 115,
            },
          },
          { index: 1, name: "test", state: { status: "running", startedAt: 120 } },
        ]);
        expect(jobs[1]).toEqual(test);
        expect(await store.getJob(build.id)).toEqual(jobs[0]);
        expect(await store.getJob(999_999_999)).toBeNull();
        expect(await store.listJobs(999_999_999)).toEqual([]);
      });

      it("finishes a queued job as skipped without a start time", async () => {
        const run = await repoWithRun();
        const job = await store.createJob(run.id, {
          key: "k",
          jobId: "j",
          name: "j",
          matrix: null,
          runsOn: null,
        });
        expect(await store.finishJob(job.id, { result: "skipped", at: 50 })).toBe(true);
        expect((await store.getJob(job.id))!.state).toEqual({
          status: "completed",
          result: "skipped",
          reason: null,
          startedAt: null,
          finishedAt: 50,
        });
      });
    });

    describe("logs", () => {
      async function newJob(): Promise<number> {
        const run = await repoWithRun();
        const job = await store.createJob(run.id, {
          key: "log",
          jobId: "log",
          name: "log",
          matrix: null,
          runsOn: "linux",
        });
        return job.id;
      }
      const numbered = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

      it("appends chunks, returning the running line count", async () => {
        const job = await newJob();
        expect(await store.appendLog(job, logBlock(numbered(1, 3)))).toBe(3);
        expect(await store.appendLog(job, logBlock([]))).toBe(3);
        expect(await store.appendLog(job, logBlock(numbered(4, 7)))).toBe(7);
        expect(await store.appendLog(job, logBlock(numbered(8, 12)))).toBe(12);
        expect((await store.getJob(job))!.logLines).toBe(12);
        const chunks = await store.db
          .selectFrom("log_chunks")
          .select(["first_line", "line_count"])
          .where("job_id", "=", job)
          .orderBy("first_line")
          .execute();
        expect(chunks).toEqual([
          { first_line: 1, line_count: 3 },
          { first_line: 4, line_count: 4 },
          { first_line: 8, line_count: 5 },
        ]);
        await expect(store.appendLog(999_999_999, logBlock(["x"]))).rejects.toThrow("999999999");
      });

      it("reads across chunk boundaries from any line, with a limit", async () => {
        const job = await newJob();
        await store.appendLog(job, logBlock(numbered(1, 3)));
        await store.appendLog(job, logBlock(numbered(4, 7)));
        await store.appendLog(job, logBlock(numbered(8, 12)));
        expect(await store.readLog(job)).toEqual({ firstLine: 1, lines: numbered(1, 12) });
        expect(await store.readLog(job, { fromLine: 2, limit: 5 })).toEqual({
          firstLine: 2,
          lines: numbered(2, 6),
        });
        expect(await store.readLog(job, { fromLine: 5 })).toEqual({
          firstLine: 5,
          lines: numbered(5, 12),
        });
        expect(await store.readLog(job, { fromLine: 4, limit: 4 })).toEqual({
          firstLine: 4,
          lines: numbered(4, 7),
        });
        expect(await store.readLog(job, { fromLine: 12 })).toEqual({
          firstLine: 12,
          lines: ["line 12"],
        });
        expect(await store.readLog(job, { fromLine: 13 })).toEqual({ firstLine: 13, lines: [] });
        expect(await store.readLog(job, { fromLine: 0, limit: 1 })).toEqual({
          firstLine: 1,
          lines: ["line 1"],
        });
        expect(await store.readLog(999_999_999)).toEqual({ firstLine: 1, lines: [] });
      });

      it("reads past the page of chunks one query fetches", async () => {
        const job = await newJob();
        for (let i = 0; i < 150; i++)
          await store.appendLog(job, logBlock(numbered(2 * i + 1, 2 * i + 2)));
        expect(await store.readLog(job)).toEqual({ firstLine: 1, lines: numbered(1, 300) });
        expect(await store.readLog(job, { fromLine: 101, limit: 150 })).toEqual({
          firstLine: 101,
          lines: numbered(101, 250),
        });
      });

      it("keeps tabs, unicode, empty and blank lines as they were", async () => {
        const job = await newJob();
        const lines = [
          "a\tb\t\tc",
          "",
          "ünïcödé — 日本語 — 🚀👩‍👩‍👧",
          "\u001b[31mred\u001b[0m",
          "carriage\rreturn",
          "   ",
          "",
        ];
        await store.appendLog(job, logBlock(lines));
        await store.appendLog(job, logBlock([""]));
        await store.appendLog(job, logBlock(["", ""]));
        await store.appendLog(job, logBlock(["last"]));
        expect(await store.readLog(job)).toEqual({
          firstLine: 1,
          lines: [...lines, "", "", "", "last"],
        });
        expect(await store.readLog(job, { fromLine: 8, limit: 2 })).toEqual({
          firstLine: 8,
          lines: ["", ""],
        });
      });

      it("stores NUL and a newline inside a line as stand-ins, keeping line numbers", async () => {
        // PostgreSQL TEXT cannot hold NUL; a "\n" would split the line when read back.
        const job = await newJob();
        expect(
          await store.appendLog(job, logBlock(["before\u0000after", "one\ntwo", "next"])),
        ).toBe(3);
        expect((await store.readLog(job)).lines).toEqual([
          "before\u2400after",
          "one\u2424two",
          "next",
        ]);
        expect(await store.readLog(job, { fromLine: 3 })).toEqual({
          firstLine: 3,
          lines: ["next"],
        });
      });

      it("keeps a job's lines in order in its log file, which a repo's deletion removes", async () => {
        const run = await repoWithRun();
        const job = (
          await store.createJob(run.id, {
            key: "file",
            jobId: "file",
            name: "file",
            matrix: null,
            runsOn: null,
          })
        ).id;
        await Promise.all([
          store.appendLog(job, logBlock(numbered(1, 2))),
          store.appendLog(job, logBlock(numbered(3, 5))),
        ]);
        const file = store.logs.path(job);
        expect(await readFile(file, "utf8")).toBe(`${numbered(1, 5).join("\n")}\n`);
        const row = await store.db
          .selectFrom("jobs")
          .select("log_bytes")
          .where("id", "=", job)
          .executeTakeFirstOrThrow();
        expect(row.log_bytes).toBe((await stat(file)).size);
        const repo = (await store.getRun(run.id))!.repo;
        expect(await store.deleteRepo(repo)).toBe(true);
        await expect(stat(file)).rejects.toThrow("ENOENT");
      });

      it("reads right past bytes an interrupted append left in the file", async () => {
        const job = await newJob();
        await store.appendLog(job, logBlock(numbered(1, 3)));
        // A crash between the file write and the commit leaves bytes no chunk points at.
        await appendFile(store.logs.path(job), "half-written\nlines\n");
        await store.appendLog(job, logBlock(numbered(4, 6)));
        expect(await store.readLog(job)).toEqual({ firstLine: 1, lines: numbered(1, 6) });
        expect(await store.readLog(job, { fromLine: 3, limit: 2 })).toEqual({
          firstLine: 3,
          lines: ["line 3", "line 4"],
        });
      });

      it("says which job's log file is damaged instead of returning wrong lines", async () => {
        const job = await newJob();
        await store.appendLog(job, logBlock(numbered(1, 3)));
        await truncate(store.logs.path(job), 5);
        await expect(store.readLog(job)).rejects.toThrow(`the log file of job ${job} ends before`);
      });

      it("numbers concurrent appends consecutively", async () => {
        const job = await newJob();
        const counts = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.appendLog(job, logBlock(numbered(1, 10).map((l) => `${i}:${l}`))),
          ),
        );
        expect([...counts].sort((x, y) => x - y)).toEqual(
          Array.from({ length: 20 }, (_, i) => (i + 1) * 10),
        );
        const { lines } = await store.readLog(job);
        expect(lines).toHaveLength(200);
        // Each append's lines stay together, in order.
        for (let i = 0; i < 200; i += 10) {
          const writer = lines[i]!.split(":")[0];
          expect(lines.slice(i, i + 10)).toEqual(numbered(1, 10).map((l) => `${writer}:${l}`));
        }
      });
    });

    describe("reconcile", () => {
      it("fails what was running, skips its queued jobs and leaves queued runs queued", async () => {
        // Earlier tests leave running runs behind: clear them so the counts are this test's.
        await store.reconcile();
        const running = await repoWithRun();
        const [queuedRun] = (await store.createRuns([newRun(running.repo)]))!;
        const done = await repoWithRun();
        await store.startRun(running.id, 10);
        await store.startRun(done.id, 10);
        await store.finishRun(done.id, { result: "success", at: 20 });
        const job = (key: string) =>
          store.createJob(running.id, { key, jobId: key, name: key, matrix: null, runsOn: "x" });
        const active = await job("active");
        const waiting = await job("waiting");
        const finished = await job("finished");
        await store.startJob(active.id, 11);
        await store.startStep(active.id, 0, "done step", 12);
        await store.finishStep(active.id, 0, { result: "success", outcome: "success", at: 13 });
        await store.startStep(active.id, 1, "hung step", 14);
        await store.startJob(finished.id, 11);
        await store.finishJob(finished.id, { result: "success", at: 15 });

        expect(await store.reconcile(100)).toEqual({ runs: 1, jobs: 1 });

        expect((await store.getRun(running.id))!.state).toEqual({
          status: "completed",
          result: "failure",
          reason: "orphaned",
          startedAt: 10,
          finishedAt: 100,
          supersededBy: null,
        });
        const jobs = await store.listJobs(running.id);
        const byKey = new Map(jobs.map((j) => [j.key, j]));
        expect(byKey.get("active")!.state).toEqual({
          status: "completed",
          result: "failure",
          reason: "orphaned",
          startedAt: 11,
          finishedAt: 100,
        });
        expect(byKey.get("active")!.steps.map((s) => s.state)).toEqual([
          {
            status: "completed",
            result: "success",
            outcome: "success",
            startedAt: 12,
            finishedAt: 13,
          },
          {
            status: "completed",
            result: "failure",
            outcome: "failure",
            startedAt: 14,
            finishedAt: 100,
          },
        ]);
        expect(byKey.get("waiting")!.state).toEqual({
          status: "completed",
          result: "skipped",
          reason: null,
          startedAt: null,
          finishedAt: 100,
        });
        expect(byKey.get("finished")!.state).toMatchObject({ result: "success", finishedAt: 15 });
        expect((await store.getRun(queuedRun!.id))!.state).toEqual({ status: "queued" });
        expect((await store.getRun(done.id))!.state).toMatchObject({ finishedAt: 20 });
        expect(await store.reconcile(200)).toEqual({ runs: 0, jobs: 0 });
        expect(waiting.id).toBeGreaterThan(active.id);
      });
    });

    describe("secrets", () => {
      it("sets, overwrites, deletes and lists per scope", async () => {
        const repo = fresh("secrets");
        await store.createRepo(repo);
        const g1 = fresh("GLOBAL_ONE");
        const g2 = fresh("GLOBAL_TWO");
        await store.setSecret(null, g2, "c-g2", 10);
        await store.setSecret(null, g1, "c-g1", 11);
        await store.setSecret(repo, g1, "c-r1", 12);
        const globals = (await store.listSecrets(null)).filter(
          (s) => s.name === g1 || s.name === g2,
        );
        expect(globals).toEqual([
          { name: g1, repo: null, updatedAt: 11 },
          { name: g2, repo: null, updatedAt: 10 },
        ]);
        expect(await store.listSecrets(repo)).toEqual([{ name: g1, repo, updatedAt: 12 }]);

        await store.setSecret(repo, g1, "c-r1-new", 20);
        expect(await store.listSecrets(repo)).toEqual([{ name: g1, repo, updatedAt: 20 }]);
        expect(await store.deleteSecret(null, g2)).toBe(true);
        expect(await store.deleteSecret(null, g2)).toBe(false);
        expect((await store.listSecrets(null)).map((s) => s.name)).not.toContain(g2);
        expect(await store.deleteSecret(repo, g1)).toBe(true);
        expect(await store.listSecrets(repo)).toEqual([]);
        // The global one of the same name was not touched.
        expect((await store.listSecrets(null)).map((s) => s.name)).toContain(g1);
      });

      it("gives a repo's jobs the global secrets overlaid by the repo's own", async () => {
        const repo = fresh("overlay");
        const other = fresh("overlay-other");
        await store.createRepo(repo);
        await store.createRepo(other);
        const shared = fresh("SHARED");
        const onlyGlobal = fresh("ONLY_GLOBAL");
        const onlyRepo = fresh("ONLY_REPO");
        await store.setSecret(null, shared, "global-shared");
        await store.setSecret(repo, shared, "repo-shared");
        await store.setSecret(null, onlyGlobal, "global-only");
        await store.setSecret(repo, onlyRepo, "repo-only");
        await store.setSecret(other, fresh("OTHER"), "not-for-repo");
        const mine = new Set([shared, onlyGlobal, onlyRepo]);
        const secrets = (await store.secretsFor(repo))
          .filter((s) => s.repo !== null || mine.has(s.name))
          .sort((x, y) => x.name.localeCompare(y.name));
        expect(secrets).toEqual(
          [
            { name: shared, repo, ciphertext: "repo-shared" },
            { name: onlyGlobal, repo: null, ciphertext: "global-only" },
            { name: onlyRepo, repo, ciphertext: "repo-only" },
          ].sort((x, y) => x.name.localeCompare(y.name)),
        );
        expect((await store.secretsFor(other)).find((s) => s.name === shared)).toEqual({
          name: shared,
          repo: null,
          ciphertext: "global-shared",
        });
      });
    });

    describe("users, tokens, sessions", () => {
      it("creates users once and keeps their password hashes", async () => {
        const name = fresh("alice");
        const user = await store.createUser(name, { isAdmin: true });
        expect(user).toEqual({
          id: expect.any(Number),
          name,
          isAdmin: true,
          createdAt: expect.any(Number),
        });
        expect(await store.createUser(name)).toBeNull();
        expect(await store.getUser(name)).toEqual(user);
        expect(await store.getUserById(user!.id)).toEqual(user);
        expect(await store.getUser(fresh("nobody"))).toBeNull();
        expect(await store.passwordHash(name)).toBeNull();
        expect(await store.setPasswordHash(name, "scrypt$1")).toBe(true);
        expect(await store.passwordHash(name)).toBe("scrypt$1");
        expect(await store.setPasswordHash(fresh("nobody"), "x")).toBe(false);
        expect(await store.passwordHash(fresh("nobody"))).toBeNull();
        const bob = fresh("bob");
        expect(await store.createUser(bob, { passwordHash: "h" })).toMatchObject({
          isAdmin: false,
        });
        expect(await store.passwordHash(bob)).toBe("h");
      });

      it("finds tokens by hash and marks them used", async () => {
        const user = (await store.createUser(fresh("carol")))!;
        const hash = `hash-${randomBytes(8).toString("hex")}`;
        const token = await store.createToken({
          name: "ci",
          scope: "write",
          userId: user.id,
          hash,
        });
        expect(token).toMatchObject({
          name: "ci",
          scope: "write",
          userId: user.id,
          lastUsedAt: null,
        });
        const used = await store.useToken(hash, 1_000_000);
        expect(used).toEqual({ token: { ...token, lastUsedAt: 1_000_000 }, user });
        expect((await store.listTokens()).find((t) => t.id === token.id)!.lastUsedAt).toBe(
          1_000_000,
        );
        // Marked coarsely: a use within a minute does not write again.
        expect((await store.useToken(hash, 1_030_000))!.token.lastUsedAt).toBe(1_000_000);
        expect((await store.useToken(hash, 1_120_000))!.token.lastUsedAt).toBe(1_120_000);
        expect(await store.useToken("no-such-hash")).toBeNull();
        expect(await store.deleteToken(token.id)).toBe(true);
        expect(await store.deleteToken(token.id)).toBe(false);
        expect(await store.useToken(hash)).toBeNull();
      });

      it("finds a session's user until it expires", async () => {
        const user = (await store.createUser(fresh("dave")))!;
        const hash = `session-${randomBytes(8).toString("hex")}`;
        await store.createSession(hash, user.id, 5000);
        expect(await store.findSession(hash, 4999)).toEqual(user);
        expect(await store.findSession(hash, 5000)).toBeNull();
        expect(await store.findSession(hash, 6000)).toBeNull();
        expect(await store.findSession("no-such-session", 1)).toBeNull();
        await store.deleteSession(hash);
        expect(await store.findSession(hash, 1)).toBeNull();
      });
    });

    it("upserts small values", async () => {
      const key = fresh("schedule-mark");
      expect(await store.getValue(key)).toBeNull();
      await store.setValue(key, "one");
      expect(await store.getValue(key)).toBe("one");
      await store.setValue(key, "two");
      expect(await store.getValue(key)).toBe("two");
    });

    describe("CHECK constraints", () => {
      let repoId: number;
      let number = 1000;

      beforeAll(async () => {
        const name = fresh("checks");
        repoId = (await store.createRepo(name))!.id;
      });

      function insertRun(state: {
        status: string;
        result?: string | null;
        reason?: string | null;
        startedAt?: number | null;
        finishedAt?: number | null;
        supersededBy?: number | null;
      }) {
        return sql<{ id: number }>`
          INSERT INTO runs (repo_id, number, workflow, workflow_name, event, ref, sha, actor,
            status, result, reason, created_at, started_at, finished_at, superseded_by,
            payload_json, inputs_json, plan_json, reuse_json)
          VALUES (${repoId}, ${++number}, 'ci.yml', 'ci', 'push', 'refs/heads/main', 'abc', 'me',
            ${state.status}, ${state.result ?? null}, ${state.reason ?? null}, 1,
            ${state.startedAt ?? null}, ${state.finishedAt ?? null}, ${state.supersededBy ?? null},
            '{}', '{}', '[]', '{}')
          RETURNING id`.execute(store.db);
      }

      it("accepts every legal run state written by hand", async () => {
        await insertRun({ status: "queued" });
        await insertRun({ status: "running", startedAt: 1 });
        await insertRun({ status: "completed", result: "success", startedAt: 1, finishedAt: 2 });
        await insertRun({
          status: "completed",
          result: "failure",
          reason: "pipeline",
          finishedAt: 2,
        });
        await insertRun({
          status: "completed",
          result: "cancelled",
          reason: "superseded",
          supersededBy: 1,
          finishedAt: 2,
        });
      });

      it.each([
        ["a completed run without a result", { status: "completed", finishedAt: 2 }],
        ["a completed run without a finish time", { status: "completed", result: "success" }],
        ["a queued run with a start time", { status: "queued", startedAt: 1 }],
        ["a queued run with a result", { status: "queued", result: "failure" }],
        ["a running run without a start time", { status: "running" }],
        ["a running run with a result", { status: "running", startedAt: 1, result: "success" }],
        ["a queued run with a reason", { status: "queued", reason: "user" }],
        ["a running run with a reason", { status: "running", startedAt: 1, reason: "timeout" }],
        [
          "reason superseded with result success",
          { status: "completed", result: "success", reason: "superseded", finishedAt: 2 },
        ],
        [
          "superseded_by without reason superseded",
          {
            status: "completed",
            result: "cancelled",
            reason: "user",
            supersededBy: 1,
            finishedAt: 2,
          },
        ],
        [
          "superseded_by without any reason",
          { status: "completed", result: "cancelled", supersededBy: 1, finishedAt: 2 },
        ],
        ["an unknown status", { status: "paused" }],
        ["an unknown result", { status: "completed", result: "maybe", finishedAt: 2 }],
        [
          "an unknown reason",
          { status: "completed", result: "failure", reason: "bad luck", finishedAt: 2 },
        ],
      ] as const)("rejects inserting %s", async (_, state) => {
        await expect(insertRun(state)).rejects.toThrow(CHECK_VIOLATION);
      });

      it("rejects updates into illegal run and job states and leaves the rows as they were", async () => {
        const run = await repoWithRun();
        const illegal = [
          sql`UPDATE runs SET status = 'completed' WHERE id = ${run.id}`,
          sql`UPDATE runs SET started_at = 5 WHERE id = ${run.id}`,
          sql`UPDATE runs SET status = 'running', started_at = 5, result = 'success' WHERE id = ${run.id}`,
          sql`UPDATE runs SET status = 'done' WHERE id = ${run.id}`,
          sql`UPDATE runs SET status = 'completed', result = 'success', reason = 'superseded', finished_at = 5 WHERE id = ${run.id}`,
          sql`UPDATE runs SET status = 'completed', result = 'failure', superseded_by = ${run.id}, finished_at = 5 WHERE id = ${run.id}`,
        ];
        for (const statement of illegal)
          await expect(statement.execute(store.db)).rejects.toThrow(CHECK_VIOLATION);
        expect(await store.getRun(run.id)).toEqual(run);

        const job = await store.createJob(run.id, {
          key: "k",
          jobId: "k",
          name: "k",
          matrix: null,
          runsOn: null,
        });
        for (const statement of [
          sql`UPDATE jobs SET status = 'completed' WHERE id = ${job.id}`,
          sql`UPDATE jobs SET status = 'running' WHERE id = ${job.id}`,
          sql`UPDATE jobs SET status = 'waiting' WHERE id = ${job.id}`,
          sql`UPDATE jobs SET status = 'completed', result = 'success', reason = 'orphaned', finished_at = 5 WHERE id = ${job.id}`,
        ])
          await expect(statement.execute(store.db)).rejects.toThrow(CHECK_VIOLATION);
        expect(await store.getJob(job.id)).toEqual(job);
      });

      it("rejects illegal step states", async () => {
        const run = await repoWithRun();
        const job = await store.createJob(run.id, {
          key: "k",
          jobId: "k",
          name: "k",
          matrix: null,
          runsOn: null,
        });
        await store.startStep(job.id, 0, "s", 1);
        for (const statement of [
          sql`UPDATE steps SET status = 'completed', result = 'success', finished_at = 2 WHERE job_id = ${job.id}`,
          sql`UPDATE steps SET status = 'completed', outcome = 'success', finished_at = 2 WHERE job_id = ${job.id}`,
          sql`UPDATE steps SET status = 'completed', result = 'success', outcome = 'success' WHERE job_id = ${job.id}`,
          sql`UPDATE steps SET result = 'success' WHERE job_id = ${job.id}`,
          sql`UPDATE steps SET status = 'queued' WHERE job_id = ${job.id}`,
          sql`INSERT INTO steps (job_id, idx, name, status, started_at) VALUES (${job.id}, 1, 's', 'skipped', 1)`,
        ])
          await expect(statement.execute(store.db)).rejects.toThrow(CHECK_VIOLATION);
        expect((await store.getJob(job.id))!.steps).toEqual([
          { index: 0, name: "s", state: { status: "running", startedAt: 1 } },
        ]);
      });

      it("rejects a second global secret of one name (the partial unique index)", async () => {
        const name = fresh("DUP");
        await store.setSecret(null, name, "one");
        await expect(
          sql`INSERT INTO secrets (repo_id, name, ciphertext, updated_at) VALUES (NULL, ${name}, 'two', 1)`.execute(
            store.db,
          ),
        ).rejects.toThrow(/unique/i);
      });
    });

    it("reopens on the same data without running its migrations again", async () => {
      const repo = fresh("kept");
      await store.createRepo(repo, 42);
      const again = await target.reopen();
      try {
        expect(await again.getRepo(repo)).toMatchObject({ name: repo, createdAt: 42 });
        const migrations = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(
          again.db,
        );
        expect(migrations.rows.map((r) => r.name)).toEqual(["0001-initial", "0002-session-scope"]);
      } finally {
        await again.close();
      }
    });
  });
}

storeSuite("sqlite", sqliteTarget);
await describePostgres("SqlStore on postgres", () => storeSuite("postgres", postgresTarget));

describe("SQLite file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqx-sqlite-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens in WAL mode with NORMAL sync, foreign keys and a busy timeout", async () => {
    const store = await openSqliteStore(join(dir, "nested", "settings.db"));
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`PRAGMA ${name}`).execute(store.db)).rows[0] as object)[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("synchronous")).toBe(1);
      expect(await pragma("foreign_keys")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it("keeps its data across a close and reopen, and migrates once", async () => {
    const path = join(dir, "reopen.db");
    const first = await openSqliteStore(path);
    await first.createRepo("kept", 1);
    const [run] = (await first.createRuns([newRun("kept")]))!;
    await first.setValue("mark", "1");
    await first.close();

    const second = await openSqliteStore(path);
    try {
      expect(await second.getRun(run!.id)).toEqual(run);
      expect(await second.getValue("mark")).toBe("1");
      const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(
        second.db,
      );
      expect(rows.rows.map((r) => r.name)).toEqual(["0001-initial", "0002-session-scope"]);
      const [next] = (await second.createRuns([newRun("kept")]))!;
      expect(next!.number).toBe(2);
    } finally {
      await second.close();
    }
  });

  it("measures log append throughput (printed, not asserted)", { timeout: 300_000 }, async () => {
    const path = join(dir, "throughput.db");
    const store = await openSqliteStore(path);
    try {
      await store.createRepo("bench");
      const [run] = (await store.createRuns([newRun("bench")]))!;
      const job = await store.createJob(run!.id, {
        key: "bench",
        jobId: "bench",
        name: "bench",
        matrix: null,
        runsOn: "linux",
      });
      const lineChars = 80;
      const linesPerChunk = 2000;
      const totalBytes = 200 * 1024 * 1024;
      const chunks = Math.ceil(totalBytes / (lineChars * linesPerChunk));
      const line = (n: number) => `${n} `.padEnd(lineChars, "x");
      const started = performance.now();
      let count = 0;
      for (let c = 0; c < chunks; c++) {
        const lines = Array.from({ length: linesPerChunk }, (_, i) =>
          line(c * linesPerChunk + i + 1),
        );
        count = await store.appendLog(job.id, logBlock(lines));
      }
      const seconds = (performance.now() - started) / 1000;
      const mb = (chunks * linesPerChunk * lineChars) / 1024 / 1024;
      const fileMb = (await stat(path)).size / 1024 / 1024;
      console.log(
        `SQLite log append: ${mb.toFixed(0)} MiB in ${chunks} appends of ${linesPerChunk} ` +
          `${lineChars}-char lines: ${seconds.toFixed(2)} s, ${(mb / seconds).toFixed(1)} MiB/s ` +
          `(file ${fileMb.toFixed(0)} MiB)`,
      );
      expect(count).toBe(chunks * linesPerChunk);
      const middle = Math.floor(count / 2) + 17;
      expect(await store.readLog(job.id, { fromLine: middle, limit: 3 })).toEqual({
        firstLine: middle,
        lines: [line(middle), line(middle + 1), line(middle + 2)],
      });
    } finally {
      await store.close();
    }
  });
});
