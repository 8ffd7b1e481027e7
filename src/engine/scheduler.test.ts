import { describe, expect, it } from "vitest";
import type { JobDef, Workflow } from "../core/workflow/model.ts";
import { FakeExecutor } from "./executors/fake.ts";
import { type RunEnvironment, Scheduler } from "./scheduler.ts";

const ENV: RunEnvironment = {
  github: { sha: "abc", ref: "refs/heads/main" },
  vars: {},
  secrets: {},
  runner: { os: "Linux" },
  checkout: { kind: "none" },
  actionsUrl: null,
  debug: false,
};

function job(id: string, over: Partial<JobDef> = {}): JobDef {
  return {
    id,
    name: null,
    needs: [],
    if: null,
    runsOn: "ubuntu-latest",
    strategy: null,
    env: {},
    defaults: {},
    steps: [],
    outputs: {},
    continueOnError: false,
    timeoutMinutes: 360,
    container: null,
    services: null,
    line: 1,
    ...over,
  };
}

function workflow(jobs: JobDef[]): Workflow {
  return {
    format: "actions",
    file: ".github/workflows/ci.yml",
    name: "ci",
    on: { push: {} },
    env: {},
    defaults: {},
    jobs,
  };
}

async function run(jobs: JobDef[], options: { concurrency?: number } = {}) {
  const executor = new FakeExecutor();
  const summary = await new Scheduler(executor, ENV, options).run([
    { workflow: workflow(jobs), inputs: {}, only: null },
  ]);
  const results = Object.fromEntries(summary.jobs.map((j) => [j.name, j.result]));
  return { executor, summary, results };
}

describe("Scheduler", () => {
  it("fills needs with every transitive ancestor when a job asks for it (TS pipelines)", async () => {
    const { executor } = await run([
      job("a", { env: { FAKE_OUTPUTS: '{"v":"1"}' } }),
      job("b", { needs: ["a"], env: { FAKE_OUTPUTS: '{"w":"2"}' } }),
      job("c", { needs: ["b"], needsTransitive: true }),
      job("d", { needs: ["b"] }),
    ]);
    const byId = Object.fromEntries(executor.specs.map((s) => [s.jobId, s.contexts.needs]));
    expect(byId.c).toEqual({
      a: { result: "success", outputs: { v: "1" } },
      b: { result: "success", outputs: { w: "2" } },
    });
    expect(Object.keys(byId.d ?? {})).toEqual(["b"]);
  });

  it("runs a needs chain in order and passes outputs down", async () => {
    const { executor, results } = await run([
      job("a", { env: { FAKE_OUTPUTS: '{"v":"7"}' } }),
      job("b", { needs: ["a"] }),
    ]);
    expect(results).toEqual({ a: "success", b: "success" });
    expect(executor.specs.map((s) => s.jobId)).toEqual(["a", "b"]);
    expect(executor.specs[1]!.contexts.needs).toEqual({
      a: { result: "success", outputs: { v: "7" } },
    });
  });

  it("skips dependents of a failed job unless their if uses a status function", async () => {
    const { results, summary } = await run([
      job("a", { env: { FAKE_RESULT: "failure" } }),
      job("b", { needs: ["a"] }),
      job("c", { needs: ["a"], if: "failure()" }),
      job("d", { needs: ["b"], if: "always()" }),
    ]);
    expect(results).toEqual({ a: "failure", b: "skipped", c: "success", d: "success" });
    expect(summary.result).toBe("failure");
  });

  it("runs independent jobs in parallel, up to the concurrency limit", async () => {
    const jobs = ["a", "b", "c", "d"].map((id) => job(id, { env: { FAKE_SLEEP_MS: "50" } }));
    expect((await run(jobs, { concurrency: 4 })).executor.peak).toBe(4);
    expect((await run(jobs, { concurrency: 2 })).executor.peak).toBe(2);
  });

  it("expands a matrix, honours max-parallel, and names instances by their values", async () => {
    const { executor, results } = await run([
      job("t", {
        strategy: { matrix: { n: [1, 2, 3] }, failFast: true, maxParallel: 1 },
        env: { FAKE_SLEEP_MS: "20" },
      }),
    ]);
    expect(results).toEqual({ "t (1)": "success", "t (2)": "success", "t (3)": "success" });
    expect(executor.peak).toBe(1);
    expect(executor.specs.map((s) => s.contexts.strategy?.["job-index"])).toEqual([0, 1, 2]);
  });

  it("fail-fast cancels running siblings; fail-fast: false lets them finish", async () => {
    const env = { FAKE_FAIL_MATRIX: '{"x":1}', FAKE_SLEEP_MS: "300" };
    const started = Date.now();
    const fast = await run(
      [job("m", { strategy: { matrix: { x: [1, 2] }, failFast: true, maxParallel: null }, env })],
      { concurrency: 4 },
    );
    expect(fast.results).toEqual({ "m (1)": "failure", "m (2)": "cancelled" });
    expect(Date.now() - started).toBeLessThan(300);

    const slow = await run(
      [job("m", { strategy: { matrix: { x: [1, 2] }, failFast: false, maxParallel: null }, env })],
      { concurrency: 4 },
    );
    expect(slow.results).toEqual({ "m (1)": "failure", "m (2)": "success" });
  });

  it("fail-fast also cancels queued siblings before they start", async () => {
    const env = { FAKE_FAIL_MATRIX: '{"x":1}', FAKE_SLEEP_MS: "50" };
    const { executor, results } = await run([
      job("m", { strategy: { matrix: { x: [1, 2, 3] }, failFast: true, maxParallel: 1 }, env }),
    ]);
    expect(results).toEqual({ "m (1)": "failure", "m (2)": "cancelled", "m (3)": "cancelled" });
    expect(executor.specs).toHaveLength(1);
  });

  it("a runtime that exits without job.finished is a failure with reason internal", async () => {
    const { summary } = await run([job("a", { env: { FAKE_CRASH: "1" } })]);
    expect(summary.jobs[0]).toMatchObject({ result: "failure", reason: "internal" });
  });

  it("a job with continue-on-error fails without failing the run", async () => {
    const { summary } = await run([
      job("a", { env: { FAKE_RESULT: "failure" }, continueOnError: true }),
    ]);
    expect(summary.jobs[0]!.result).toBe("failure");
    expect(summary.result).toBe("success");
  });

  it("a matrix over the 256 cap fails the job with the reason, and runs nothing", async () => {
    const values = Array.from({ length: 17 }, (_, i) => i);
    const { executor, summary } = await run([
      job("big", {
        strategy: { matrix: { a: values, b: values }, failFast: true, maxParallel: null },
      }),
    ]);
    expect(executor.specs).toHaveLength(0);
    expect(summary.jobs[0]).toMatchObject({ result: "failure", reason: "pipeline" });
  });
});
