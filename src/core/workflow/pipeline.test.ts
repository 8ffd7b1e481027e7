import { describe, expect, it } from "vitest";
import type { PipelineJobPlan } from "../events.ts";
import { isPipelinePath, pipelineWorkflow, sourceForEvent } from "./pipeline.ts";

const plan: PipelineJobPlan[] = [
  { id: "build", inputs: ["push"], allowFailure: false, line: 3 },
  { id: "test", inputs: ["build"], allowFailure: true, line: 7 },
  { id: "release", inputs: ["manual", "test"], allowFailure: false, line: 9 },
  { id: "nightly", inputs: ["schedule"], allowFailure: false, line: 12 },
];
const push = { name: "push", inputs: {}, cron: null };

describe("pipelineWorkflow: a runtime plan onto the job model", () => {
  it("keeps the jobs the source reaches; needs are the input jobs; allowFailure is continue-on-error", () => {
    const w = pipelineWorkflow(".equinox/ci.ts", plan, push);
    expect(w.format).toBe("equinox-pipeline");
    expect(w.on).toEqual({ push: {} });
    expect(w.jobs.map((j) => [j.id, j.needs, j.continueOnError, j.line])).toEqual([
      ["build", [], false, 3],
      ["test", ["build"], true, 7],
      ["release", ["test"], false, 9],
    ]);
    const release = w.jobs[2]!;
    expect(release.needsTransitive).toBe(true);
    expect(release.steps.map((s) => s.kind)).toEqual(["uses", "pipeline-job"]);
    expect(release.steps[1]).toMatchObject({ file: ".equinox/ci.ts", job: "release" });
  });

  it("manual: declares the given inputs; schedule: a cron entry; an unreached source: not triggered", () => {
    const manual = pipelineWorkflow(".equinox/ci.ts", plan, {
      name: "workflow_dispatch",
      inputs: { version: "1.2" },
      cron: null,
    });
    expect(manual.jobs.map((j) => j.id)).toEqual(["release"]);
    expect(manual.on).toEqual({ workflow_dispatch: { inputs: { version: { type: "string" } } } });
    const schedule = pipelineWorkflow(".equinox/ci.ts", plan, {
      name: "schedule",
      inputs: {},
      cron: null,
    });
    expect(schedule.jobs.map((j) => j.id)).toEqual(["nightly"]);
    expect(schedule.on).toEqual({ schedule: [{ cron: "* * * * *" }] });
    const pr = pipelineWorkflow(".equinox/ci.ts", plan, {
      name: "pull_request",
      inputs: {},
      cron: null,
    });
    expect(pr.jobs).toEqual([]);
    expect(pr.on).toEqual({});
  });

  it("maps events to sources and recognizes pipeline paths", () => {
    expect(["push", "schedule", "workflow_dispatch", "pull_request"].map(sourceForEvent)).toEqual([
      "push",
      "schedule",
      "manual",
      null,
    ]);
    expect([".equinox/ci.ts", "ci.mjs", "x.js", "ci.yml", "w.kdl"].map(isPipelinePath)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
