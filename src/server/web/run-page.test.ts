import { describe, expect, it } from "vitest";
import type { Job, LogSlice, Run } from "../../store/records.ts";
import { RunPage } from "./run-page.tsx";
import {
  at,
  expectCsrfInEveryPostForm,
  formFor,
  hostile,
  makeJob,
  makeRun,
  makeStep,
} from "./test-support.ts";

const build = makeJob();
const testA = makeJob({
  id: 101,
  key: "ci.yml#test",
  jobId: "test",
  name: "Test (node 20)",
  matrix: { node: 20 },
  state: {
    status: "completed",
    result: "failure",
    reason: null,
    startedAt: at - 170_000,
    finishedAt: at - 120_000,
  },
  steps: [
    makeStep(0, "Checkout"),
    makeStep(1, "Lint", {
      state: {
        status: "completed",
        result: "success",
        outcome: "failure",
        startedAt: at - 160_000,
        finishedAt: at - 159_000,
      },
    }),
    makeStep(2, "Run tests", {
      state: {
        status: "completed",
        result: "failure",
        outcome: "failure",
        startedAt: at - 150_000,
        finishedAt: at - 120_000,
      },
    }),
  ],
});
const testB = makeJob({
  id: 102,
  key: "ci.yml#test#2",
  jobId: "test",
  name: "Test (node 22)",
  matrix: { node: 22 },
});
const failedRun = makeRun({
  state: {
    status: "completed",
    result: "failure",
    reason: null,
    startedAt: at - 240_000,
    finishedAt: at - 120_000,
    supersededBy: null,
  },
});
const log: LogSlice = {
  firstLine: 1,
  lines: [
    "##[group]Run npm test",
    "\x1b[31mFAIL\x1b[0m src/a.test.ts",
    "##[error]Process completed with exit code 1.",
    "##[endgroup]",
  ],
};

function page(over: Partial<Parameters<typeof RunPage>[0]> = {}) {
  return String(
    RunPage({
      run: failedRun,
      jobs: [build, testA, testB],
      selected: testA,
      log,
      now: at,
      csrf: "rc",
      canWrite: true,
      ...over,
    }),
  );
}

describe("RunPage header and actions", () => {
  it("shows the run's facts", () => {
    const html = page();
    expect(html).toContain('CI <span class="muted">#7</span>');
    expect(html).toContain('class="badge badge-failure"');
    expect(html).toContain("<code>refs/heads/main</code>");
    expect(html).toContain('<code title="0123456789abcdef0123456789abcdef01234567">0123456</code>');
    expect(html).toContain("alice");
    expect(html).toContain('<a href="/repos/acme/widget">acme/widget</a>');
    expect(html).not.toContain("data-run-active");
  });

  it("offers both re-runs when completed with a failed job, and no cancel", () => {
    const html = page();
    const forms = [...html.matchAll(/<form[\s\S]*?<\/form>/g)].map((m) => m[0]);
    const rerun = forms.filter((f) => f.includes('action="/runs/41/rerun"'));
    expect(rerun).toHaveLength(2);
    expect(rerun[1]).toContain('<input type="hidden" name="failed" value="1"/>');
    expect(html).toContain("Re-run failed jobs");
    expect(formFor(html, "/runs/41/cancel")).toBeUndefined();
    expect(expectCsrfInEveryPostForm(html, "rc")).toBe(2);
  });

  it("offers only a plain re-run when nothing failed", () => {
    const html = page({ run: makeRun(), jobs: [build], selected: null, log: null });
    expect(html).toContain("Re-run all");
    expect(html).not.toContain("Re-run failed jobs");
  });

  it("offers cancel while running, marks the page active, and nothing to readers", () => {
    const running = makeRun({ state: { status: "running", startedAt: at - 30_000 } });
    const html = page({ run: running });
    expect(formFor(html, "/runs/41/cancel")).toContain("Cancel");
    expect(html).not.toContain("/rerun");
    expect(html).toContain('data-run-active="1"');
    expect(page({ run: running, canWrite: false })).not.toContain("<form");
  });

  it("shows the reason, the superseding run and the run it re-runs", () => {
    const html = page({
      run: makeRun({
        rerunOf: 30,
        state: {
          status: "completed",
          result: "cancelled",
          reason: "superseded",
          startedAt: null,
          finishedAt: at,
          supersededBy: 50,
        },
      }),
      runNumbers: { 50: 12 },
    });
    expect(html).toContain("superseded by a newer push");
    expect(html).toContain('Superseded by <a href="/runs/50">run #12</a>');
    expect(html).toContain('Re-run of <a href="/runs/30">run 30</a>');
  });

  it("shows a parse error pre-formatted and escaped", () => {
    const error = `.forgejo/workflows/ci.yml (Line: 3, Col: 5): unexpected ${hostile}`;
    const html = page({
      run: makeRun({
        error,
        plan: [],
        state: {
          status: "completed",
          result: "failure",
          reason: "pipeline",
          startedAt: null,
          finishedAt: at,
          supersededBy: null,
        },
      }),
      jobs: [],
      selected: null,
      log: null,
    });
    expect(html).toContain(
      '<pre class="error-box">.forgejo/workflows/ci.yml (Line: 3, Col: 5): unexpected &lt;script&gt;alert(1)&lt;/script&gt;</pre>',
    );
    expect(html).toContain("the workflow did not parse or plan");
    expect(html).not.toContain("<script>");
  });
});

describe("RunPage job graph and jobs", () => {
  it("places plan nodes by depth, lists matrix instances and shows waiting nodes", () => {
    const html = page();
    const nodes = [
      ...html.matchAll(
        /<section class="node node-(\w+)" style="left:(\d+)px[^"]*"><h3[^>]*>([^<]*)<\/h3>/g,
      ),
    ].map((m) => [m[3], m[1], Number(m[2])]);
    expect(nodes).toEqual([
      ["Build", "success", 0],
      ["Test", "failure", 258],
      ["Deploy", "waiting", 516],
    ]);
    expect(html).toContain('<a href="/runs/41?job=101">');
    expect(html).toContain('<a href="/runs/41?job=102">');
    expect(html).toContain("Test (node 22)");
    expect(html).toContain("not run");
    expect(html.match(/<path d="M/g)).toHaveLength(2);
    expect(page({ run: makeRun({ state: { status: "running", startedAt: at } }) })).toContain(
      "waiting</li>",
    );
  });

  it("lists jobs with their steps, durations and continue-on-error outcomes", () => {
    const html = page();
    expect(html).toContain('<li class="job selected"><details open="">');
    expect(html).toContain('<span class="step-name">Run tests</span>');
    expect(html).toContain('aria-label="failure"');
    expect(html).toContain("(outcome: failure, continued)");
    expect(html).toContain('<span class="dur">30s</span>');
  });

  it("escapes hostile job and step names", () => {
    const evil: Job = makeJob({ name: hostile, steps: [makeStep(0, hostile)] });
    const run: Run = makeRun({
      plan: [{ jobId: "build", name: hostile, needs: [] }],
      ref: hostile,
    });
    const html = page({
      run,
      jobs: [evil],
      selected: evil,
      log: { firstLine: 1, lines: [hostile] },
    });
    expect(html).not.toContain("<script>");
  });
});

describe("RunPage log panel", () => {
  it("renders the selected job's log with anchors, folded groups and the stream contract", () => {
    const html = page();
    expect(html).toContain(
      '<section class="log-panel" id="log" data-run="41" data-job="101" data-after="4">',
    );
    expect(html).toContain('<div class="line" id="L2"><a href="#L2" class="ln">2</a>');
    expect(html).toContain('<span style="color:rgb(187, 0, 0)">FAIL</span>');
    expect(html).toContain('<details class="group" open><summary>');
    expect(html).toContain('href="/api/v1/runs/41/jobs/101/log"');
    expect(html).not.toContain("data-live");
  });

  it("marks a running job's log live and says when there is nothing yet", () => {
    const running = makeJob({
      id: 103,
      state: { status: "running", startedAt: at - 1000 },
      steps: [],
    });
    const html = page({
      run: makeRun({ state: { status: "running", startedAt: at - 1000 } }),
      jobs: [running],
      selected: running,
      log: { firstLine: 1, lines: [] },
    });
    expect(html).toContain('data-job="103" data-after="0" data-live="1"');
    expect(html).toContain("No output yet.");
    const queued = makeJob({ id: 104, state: { status: "queued" }, steps: [] });
    expect(page({ jobs: [queued], selected: queued, log: null })).toContain("Waiting for a runner");
  });

  it("says when earlier lines are left out", () => {
    const html = page({ log: { firstLine: 501, lines: ["tail"] } });
    expect(html).toContain("Lines before 501 are not shown");
    expect(html).toContain('data-after="501"');
    expect(html).toContain('id="L501"');
  });

  it("has no log panel without a selected job", () => {
    expect(page({ selected: null, log: null })).not.toContain("log-panel");
  });
});
