import { expect } from "vitest";
import type { Job, Run, Step } from "../../store/records.ts";

/** Records as the store returns them, for page tests; `at` is the pinned "now". */
export const at = Date.UTC(2026, 10, 23, 12, 0, 0);
export const hostile = "<script>alert(1)</script>";

export function makeRun(over: Partial<Run> = {}): Run {
  return {
    id: 41,
    repo: "acme/widget",
    number: 7,
    workflow: ".forgejo/workflows/ci.yml",
    workflowName: "CI",
    event: "push",
    ref: "refs/heads/main",
    sha: "0123456789abcdef0123456789abcdef01234567",
    actor: "alice",
    createdAt: at - 5 * 60_000,
    state: {
      status: "completed",
      result: "success",
      reason: null,
      startedAt: at - 4 * 60_000,
      finishedAt: at - 2 * 60_000 - 55_000,
      supersededBy: null,
    },
    payload: {},
    inputs: {},
    plan: [
      { jobId: "build", name: "Build", needs: [] },
      { jobId: "test", name: "Test", needs: ["build"] },
      { jobId: "deploy", name: "Deploy", needs: ["test"] },
    ],
    error: null,
    rerunOf: null,
    reuse: {},
    ...over,
  };
}

export function makeStep(index: number, name: string, over: Partial<Step> = {}): Step {
  return {
    index,
    name,
    state: {
      status: "completed",
      result: "success",
      outcome: "success",
      startedAt: at - 200_000 + index * 10_000,
      finishedAt: at - 195_000 + index * 10_000,
    },
    ...over,
  };
}

export function makeJob(over: Partial<Job> = {}): Job {
  return {
    id: 100,
    runId: 41,
    key: "ci.yml#build",
    jobId: "build",
    name: "Build",
    matrix: null,
    runsOn: "ubuntu-latest",
    state: {
      status: "completed",
      result: "success",
      reason: null,
      startedAt: at - 4 * 60_000,
      finishedAt: at - 3 * 60_000,
    },
    outputs: {},
    logLines: 3,
    steps: [makeStep(0, "Checkout"), makeStep(1, "Compile")],
    ...over,
  };
}

/** Every POST form carries the CSRF field with this value. */
export function expectCsrfInEveryPostForm(html: string, csrf: string): number {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  const posts = forms.filter((f) => /^<form\b[^>]*method="post"/.test(f));
  for (const form of posts) {
    expect(form, form).toContain(`<input type="hidden" name="_csrf" value="${csrf}"/>`);
  }
  return posts.length;
}

/** A form posting to `action`, as HTML, or undefined. */
export function formFor(html: string, action: string): string | undefined {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  return forms.find((f) => f.includes(`action="${action}"`));
}
