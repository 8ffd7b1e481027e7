import { randomBytes } from "node:crypto";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePostgres, dropSchema, newRun, PG_URL } from "../../test/store.ts";
import { logBlock } from "../core/log-block.ts";
import { openPostgresStore, openSqliteStore } from "./open.ts";
import type { SqlStore } from "./sql-store.ts";

// A crash while a run waited for a slot leaves it queued with job rows (jobs are
// recorded as queued before they get one). After the restart it must run again cleanly.

interface Target {
  name: string;
  open(dir: string): Promise<SqlStore>;
  drop(): Promise<void>;
}
const schema = `eqx_reconcile_${randomBytes(6).toString("hex")}`;
const sqlite: Target = {
  name: "SQLite",
  open: (dir) => openSqliteStore(join(dir, "equinox.db")),
  drop: async () => {},
};
const postgres: Target = {
  name: "PostgreSQL",
  open: (dir) => openPostgresStore(PG_URL, { schema, logDir: join(dir, "logs") }),
  drop: () => dropSchema(schema),
};

function suite(target: Target) {
  let dir: string;
  let store: SqlStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqx-reconcile-"));
    store = await target.open(dir);
  });
  afterAll(async () => {
    await store.close();
    await target.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("clears the jobs of a run still queued, so it starts again and records its jobs anew", async () => {
    await store.createRepo("waiting");
    const [run] = (await store.createRuns([newRun("waiting", { plan: [] })]))!;
    const newJob = { key: "build", jobId: "build", name: "build", matrix: null, runsOn: "x" };
    // As left by the crash: one job recorded as queued, one that had begun.
    await store.createJob(run!.id, { ...newJob, key: "lint", jobId: "lint", name: "lint" });
    const begun = await store.createJob(run!.id, newJob);
    await store.startJob(begun.id);
    await store.startStep(begun.id, 0, "step");
    await store.appendLog(begun.id, logBlock(["from before the crash"]));
    const oldLog = store.logs.path(begun.id);
    await access(oldLog);

    expect(await store.reconcile()).toEqual({ runs: 0, jobs: 0 });

    expect((await store.getRun(run!.id))!.state).toEqual({ status: "queued" });
    expect(await store.listJobs(run!.id)).toEqual([]);
    await expect(access(oldLog)).rejects.toThrow();
    // The run starts again: its jobs are created and logged from line 1.
    expect(await store.startRun(run!.id)).toBe(true);
    const again = await store.createJob(run!.id, newJob);
    await store.startJob(again.id);
    expect(await store.appendLog(again.id, logBlock(["after the restart"]))).toBe(1);
    expect((await store.readLog(again.id)).lines).toEqual(["after the restart"]);
    expect((await store.listJobs(run!.id)).map((j) => j.key)).toEqual(["build"]);
  });
}

describe("reconcile on SQLite", () => suite(sqlite));
await describePostgres("reconcile on PostgreSQL", () => suite(postgres));
