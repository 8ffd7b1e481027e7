import { describe, expect, it } from "vitest";
import { ErrorPage } from "./error-page.tsx";
import { Layout } from "./layout.tsx";
import { LoginPage } from "./login-page.tsx";
import { renderPage } from "./render-page.ts";
import { expectCsrfInEveryPostForm, formFor, hostile } from "./test-support.ts";

describe("Layout", () => {
  it("links the assets and shows an admin the whole nav", () => {
    const html = renderPage(
      Layout({
        title: "Repos",
        user: { name: "root", isAdmin: true },
        csrf: "tok",
        children: "body",
      }),
    );
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain("<title>Repos · Equinox</title>");
    expect(html).toContain('<link rel="stylesheet" href="/assets/app.css"/>');
    expect(html).toContain('<script src="/assets/app.js" defer=""></script>');
    expect(html).toContain('<a href="/">Repositories</a>');
    expect(html).toContain('<a href="/settings/secrets">Settings</a>');
    expect(formFor(html, "/logout")).toContain("Log out");
    expect(expectCsrfInEveryPostForm(html, "tok")).toBe(1);
    expect(html).toContain('<main class="content">body</main>');
  });

  it("hides settings from others and the nav from visitors, and escapes the title and name", () => {
    const user = renderPage(
      Layout({ title: hostile, user: { name: hostile, isAdmin: false }, csrf: "t" }),
    );
    expect(user).not.toContain("/settings/secrets");
    expect(user).not.toContain("<script>alert");
    const visitor = renderPage(Layout({ title: "Log in", user: null }));
    expect(visitor).not.toContain("/logout");
    expect(visitor).toContain(">Equinox</a>");
  });
});

describe("LoginPage", () => {
  it("has a password form and a token form, both keeping next", () => {
    const html = String(LoginPage({ error: null, next: "/runs/4" }));
    const forms = [...html.matchAll(/<form[\s\S]*?<\/form>/g)].map((m) => m[0]);
    expect(forms).toHaveLength(2);
    expect(forms[0]).toContain('action="/login"');
    expect(forms[0]).toContain('name="user"');
    expect(forms[0]).toContain('name="password" type="password"');
    expect(forms[1]).toContain('name="token"');
    for (const form of forms) {
      expect(form).toContain('method="post"');
      expect(form).toContain('<input type="hidden" name="next" value="/runs/4"/>');
    }
    expect(html).not.toContain("_csrf");
  });

  it("shows the error escaped and carries a CSRF token when given one", () => {
    const html = String(LoginPage({ error: hostile, next: '"/><script>', csrf: "c1" }));
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(expectCsrfInEveryPostForm(html, "c1")).toBe(2);
  });
});

describe("ErrorPage", () => {
  it("names the status and escapes the message", () => {
    const html = String(ErrorPage({ status: 404, message: `no run ${hostile}` }));
    expect(html).toContain("404 Not found");
    expect(html).toContain("no run &lt;script&gt;");
    expect(String(ErrorPage({ status: 418, message: "x" }))).toContain("418 Error");
  });
});
