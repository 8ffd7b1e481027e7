import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Context, Hono } from "hono";
import type { DispatchInput } from "../core/workflow/model.ts";
import type { TokenScope } from "../store/records.ts";
import { createToken, setSecret, tokenIdParam } from "./api/admin.ts";
import { createRepo, deleteRepo, repoParam } from "./api/repos.ts";
import { cancelRun, jobParam, rerunRun, runParam, streamJobLog } from "./api/runs.ts";
import { userScope } from "./auth/authenticate.ts";
import { ownOrigin, requirePrincipal } from "./auth/middleware.ts";
import { verifyPassword } from "./auth/passwords.ts";
import { safeNext } from "./auth/safe-next.ts";
import { crossSiteProblem } from "./auth/same-origin.ts";
import {
  checkCsrf,
  clearSessionCookie,
  csrfToken,
  hashSessionId,
  newSessionId,
  readSessionCookie,
  sessionCookie,
} from "./auth/sessions.ts";
import { hashToken } from "./auth/tokens.ts";
import type { AppEnv, Principal, ServerContext } from "./context.ts";
import { HttpError } from "./http-error.ts";
import type { Dispatchable } from "./web/dispatch-form.tsx";
import { Layout } from "./web/layout.tsx";
import { renderLogLine } from "./web/log-render.ts";
import { LoginPage } from "./web/login-page.tsx";
import { renderPage } from "./web/render-page.ts";
import { RepoListPage } from "./web/repo-list-page.tsx";
import { RunListPage } from "./web/run-list-page.tsx";
import { RunPage } from "./web/run-page.tsx";
import { RunnersPage } from "./web/runners-page.tsx";
import { SecretsPage } from "./web/secrets-page.tsx";
import { TokensPage } from "./web/tokens-page.tsx";
import { workflowsAt } from "./workflows-at.ts";

const SESSION_DAYS = 30;
type Form = Record<string, string | File | (string | File)[]>;

/** The server-rendered web UI. Every page works without JavaScript; the script streams logs. */
export function webRoutes(server: ServerContext) {
  const app = new Hono<AppEnv>();

  /** What a form's CSRF token is bound to: the session, else the proxy-authenticated user. */
  const csrfSubject = (c: Context<AppEnv>, principal: Principal): string =>
    c.get("sessionId") ?? `${principal.via}:${principal.user.name}`;
  const csrfFor = (c: Context<AppEnv>, principal: Principal): string =>
    csrfToken(csrfSubject(c, principal), server.csrfSecret);
  const formExpired = () =>
    new HttpError(403, "the form expired or came from another site; reload the page and try again");
  /**
   * Logging in and out happen without a session to bind a CSRF token to (or with one that
   * may be gone), so they check that the browser says the form is from this server.
   */
  const refuseCrossSite = (c: Context<AppEnv>) => {
    const problem = crossSiteProblem(c.req.raw.headers, ownOrigin(server));
    if (problem)
      throw new HttpError(403, `${problem}; open the login page of this server and try again`);
  };
  /** A form post: the principal, checked against CSRF (a bearer token is not ambient, so needs none). */
  const formPost = async (c: Context<AppEnv>, need: "read" | "write" | "admin") => {
    const principal = requirePrincipal(c, need);
    const form = (await c.req.parseBody()) as Form;
    if (principal.via !== "token") {
      if (!checkCsrf(csrfSubject(c, principal), server.csrfSecret, field(form, "_csrf")))
        throw formExpired();
    }
    return { principal, form };
  };
  const page = (
    c: Context<AppEnv>,
    title: string,
    body: unknown,
    status: 200 | 201 | 400 | 403 | 404 = 200,
  ) => {
    const principal = c.get("principal");
    return c.html(
      renderPage(
        <Layout
          title={title}
          user={
            principal ? { name: principal.user.name, isAdmin: principal.scope === "admin" } : null
          }
          csrf={principal ? csrfFor(c, principal) : ""}
        >
          {body as never}
        </Layout>,
      ),
      status,
    );
  };

  app.get("/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSET_TYPES[file];
    if (!type) throw new HttpError(404, `no asset ${file}`);
    return c.body(await asset(file), 200, {
      "content-type": type,
      "cache-control": "no-cache",
    });
  });

  app.get("/login", (c) =>
    page(c, "Log in", <LoginPage error={null} next={safeNext(c.req.query("next"))} />),
  );

  app.post("/login", async (c) => {
    refuseCrossSite(c);
    const form = (await c.req.parseBody()) as Form;
    const next = safeNext(field(form, "next"));
    const token = field(form, "token").trim();
    // A token login gets the token's scope, never more: a read token must not open an
    // admin session. Deleting the token ends the session.
    let grant: { userId: number; scope: TokenScope; tokenId: number | null } | null = null;
    if (token) {
      const found = await server.store.useToken(hashToken(token));
      if (found)
        grant = { userId: found.user.id, scope: found.token.scope, tokenId: found.token.id };
    } else {
      const name = field(form, "user").trim();
      const stored = name ? await server.store.passwordHash(name) : null;
      const user =
        stored && (await verifyPassword(field(form, "password"), stored))
          ? await server.store.getUser(name)
          : null;
      if (user) grant = { userId: user.id, scope: userScope(user), tokenId: null };
    }
    if (grant === null)
      return page(
        c,
        "Log in",
        <LoginPage error="Wrong user name, password or token." next={next} />,
        403,
      );
    const id = newSessionId();
    await server.store.createSession(
      hashSessionId(id),
      grant.userId,
      Date.now() + SESSION_DAYS * 86_400_000,
      { scope: grant.scope, tokenId: grant.tokenId },
    );
    c.header(
      "set-cookie",
      sessionCookie(id, { secure: server.secureCookies, maxAgeSeconds: SESSION_DAYS * 86_400 }),
    );
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    refuseCrossSite(c);
    const principal = c.get("principal");
    // A live session's logout form carries its CSRF token; a dead one has nothing to end.
    if (principal?.via === "session") {
      const form = (await c.req.parseBody()) as Form;
      if (!checkCsrf(csrfSubject(c, principal), server.csrfSecret, field(form, "_csrf")))
        throw formExpired();
    }
    const id = readSessionCookie(c.req.header("cookie"));
    if (id) await server.store.deleteSession(hashSessionId(id));
    c.header("set-cookie", clearSessionCookie({ secure: server.secureCookies }));
    return c.redirect("/login", 303);
  });

  app.get("/", async (c) => {
    const principal = requirePrincipal(c, "read");
    const repos = await server.store.listRepos();
    return page(
      c,
      "Repositories",
      <RepoListPage
        repos={repos}
        cloneUrl={(name) => `${server.baseUrl()}/${name}.git`}
        csrf={csrfFor(c, principal)}
        canAdmin={principal.scope === "admin"}
      />,
    );
  });

  app.post("/repos", async (c) => {
    const { form } = await formPost(c, "admin");
    const repo = await createRepo(server, field(form, "name").trim());
    return c.redirect(`/repos/${repo.name}`, 303);
  });

  app.post("/repos/:repo{.+}/delete", async (c) => {
    const { form } = await formPost(c, "admin");
    const repo = await repoParam(server, c.req.param("repo"));
    if (field(form, "confirm") !== "1")
      throw new HttpError(
        400,
        `not deleted: tick "Yes, delete" to confirm deleting ${repo.name} and all its runs`,
      );
    await deleteRepo(server, repo.name);
    return c.redirect("/", 303);
  });

  app.post("/repos/:repo{.+}/dispatch", async (c) => {
    const { principal, form } = await formPost(c, "write");
    const repo = await repoParam(server, c.req.param("repo"));
    const inputs: Record<string, string> = {};
    for (const key of Object.keys(form))
      if (key.startsWith("input.")) inputs[key.slice(6)] = field(form, key);
    const ref = field(form, "ref").trim();
    const result = await server.triggers.dispatch(
      repo.name,
      { workflow: field(form, "workflow"), ref: ref || undefined, inputs },
      principal.user.name,
    );
    if (!result.ok) throw new HttpError(result.status, result.error);
    return c.redirect(`/runs/${result.runs[0]!.id}`, 303);
  });

  app.get("/repos/:repo{.+}", async (c) => {
    const principal = requirePrincipal(c, "read");
    const repo = await repoParam(server, c.req.param("repo"));
    const beforeText = c.req.query("before");
    const before = beforeText && /^\d+$/.test(beforeText) ? Number(beforeText) : undefined;
    const limit = 30;
    const [runs, total, dispatchable] = await Promise.all([
      server.store.listRuns(repo.name, { limit: limit + 1, ...(before ? { before } : {}) }),
      server.store.countRuns(repo.name),
      dispatchableWorkflows(server, repo.name),
    ]);
    const shown = runs.slice(0, limit);
    return page(
      c,
      repo.name,
      <RunListPage
        repo={repo.name}
        runs={shown}
        total={total}
        nextBefore={runs.length > limit ? shown[shown.length - 1]!.id : null}
        now={Date.now()}
        csrf={csrfFor(c, principal)}
        canWrite={principal.scope !== "read"}
        canAdmin={principal.scope === "admin"}
        dispatchable={dispatchable}
        cloneUrl={`${server.baseUrl()}/${repo.name}.git`}
      />,
    );
  });

  app.get("/runs/:id", async (c) => {
    const principal = requirePrincipal(c, "read");
    const run = await runParam(server, c.req.param("id"));
    const jobs = await server.store.listJobs(run.id);
    const wanted = c.req.query("job");
    const selected =
      jobs.find((j) => String(j.id) === wanted) ??
      jobs.find((j) => j.state.status === "running") ??
      jobs.find((j) => j.state.status === "completed" && j.state.result === "failure") ??
      jobs[0] ??
      null;
    // The last 20,000 lines: the panel says where they start, the raw log has the rest.
    const shownLines = 20_000;
    const log = selected
      ? await server.store.readLog(selected.id, {
          fromLine: Math.max(1, selected.logLines - shownLines + 1),
          limit: shownLines,
        })
      : null;
    const related = [run.rerunOf, run.state.status === "completed" ? run.state.supersededBy : null];
    const runNumbers: Record<number, number> = {};
    for (const id of related)
      if (id !== null) {
        const other = await server.store.getRun(id);
        if (other) runNumbers[id] = other.number;
      }
    return page(
      c,
      `${run.workflowName} #${run.number}`,
      <RunPage
        run={run}
        jobs={jobs}
        selected={selected}
        log={log}
        now={Date.now()}
        csrf={csrfFor(c, principal)}
        canWrite={principal.scope !== "read"}
        runNumbers={runNumbers}
      />,
    );
  });

  app.post("/runs/:id/cancel", async (c) => {
    await formPost(c, "write");
    const run = await runParam(server, c.req.param("id"));
    await cancelRun(server, run);
    return c.redirect(`/runs/${run.id}`, 303);
  });

  app.post("/runs/:id/rerun", async (c) => {
    const { principal, form } = await formPost(c, "write");
    const run = await runParam(server, c.req.param("id"));
    const created = await rerunRun(server, run, field(form, "failed") === "1", principal.user.name);
    return c.redirect(`/runs/${created.id}`, 303);
  });

  // The live log of the run page: lines rendered here, so the page and the stream agree.
  app.get("/runs/:id/jobs/:job/log/live", async (c) => {
    requirePrincipal(c, "read");
    const run = await runParam(server, c.req.param("id"));
    const job = await jobParam(server, run, c.req.param("job"));
    const afterText = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
    const after = /^\d+$/.test(afterText) ? Number(afterText) : 0;
    return streamJobLog(c, server, job.id, after, (slice) => ({
      event: "lines",
      data: JSON.stringify(
        slice.lines.map((text, i) => ({
          n: slice.firstLine + i,
          ...renderLogLine(slice.firstLine + i, text),
        })),
      ),
    }));
  });

  app.get("/settings", (c) => c.redirect("/settings/secrets"));

  app.get("/settings/secrets", async (c) => {
    const principal = requirePrincipal(c, "admin");
    const repos = (await server.store.listRepos()).map((r) => r.name);
    const perRepo = [];
    for (const repo of repos) {
      const secrets = await server.secrets.list(repo);
      if (secrets.length > 0) perRepo.push({ repo, secrets });
    }
    const notice = c.req.query("notice") ?? null;
    return page(
      c,
      "Secrets",
      <SecretsPage
        global={await server.secrets.list(null)}
        repos={repos}
        perRepo={perRepo}
        csrf={csrfFor(c, principal)}
        notice={notice}
      />,
    );
  });

  app.post("/settings/secrets", async (c) => {
    const { form } = await formPost(c, "admin");
    const scope = await secretScope(server, field(form, "repo"));
    const name = field(form, "name").trim();
    await setSecret(server, scope, name, field(form, "value"));
    return c.redirect(`/settings/secrets?notice=${encodeURIComponent(`Saved ${name}.`)}`, 303);
  });

  app.post("/settings/secrets/delete", async (c) => {
    const { form } = await formPost(c, "admin");
    const scope = await secretScope(server, field(form, "repo"));
    const name = field(form, "name");
    await server.secrets.delete(scope, name);
    return c.redirect(`/settings/secrets?notice=${encodeURIComponent(`Deleted ${name}.`)}`, 303);
  });

  app.get("/settings/tokens", async (c) => {
    const principal = requirePrincipal(c, "admin");
    return page(
      c,
      "Tokens",
      <TokensPage
        tokens={await server.store.listTokens()}
        created={null}
        csrf={csrfFor(c, principal)}
      />,
    );
  });

  app.post("/settings/tokens", async (c) => {
    const { principal, form } = await formPost(c, "admin");
    const { row, token } = await createToken(
      server,
      principal,
      field(form, "name"),
      field(form, "scope"),
    );
    return page(
      c,
      "Tokens",
      <TokensPage
        tokens={await server.store.listTokens()}
        created={{ name: row.name, token }}
        csrf={csrfFor(c, principal)}
      />,
      201,
    );
  });

  app.post("/settings/tokens/:id/delete", async (c) => {
    await formPost(c, "admin");
    const id = tokenIdParam(c.req.param("id"));
    if (!(await server.store.deleteToken(id)))
      throw new HttpError(404, `no token ${id} (already deleted?)`);
    return c.redirect("/settings/tokens", 303);
  });

  app.get("/settings/runners", async (c) => {
    requirePrincipal(c, "admin");
    const usage = server.slots.usage();
    return page(
      c,
      "Runners",
      <RunnersPage
        executors={server.executorInfo.map((e) => ({ ...e, running: usage.running }))}
        limits={server.slots.limits}
        queued={usage.waiting + (await server.store.listQueuedRuns()).length}
      />,
    );
  });

  return app;
}

function field(form: Form, name: string): string {
  const value = form[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === "string" ? last : "";
}

async function secretScope(server: ServerContext, repo: string): Promise<string | null> {
  return repo.trim() ? (await repoParam(server, repo.trim())).name : null;
}

async function dispatchableWorkflows(server: ServerContext, repo: string): Promise<Dispatchable[]> {
  const branch = await server.repos.defaultBranch(repo);
  const sha = branch ? await server.repos.resolveRef(repo, branch) : null;
  if (!sha) return [];
  const at = await workflowsAt(server.repos, repo, sha);
  return at.workflows
    .filter((w) => w.on.workflow_dispatch !== undefined)
    .map((w) => {
      const config = w.on.workflow_dispatch as { inputs?: Record<string, DispatchInput> } | null;
      return {
        file: w.file,
        name: w.name ?? w.file,
        inputs: Object.entries(config?.inputs ?? {}).map(([name, input]) => ({ ...input, name })),
      };
    });
}

const ASSET_TYPES: Record<string, string> = {
  "app.css": "text/css; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
};
const assetCache = new Map<string, string>();

/** The UI's two static files, from the source tree (beside this module, or from dist/). */
async function asset(file: string): Promise<string> {
  const cached = assetCache.get(file);
  if (cached !== undefined) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  let lastError: unknown = null;
  for (const dir of [join(here, "web/assets"), join(here, "../../src/server/web/assets")]) {
    try {
      const text = await readFile(join(dir, file), "utf8");
      assetCache.set(file, text);
      return text;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
