import { request } from "node:http";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSessionId, newSessionId } from "../../src/server/auth/sessions.ts";
import type { AppEnv, ServerContext } from "../../src/server/context.ts";
import { createHttpServer } from "../../src/server/http.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "./server-helpers.ts";

// The web login, sessions and the API's defences against a browser being used against its
// own user, on a real server with a real SQLite store.

const PASSWORD = "correct horse battery";
const EVIL = "https://evil.example";

describe("equinox serve: sessions, CSRF and body limits", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({
      adminPassword: PASSWORD,
      proxyAuth: { header: "X-Remote-User", trusted: ["127.0.0.1", "::1"] },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** POSTs a form the way a browser on the server's own page does. */
  const postForm = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${t.url}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: t.url, ...headers },
      body: new URLSearchParams(fields),
    });

  /** The session cookie of a login with `fields` (a token, or a user and password). */
  const login = async (fields: Record<string, string>): Promise<string> => {
    const res = await postForm("/login", fields);
    expect(res.status).toBe(303);
    const cookie = /equinox_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")?.[0];
    if (!cookie) throw new Error("no session cookie");
    return cookie;
  };

  /** The CSRF token the pages of this session carry. */
  const csrfOf = async (cookie: string): Promise<string> => {
    const html = await (await fetch(`${t.url}/`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`no CSRF field in ${html.slice(0, 300)}`);
    return csrf;
  };

  const cookieApi = (
    method: string,
    path: string,
    cookie: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        origin: t.url,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  const readToken = async () => {
    const made = await t.api<{ id: number; token: string }>("POST", "/tokens", {
      name: `read-${Math.random()}`,
      scope: "read",
    });
    expect(made.status).toBe(201);
    return made.body;
  };

  describe("a session opened with a token keeps the token's scope", () => {
    it("lets a read token read, but not create a repository or a token, in the UI or the API", async () => {
      const { id, token } = await readToken();
      const cookie = await login({ token });
      const csrf = await csrfOf(cookie);

      expect((await fetch(`${t.url}/`, { headers: { cookie } })).status).toBe(200);
      expect((await cookieApi("GET", "/repos", cookie)).status).toBe(200);

      const viaForm = await postForm("/repos", { _csrf: csrf, name: "sneaky/one" }, { cookie });
      expect(viaForm.status).toBe(403);
      expect(await viaForm.text()).toContain("this needs a token with &#39;admin&#39; scope");
      const tokenForm = await postForm(
        "/settings/tokens",
        { _csrf: csrf, name: "escalate", scope: "admin" },
        { cookie },
      );
      expect(tokenForm.status).toBe(403);
      const viaApi = await cookieApi("POST", "/repos", cookie, { name: "sneaky/two" });
      expect(viaApi.status).toBe(403);
      expect(await viaApi.json()).toEqual({
        error: "this needs a token with 'admin' scope; yours has 'read'",
      });
      expect(
        (await cookieApi("POST", "/tokens", cookie, { name: "x", scope: "admin" })).status,
      ).toBe(403);
      expect((await t.api("GET", "/repos/sneaky/one/runs")).status).toBe(404);
      expect((await t.api("GET", "/repos/sneaky/two/runs")).status).toBe(404);

      // Deleting the token ends the session.
      expect((await t.api("DELETE", `/tokens/${id}`)).status).toBe(204);
      const after = await fetch(`${t.url}/`, { headers: { cookie }, redirect: "manual" });
      expect(after.status).toBe(302);
      expect(after.headers.get("location")).toBe("/login?next=%2F");
      expect((await cookieApi("GET", "/repos", cookie)).status).toBe(401);
    });

    it("gives a password login the user's scope", async () => {
      const cookie = await login({ user: "admin", password: PASSWORD });
      const res = await cookieApi("POST", "/repos", cookie, { name: "pw/made" });
      expect(res.status).toBe(201);
    });

    it("deletes expired sessions when a new one is opened", async () => {
      const db = new BetterSqlite3(join(t.dataDir, "equinox.db"));
      try {
        const admin = db.prepare("SELECT id FROM users WHERE name = 'admin'").get() as {
          id: number;
        };
        const stale = hashSessionId(newSessionId());
        db.prepare("INSERT INTO sessions (hash, user_id, expires_at) VALUES (?, ?, ?)").run(
          stale,
          admin.id,
          Date.now() - 1000,
        );
        const count = () =>
          (
            db.prepare("SELECT COUNT(*) AS n FROM sessions WHERE hash = ?").get(stale) as {
              n: number;
            }
          ).n;
        expect(count()).toBe(1);
        await login({ token: ADMIN_TOKEN });
        expect(count()).toBe(0);
      } finally {
        db.close();
      }
    });
  });

  describe("the API refuses what another site could make a browser send", () => {
    it("refuses cookie-authenticated changes from another origin or site, or not as JSON", async () => {
      const cookie = await login({ token: ADMIN_TOKEN });
      const refused = async (res: Response, want: RegExp) => {
        expect(res.status).toBe(403);
        const body = (await res.json()) as { error: string };
        expect(body.error).toMatch(want);
      };
      await refused(
        await cookieApi("POST", "/repos", cookie, { name: "csrf/a" }, { origin: EVIL }),
        /another origin \(Origin: https:\/\/evil\.example\).*Authorization: Bearer/,
      );
      await refused(
        await cookieApi(
          "POST",
          "/repos",
          cookie,
          { name: "csrf/b" },
          { "sec-fetch-site": "cross-site" },
        ),
        /another site \(Sec-Fetch-Site: cross-site\)/,
      );
      await refused(
        await cookieApi(
          "POST",
          "/repos",
          cookie,
          { name: "csrf/c" },
          { "sec-fetch-site": "same-site" },
        ),
        /Sec-Fetch-Site: same-site/,
      );
      // What an HTML form on another page can send: no JSON content type.
      await refused(
        await fetch(`${t.url}/api/v1/repos`, {
          method: "POST",
          headers: { cookie, "content-type": "text/plain" },
          body: JSON.stringify({ name: "csrf/d" }),
        }),
        /Content-Type: application\/json/,
      );
      await refused(
        await cookieApi("DELETE", "/repos/pw/made", cookie, undefined, { origin: "null" }),
        /Origin: null/,
      );
      for (const name of ["csrf/a", "csrf/b", "csrf/c", "csrf/d"])
        expect((await t.api("GET", `/repos/${name}/runs`)).status).toBe(404);

      // Reads need none of this; JSON from the server's own origin, or from a client that
      // sends no Origin (curl), goes through.
      expect((await cookieApi("GET", "/repos", cookie, undefined, { origin: EVIL })).status).toBe(
        200,
      );
      expect((await cookieApi("POST", "/repos", cookie, { name: "csrf/ok" })).status).toBe(201);
      const noOrigin = await fetch(`${t.url}/api/v1/repos`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ name: "csrf/curl" }),
      });
      expect(noOrigin.status).toBe(201);
    });

    it("applies the same rules to a proxy-authenticated user, and none to a bearer token", async () => {
      const proxy = { "x-remote-user": "carol" };
      const fromEvil = await fetch(`${t.url}/api/v1/runs/999999/cancel`, {
        method: "POST",
        headers: { ...proxy, origin: EVIL },
      });
      expect(fromEvil.status).toBe(403);
      expect(((await fromEvil.json()) as { error: string }).error).toMatch(/another origin/);
      const formBody = await fetch(`${t.url}/api/v1/runs/999999/cancel`, {
        method: "POST",
        headers: { ...proxy, "content-type": "application/x-www-form-urlencoded" },
        body: "a=1",
      });
      expect(formBody.status).toBe(403);
      // Passing the check, it reaches the route (no such run).
      const own = await fetch(`${t.url}/api/v1/runs/999999/cancel`, {
        method: "POST",
        headers: { ...proxy, origin: t.url },
      });
      expect(own.status).toBe(404);

      const token = await fetch(`${t.url}/api/v1/repos`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          origin: EVIL,
          "sec-fetch-site": "cross-site",
          "content-type": "text/plain",
        },
        body: JSON.stringify({ name: "token/anywhere" }),
      });
      expect(token.status).toBe(201);
    });

    it("refuses a login or logout posted from another site", async () => {
      const evilLogin = await postForm("/login", { token: ADMIN_TOKEN }, { origin: EVIL });
      expect(evilLogin.status).toBe(403);
      expect(evilLogin.headers.get("set-cookie")).toBeNull();
      expect(await evilLogin.text()).toContain("another origin");
      const crossSite = await postForm(
        "/login",
        { token: ADMIN_TOKEN },
        { "sec-fetch-site": "cross-site" },
      );
      expect(crossSite.status).toBe(403);

      const cookie = await login({ token: ADMIN_TOKEN });
      const alive = async () =>
        (await fetch(`${t.url}/`, { headers: { cookie }, redirect: "manual" })).status;
      expect((await postForm("/logout", {}, { cookie, origin: EVIL })).status).toBe(403);
      // From our own origin but without the page's CSRF field: a forged form.
      expect((await postForm("/logout", {}, { cookie })).status).toBe(403);
      expect(await alive()).toBe(200);
      const out = await postForm("/logout", { _csrf: await csrfOf(cookie) }, { cookie });
      expect(out.status).toBe(303);
      expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
      expect(await alive()).toBe(302);
      // Logging out with a session that is already gone just clears the cookie.
      expect((await postForm("/logout", {}, { cookie })).status).toBe(303);
    });

    it("redirects only to local paths after a login", async () => {
      for (const [next, want] of [
        ["/runs/1", "/runs/1"],
        ["/\\evil.example", "/"],
        ["/\t/evil.example", "/"],
        ["//evil.example", "/"],
      ] as const) {
        const res = await postForm("/login", { token: ADMIN_TOKEN, next });
        expect(res.status).toBe(303);
        expect(res.headers.get("location")).toBe(want);
      }
    });
  });

  describe("request bodies", () => {
    /** A chunked POST of `bytes` bytes (no Content-Length) over a raw socket. */
    const chunkedPost = (path: string, bytes: number, contentType: string) =>
      new Promise<{ status: number; body: string; connection: string | undefined }>(
        (resolve, reject) => {
          const req = request(
            `${t.url}${path}`,
            {
              method: "POST",
              headers: {
                "content-type": contentType,
                origin: t.url,
                "transfer-encoding": "chunked",
              },
            },
            (res) => {
              let body = "";
              res.setEncoding("utf8");
              res.on("data", (d: string) => {
                body += d;
              });
              res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
              );
            },
          );
          // The server may answer and close before it has read everything: not an error here.
          req.on("error", (err: NodeJS.ErrnoException) => {
            if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
          });
          const chunk = Buffer.alloc(64 * 1024, "a");
          let sent = 0;
          const pump = () => {
            while (sent < bytes) {
              sent += chunk.length;
              if (!req.write(chunk)) return void req.once("drain", pump);
            }
            req.end();
          };
          pump();
        },
      );

    it("answers an oversized chunked login with 413 and keeps serving", async () => {
      const res = await chunkedPost("/login", 4 * 1024 * 1024, "application/x-www-form-urlencoded");
      expect(res.status).toBe(413);
      expect(res.body).toContain("over 1 MiB");
      // The rest of the body was never read, so the connection is not reused.
      expect(res.connection).toBe("close");
      expect((await fetch(`${t.url}/login`)).status).toBe(200);
      // A small chunked form still logs in: the limit re-reads what it counted.
      const small = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${t.url}/login`,
          {
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              origin: t.url,
              "transfer-encoding": "chunked",
            },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.write("token=");
        req.end(encodeURIComponent(ADMIN_TOKEN));
      });
      expect(small).toBe(303);
    });

    it("answers an oversized API body with a JSON 413, chunked or with a Content-Length", async () => {
      const chunked = await chunkedPost("/api/v1/repos", 2 * 1024 * 1024, "application/json");
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toEqual({
        error: "the request body is over 1 MiB, the limit for forms and JSON",
      });
      const sized = await t.api("POST", "/repos", `{"name":"${"x".repeat(1024 * 1024)}"}`);
      expect(sized.status).toBe(413);
      expect((await t.api("GET", "/repos")).status).toBe(200);
    });
  });

  describe("bad form input", () => {
    it("needs the confirm box ticked to delete a repository", async () => {
      expect((await t.api("POST", "/repos", { name: "keep/me" })).status).toBe(201);
      const cookie = await login({ token: ADMIN_TOKEN });
      const csrf = await csrfOf(cookie);
      const unticked = await postForm("/repos/keep/me/delete", { _csrf: csrf }, { cookie });
      expect(unticked.status).toBe(400);
      expect(await unticked.text()).toContain("tick &quot;Yes, delete&quot; to confirm");
      expect((await t.api("GET", "/repos/keep/me/runs")).status).toBe(200);
      const ticked = await postForm(
        "/repos/keep/me/delete",
        { _csrf: csrf, confirm: "1" },
        { cookie },
      );
      expect(ticked.status).toBe(303);
      expect((await t.api("GET", "/repos/keep/me/runs")).status).toBe(404);
    });

    it("answers a token id that is not a number with 400, and an unknown one with 404", async () => {
      const cookie = await login({ token: ADMIN_TOKEN });
      const csrf = await csrfOf(cookie);
      const abc = await postForm("/settings/tokens/abc/delete", { _csrf: csrf }, { cookie });
      expect(abc.status).toBe(400);
      expect(await abc.text()).toContain("token id &#39;abc&#39; is not a number");
      const gone = await postForm("/settings/tokens/999999/delete", { _csrf: csrf }, { cookie });
      expect(gone.status).toBe(404);
      const { id } = await readToken();
      const ok = await postForm(`/settings/tokens/${id}/delete`, { _csrf: csrf }, { cookie });
      expect(ok.status).toBe(303);

      expect((await t.api("DELETE", "/tokens/abc")).body).toEqual({
        error: "token id 'abc' is not a number",
      });
      expect((await t.api("DELETE", "/tokens/1e3")).status).toBe(400);
      expect((await t.api("DELETE", "/tokens/999999")).status).toBe(404);
    });
  });
});

describe("the HTTP listener", () => {
  it("sets no overall request timeout, so long git pushes are not cut at 300 s", () => {
    const server = createHttpServer({} as ServerContext, new Hono<AppEnv>());
    expect(server.requestTimeout).toBe(0);
    expect(server.headersTimeout).toBe(60_000);
  });
});
