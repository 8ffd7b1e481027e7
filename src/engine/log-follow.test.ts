import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newRun } from "../../test/store.ts";
import { logBlock } from "../core/log-block.ts";
import { openSqliteStore } from "../store/open.ts";
import type { JobState } from "../store/records.ts";
import type { SqlStore } from "../store/sql-store.ts";
import { followJobLog } from "./log-follow.ts";
import { LogHub } from "./log-hub.ts";

const line = (n: number) => `line ${n} ${"x".repeat(80)}`;

describe("followJobLog", () => {
  let dir: string;
  let store: SqlStore;
  let hub: LogHub;
  let jobId: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqx-follow-"));
    store = await openSqliteStore(join(dir, "equinox.db"));
    hub = new LogHub();
    await store.createRepo("demo");
    const [run] = (await store.createRuns([newRun("demo", { plan: [] })]))!;
    const job = await store.createJob(run!.id, {
      key: "build",
      jobId: "build",
      name: "build",
      matrix: null,
      runsOn: "x",
    });
    jobId = job.id;
    await store.startJob(jobId);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** What the run recorder does: publish each batch, store it, mark it stored; then end. */
  async function writeLog(batches: number, perBatch: number): Promise<void> {
    let next = 1;
    for (let b = 0; b < batches; b++) {
      const lines = Array.from({ length: perBatch }, (_, i) => line(next + i));
      const block = logBlock(lines);
      hub.publish(jobId, next, block);
      await store.appendLog(jobId, block);
      hub.persisted(jobId, next + perBatch - 1);
      next += perBatch;
    }
    const at = Date.now();
    await store.finishJob(jobId, { result: "success", at });
    const state: JobState = {
      status: "completed",
      result: "success",
      reason: null,
      startedAt: at,
      finishedAt: at,
    };
    hub.end(jobId, state);
  }

  it("holds bounded memory for a slow reader and still delivers every line once, in order", async () => {
    const received: string[] = [];
    let ended: JobState | null = null;
    const maxQueuedBytes = 64 * 1024;
    const following = followJobLog(
      store,
      hub,
      jobId,
      0,
      {
        async onLines(slice) {
          expect(slice.firstLine).toBe(received.length + 1);
          received.push(...slice.lines);
          // A reader much slower than the job (a browser on a slow link).
          await new Promise((r) => setTimeout(r, 2));
        },
        onEnd(state) {
          ended = state;
        },
      },
      { maxQueuedBytes },
    );
    const batches = 1500;
    const perBatch = 40;
    await writeLog(batches, perBatch);
    const stats = await following;

    expect(ended).toMatchObject({ status: "completed", result: "success" });
    expect(received.length).toBe(batches * perBatch);
    expect(received.every((text, i) => text === line(i + 1))).toBe(true);
    // About 5 MB went by; no more than the cap was ever held for this reader.
    expect(stats.overflows).toBeGreaterThan(0);
    expect(stats.peakQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes);
  });

  it("resumes after a given line with a fast reader, without dropping anything", async () => {
    await store.appendLog(jobId, logBlock([line(1), line(2), line(3)]));
    const received: string[] = [];
    const following = followJobLog(store, hub, jobId, 2, {
      onLines(slice) {
        expect(slice.firstLine).toBe(received.length + 3);
        received.push(...slice.lines);
      },
      onEnd() {},
    });
    // The writer continues from line 4: the stored lines were written before.
    let next = 4;
    for (let b = 0; b < 50; b++) {
      const block = logBlock([line(next), line(next + 1)]);
      hub.publish(jobId, next, block);
      await store.appendLog(jobId, block);
      hub.persisted(jobId, next + 1);
      next += 2;
    }
    await store.finishJob(jobId, { result: "success" });
    hub.end(jobId, {
      status: "completed",
      result: "success",
      reason: null,
      startedAt: 0,
      finishedAt: 1,
    });
    const stats = await following;
    expect(received).toEqual(Array.from({ length: next - 3 }, (_, i) => line(i + 3)));
    expect(stats.overflows).toBe(0);
  });
});
