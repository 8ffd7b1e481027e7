import { describe, expect, it } from "vitest";
import { RepoListPage } from "./repo-list-page.tsx";
import { at, expectCsrfInEveryPostForm, formFor, hostile, makeRun } from "./test-support.ts";

const cloneUrl = (name: string) => `http://ci.local:8080/${name}.git`;

describe("RepoListPage", () => {
  it("lists repositories with their last run and clone URL", () => {
    const html = String(
      RepoListPage({
        repos: [
          { id: 1, name: "acme/widget", createdAt: at, lastRun: makeRun() },
          { id: 2, name: "empty", createdAt: at, lastRun: null },
        ],
        cloneUrl,
        csrf: "c",
        canAdmin: false,
        now: at,
      }),
    );
    expect(html).toContain('<a href="/repos/acme/widget">acme/widget</a>');
    expect(html).toContain('href="/runs/41"');
    expect(html).toContain('class="badge badge-success"');
    expect(html).toContain("5m ago");
    expect(html).toContain("http://ci.local:8080/acme/widget.git");
    expect(html).toContain("no runs yet");
    expect(html).not.toContain('action="/repos"');
  });

  it("gives admins the create form, and explains an empty list", () => {
    const html = String(RepoListPage({ repos: [], cloneUrl, csrf: "c<", canAdmin: true }));
    const form = formFor(html, "/repos");
    expect(form).toContain('name="name"');
    expect(expectCsrfInEveryPostForm(html, "c&lt;")).toBe(1);
    expect(html).toContain("No repositories yet");
    expect(html).toContain("git remote add equinox http://ci.local:8080/demo.git");
    expect(html).toContain("git push equinox main");
  });

  it("escapes hostile names", () => {
    const html = String(
      RepoListPage({
        repos: [
          {
            id: 1,
            name: hostile,
            createdAt: at,
            lastRun: makeRun({ workflowName: hostile }),
          },
        ],
        cloneUrl,
        csrf: "c",
        canAdmin: true,
        now: at,
      }),
    );
    expect(html).not.toContain("<script>");
  });
});
