import { describe, expect, it } from "vitest";
import type { Dispatchable } from "./dispatch-form.tsx";
import { RunListPage } from "./run-list-page.tsx";
import { at, expectCsrfInEveryPostForm, formFor, hostile, makeRun } from "./test-support.ts";

const deploy: Dispatchable = {
  file: ".forgejo/workflows/deploy.yml",
  name: "Deploy",
  inputs: [
    {
      name: "env",
      type: "choice",
      options: ["staging", "prod"],
      default: "staging",
      required: true,
    },
    { name: "dry", type: "boolean", default: true, description: "Only print" },
    { name: "note", type: "string" },
  ],
};

function page(over: Partial<Parameters<typeof RunListPage>[0]> = {}) {
  return String(
    RunListPage({
      repo: "acme/widget",
      runs: [
        makeRun(),
        makeRun({ id: 42, number: 8, state: { status: "queued" }, createdAt: at - 90_000 }),
        makeRun({
          id: 43,
          number: 9,
          ref: "refs/tags/v1.2",
          state: { status: "running", startedAt: at - 65_000 },
          createdAt: at - 70_000,
        }),
      ],
      total: 33,
      nextBefore: 41,
      now: at,
      csrf: "csrf-1",
      canWrite: true,
      canAdmin: true,
      dispatchable: [deploy],
      cloneUrl: "http://ci.local/acme/widget.git",
      ...over,
    }),
  );
}

describe("RunListPage", () => {
  it("shows a row per run with its numbers, ref, sha and times", () => {
    const html = page();
    expect(html).toContain('<a href="/runs/41">#7</a>');
    expect(html).toContain('<a href="/runs/43">#9</a>');
    expect(html).toContain('<code title="refs/heads/main">main</code>');
    expect(html).toContain('<code title="refs/tags/v1.2">v1.2</code>');
    expect(html).toContain(">0123456</code>");
    expect(html).toContain("badge-queued");
    expect(html).toContain("badge-running");
    // completed: queued 1m, ran 1m 05s; queued run: waiting 1m 30s so far; running: 5s queued, 1m 05s
    expect(html).toContain("<td>1m 00s</td><td>1m 05s</td>");
    expect(html).toContain("<td>1m 30s</td><td>—</td>");
    expect(html).toContain("<td>5s</td><td>1m 05s</td>");
    expect(html).toContain('<a href="?before=41">');
    expect(html).toContain("(33)");
  });

  it("has a dispatch form with a field per input kind", () => {
    const html = page();
    const form = formFor(html, "/repos/acme/widget/dispatch")!;
    expect(form).toContain(
      '<input type="hidden" name="workflow" value=".forgejo/workflows/deploy.yml"/>',
    );
    expect(form).toContain('name="ref"');
    expect(form).toContain('<select name="input.env" required="">');
    expect(form).toContain('<option value="staging" selected="">staging</option>');
    expect(form).toContain('<input type="hidden" name="input.dry" value="false"/>');
    expect(form).toContain('<input type="checkbox" name="input.dry" value="true" checked=""/>');
    expect(form).toContain('<input name="input.note" value=""/>');
  });

  it("has a delete form that asks for confirmation, and CSRF everywhere", () => {
    const html = page();
    expect(formFor(html, "/repos/acme/widget/delete")).toContain(
      'name="confirm" value="1" required=""',
    );
    expect(expectCsrfInEveryPostForm(html, "csrf-1")).toBe(2);
  });

  it("hides what the reader may not do and the pager on the last page", () => {
    const html = page({ canWrite: false, canAdmin: false, nextBefore: null });
    expect(html).not.toContain("<form");
    expect(html).not.toContain("?before=");
  });

  it("explains an empty list", () => {
    expect(page({ runs: [], total: 0 })).toContain("No runs yet");
  });

  it("escapes hostile run fields", () => {
    const html = page({
      runs: [makeRun({ workflowName: hostile, ref: `refs/heads/${hostile}`, actor: hostile })],
      dispatchable: [{ ...deploy, name: hostile, inputs: [{ name: hostile, type: "string" }] }],
    });
    expect(html).not.toContain("<script>");
  });
});
