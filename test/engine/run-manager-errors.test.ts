/**
 * A store that fails while a run is going (a full disk, a lost database connection)
 * must not take the server down with an unhandled rejection, nor leave the run
 * counted as live for ever.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Workflow } from "../../src/core/workflow/model.ts";
import { ExecutorRouter } from "../../src/engine/executors/router.ts";
import { LogHub } from "../../src/engine/log-hub.ts";
import { RunManager, type RunSource } from "../../src/engine/run-manager.ts";
import { Slots } from "../../src/engine/slots.ts";
import { openSqliteStore } from "../../src/store/open.ts";
import type { Run } from "../../src/store/records.ts";
import type { SqlStore } from "../../src/store/sql-store.ts";
import type { Store } from "../../src/store/store.ts";

const WORKFLOW: Workflow = {
  format: "actions",
  file: ".forgejo/workflows/ci.yml",
  name: "ci",
  on: { push: {} },
  env: {},
  defaults: {},
  jobs: [
    {
      id: "build",
      name: null,
      needs: [],
      if: null,
      runsOn: "x",
      strategy: null,
      env: {},
      defaults: {},
      steps: [],
      outputs: {},
      continueOnError: false,
      timeoutMinutes: 5,
      container: null,
      services: null,
      line: 1,
    },
  ],
};

/** Runs the workflow above on the host. */
const source: RunSource = {
  async prepare() {
    return {
      ok: true,
      trigger: { name: "push", ref: "refs/heads/main", changedFiles: null },
      target: { kind: "workflow", workflow: WORKFLOW },
      env: {
        github: { event_name: "push", event: {}, sha: "0".repeat(40), ref: "refs/heads/main" },
        vars: {},
        secrets: {},
        runner: { os: "Linux" },
        checkout: { kind: "none" },
        actionsUrl: null,
        debug: false,
      },
    };
  },
};

/** The real store, with `failing` methods rejecting as a broken database would. */
function breakable(store: Store, failing: Set<string>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (failing.has(String(prop)))
        return () => Promise.reject(new Error(`database is gone (${String(prop)})`));
      return value.bind(target);
    },
  });
}

describe("RunManager with a failing store", () => {
  let dir: string;
  let store: SqlStore;
  let executor: ExecutorRouter;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "equinox-rm-errors-"));
    store = await openSqliteStore(join(dir, "equinox.db"));
    await store.createRepo("widget");
    executor = new ExecutorRouter({
      root: join(dir, "work"),
      toolCache: join(dir, "tool-cache"),
      dockerImage: "unused",
    });
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    unhandled.length = 0;
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await executor.dispose();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function queueRun(): Promise<Run> {
    const [run] = (await store.createRuns([
      {
        repo: "widget",
        workflow: WORKFLOW.file,
        workflowName: "ci",
        event: "push",
        ref: "refs/heads/main",
        sha: "0".repeat(40),
        actor: "tester",
        payload: {},
        inputs: {},
        plan: [],
      },
    ]))!;
    return run!;
  }

  /** Starts a manager on the broken store; resolves once the run has left it. */
  async function runWith(failing: string[]) {
    const run = await queueRun();
    const diagnostics: string[] = [];
    let finished: (run: Run) => void = () => {};
    const ended = new Promise<Run>((resolve) => {
      finished = resolve;
    });
    const manager = new RunManager(
      breakable(store, new Set(failing)),
      executor,
      new Slots({ global: 2, perLabel: {} }),
      new LogHub(),
      source,
      { onDiagnostic: (line) => diagnostics.push(line), onRunFinished: finished },
    );
    manager.wake();
    const done = await Promise.race([
      ended,
      new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
    ]);
    // Rejections are reported on the next turns of the event loop.
    await new Promise((r) => setTimeout(r, 50));
    await manager.stop();
    return { run, done, diagnostics, live: manager.isLive(run.id) };
  }

  it("a run whose start cannot be recorded still runs and ends, without an unhandled rejection", async () => {
    const { run, done, diagnostics, live } = await runWith(["startRun"]);
    expect(done?.id).toBe(run.id);
    expect(live).toBe(false);
    expect(unhandled).toEqual([]);
    expect(diagnostics.join("\n")).toContain("could not mark it started: database is gone");
    expect((await store.getRun(run.id))?.state).toMatchObject({ result: "success" });
  });

  it("a run whose end cannot be recorded leaves the live set, without an unhandled rejection", async () => {
    const { done, diagnostics, live } = await runWith(["startRun", "finishRun"]);
    expect(done).not.toBeNull();
    expect(live).toBe(false);
    expect(unhandled).toEqual([]);
    expect(diagnostics.join("\n")).toContain("could not record its end");
  });
});
