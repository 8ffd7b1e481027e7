import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../core/events.ts";
import type { JobInfo, JobRecord } from "../engine/scheduler.ts";
import { TerminalRenderer } from "./render.ts";

const job: JobInfo = {
  key: "ci#build",
  workflow: "ci.yml",
  jobId: "build",
  name: "build",
  matrix: null,
  runsOn: null,
};
const at = (ms: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, 0, ms)).toISOString();

function render(events: RuntimeEvent[], options = { color: false, quiet: false }) {
  let out = "";
  const r = new TerminalRenderer((t) => {
    out += t;
  }, options);
  r.handle({ type: "job.started", job });
  for (const event of events) r.handle({ type: "job.event", job, event });
  const record: JobRecord = {
    ...job,
    result: "failure",
    reason: null,
    continueOnError: false,
    outputs: {},
    steps: [],
    startedAt: 0,
    finishedAt: 1500,
  };
  r.handle({ type: "job.finished", job: record });
  r.summary([record], "failure");
  return out;
}

describe("TerminalRenderer", () => {
  it("prefixes lines by job, folds groups, attaches annotation locations, and ends with a summary", () => {
    const out = render([
      { type: "step.started", at: at(0), index: 0, id: null, name: "Build" },
      {
        type: "log",
        at: at(1),
        step: 0,
        data: Buffer.from("##[group]compile\ncc -c a.c\n##[endgroup]\n"),
      },
      {
        type: "annotation",
        at: at(2),
        step: 0,
        annotation: { level: "warning", message: "unused", file: "a.c", line: 3 },
      },
      {
        type: "log",
        at: at(2),
        step: 0,
        data: Buffer.from("##[warning]unused\n##[error]Process completed with exit code 2.\n"),
      },
      {
        type: "step.finished",
        at: at(40),
        index: 0,
        outcome: "failure",
        conclusion: "failure",
        outputs: {},
      },
      { type: "step.started", at: at(41), index: 1, id: null, name: "Deploy" },
      {
        type: "step.finished",
        at: at(41),
        index: 1,
        outcome: "skipped",
        conclusion: "skipped",
        outputs: {},
      },
      { type: "step.started", at: at(42), index: 2, id: null, name: "Quiet step" },
      {
        type: "step.finished",
        at: at(45),
        index: 2,
        outcome: "success",
        conclusion: "success",
        outputs: {},
      },
    ]);
    expect(out).toBe(
      [
        "[build] ⏵ job build",
        "[build] ⏵ Build",
        "[build]   ▾ compile",
        "[build]   │ cc -c a.c",
        "[build]   Warning: unused (a.c:3)",
        "[build]   Error: Process completed with exit code 2.",
        "[build] ✗ Build 40ms",
        "[build] – Deploy (skipped)",
        "[build] ✓ Quiet step 3ms",
        "[build] ✗ job build 1.5s",
        "",
        "JOB    RESULT   DURATION",
        "build  failure  1.5s",
        "",
        "Run failure",
        "",
      ].join("\n"),
    );
  });

  it("uses ANSI colors only when asked", () => {
    const events: RuntimeEvent[] = [
      { type: "step.started", at: at(0), index: 0, id: null, name: "x" },
    ];
    expect(render(events)).not.toContain("\x1b[");
    expect(render(events, { color: true, quiet: false })).toContain("\x1b[");
  });

  it("prints only the summary when quiet", () => {
    const out = render([{ type: "log", at: at(0), step: 0, data: Buffer.from("noise\n") }], {
      color: false,
      quiet: true,
    });
    expect(out).not.toContain("noise");
    expect(out).toContain("build  failure  1.5s");
  });
});
