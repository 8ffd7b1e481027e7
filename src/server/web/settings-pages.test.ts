import { describe, expect, it } from "vitest";
import { RunnersPage } from "./runners-page.tsx";
import { SecretsPage } from "./secrets-page.tsx";
import { at, expectCsrfInEveryPostForm, formFor, hostile } from "./test-support.ts";
import { TokensPage } from "./tokens-page.tsx";

const nav = (html: string) => {
  for (const section of ["secrets", "tokens", "runners"]) {
    expect(html).toContain(`href="/settings/${section}"`);
  }
};

describe("SecretsPage", () => {
  const html = String(
    SecretsPage({
      global: [{ name: "NPM_TOKEN", repo: null, updatedAt: at }],
      repos: ["acme/widget", "demo"],
      perRepo: [
        {
          repo: "acme/widget",
          secrets: [{ name: "DEPLOY_KEY", repo: "acme/widget", updatedAt: at }],
        },
        { repo: "demo", secrets: [] },
      ],
      csrf: "sc",
      notice: "Secret DEPLOY_KEY saved.",
    }),
  );

  it("lists names and update times, never values", () => {
    nav(html);
    expect(html).toContain('aria-current="page">Secrets</a>');
    expect(html).toContain("<code>NPM_TOKEN</code>");
    expect(html).toContain("<code>DEPLOY_KEY</code>");
    expect(html).toContain("2026-11-23 12:00 UTC");
    expect(html).toContain("Secret DEPLOY_KEY saved.");
    expect(html).not.toContain("Secrets of <code>demo</code>");
    // The value field is empty: a page never holds a secret's value.
    expect(html).toMatch(/<textarea name="value"[^>]*><\/textarea>/);
  });

  it("has a set form with a scope select, and delete forms per secret", () => {
    const set = formFor(html, "/settings/secrets")!;
    expect(set).toContain(
      '<select name="repo"><option value="">Global</option><option value="acme/widget">acme/widget</option>',
    );
    expect(set).toContain('name="name"');
    const deletes = [
      ...html.matchAll(/<form[^>]*action="\/settings\/secrets\/delete"[\s\S]*?<\/form>/g),
    ].map((m) => m[0]);
    expect(deletes).toHaveLength(2);
    expect(deletes[0]).toContain(
      '<input type="hidden" name="repo" value=""/><input type="hidden" name="name" value="NPM_TOKEN"/>',
    );
    expect(deletes[1]).toContain('name="repo" value="acme/widget"');
    expect(expectCsrfInEveryPostForm(html, "sc")).toBe(3);
  });

  it("shows no value even when a record carries one", () => {
    const leaky = { name: "LEAKY", repo: null, updatedAt: at, value: "hunter2" };
    const page = String(
      SecretsPage({ global: [leaky], repos: [], perRepo: [], csrf: "c", notice: null }),
    );
    expect(page).toContain("LEAKY");
    expect(page).not.toContain("hunter2");
  });

  it("escapes hostile names", () => {
    const evil = String(
      SecretsPage({
        global: [{ name: hostile, repo: null, updatedAt: at }],
        repos: [hostile],
        perRepo: [{ repo: hostile, secrets: [{ name: hostile, repo: hostile, updatedAt: at }] }],
        csrf: "c",
        notice: hostile,
      }),
    );
    expect(evil).not.toContain("<script>");
  });
});

describe("TokensPage", () => {
  const tokens = [
    { id: 3, name: "laptop", scope: "write" as const, userId: 1, createdAt: at, lastUsedAt: null },
    { id: 4, name: hostile, scope: "admin" as const, userId: 1, createdAt: at, lastUsedAt: at },
  ];

  it("lists tokens with delete forms and has a create form", () => {
    const html = String(TokensPage({ tokens, created: null, csrf: "tc" }));
    nav(html);
    expect(html).toContain("never");
    expect(html).toContain('<span class="scope scope-admin">admin</span>');
    expect(formFor(html, "/settings/tokens/3/delete")).toContain("Delete");
    expect(formFor(html, "/settings/tokens/4/delete")).toBeDefined();
    const create = formFor(html, "/settings/tokens")!;
    expect(create).toContain('name="name"');
    for (const scope of ["read", "write", "admin"])
      expect(create).toContain(`<option value="${scope}"`);
    expect(expectCsrfInEveryPostForm(html, "tc")).toBe(3);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("not be shown again");
  });

  it("shows a new token once", () => {
    const html = String(
      TokensPage({ tokens, created: { name: "ci", token: "eqx_s3cr3t" }, csrf: "tc" }),
    );
    expect(html).toContain('value="eqx_s3cr3t"');
    expect(html).toContain("Copy it now: it will not be shown again.");
  });
});

describe("RunnersPage", () => {
  it("shows executors, limits and the queue", () => {
    const html = String(
      RunnersPage({
        executors: [
          {
            name: "local",
            kind: "process",
            labels: ["ubuntu-latest", hostile],
            capacity: 4,
            running: 1,
          },
        ],
        limits: { global: 8, perLabel: { "ubuntu-latest": 2 } },
        queued: 5,
      }),
    );
    nav(html);
    expect(html).toContain('aria-current="page">Runners</a>');
    expect(html).toContain("<strong>5</strong> queued");
    expect(html).toContain("at most 8 jobs at once");
    expect(html).toContain("1 / 4");
    expect(html).toContain("<code>ubuntu-latest</code></td><td>2</td>");
    expect(html).not.toContain("<script>");
    expect(
      String(RunnersPage({ executors: [], limits: { global: null, perLabel: {} }, queued: 0 })),
    ).toContain("no global limit");
  });
});
