import { Hono } from "hono";
import { requirePrincipal } from "../auth/middleware.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { validateRepoName } from "../git/repo-name.ts";
import { HttpError, jsonBody, stringField } from "../http-error.ts";
import { runJson } from "./json.ts";

/** A repository named in a path: validated, and known to the store. */
export async function repoParam(server: ServerContext, raw: string) {
  const name = validateRepoName(raw);
  if (!name.ok) throw new HttpError(400, name.error);
  const repo = await server.store.getRepo(name.name);
  if (!repo) throw new HttpError(404, `no repository '${raw}'`);
  return repo;
}

/** Creates a repository: the store row and the bare repository with its hook. */
export async function createRepo(server: ServerContext, raw: unknown) {
  const name = validateRepoName(raw);
  if (!name.ok) throw new HttpError(400, name.error);
  const exists = () => new HttpError(409, `repository '${name.name}' already exists`);
  if ((await server.store.getRepo(name.name)) || (await server.repos.exists(name.name)))
    throw exists();
  // Of two concurrent creates exactly one renames its bare repository into place; the
  // other learns so here and must not touch it.
  const created = await server.repos.create(name.name);
  if (!created.ok) {
    if (await server.repos.exists(name.name)) throw exists();
    throw new HttpError(500, created.error);
  }
  const repo = await server.store.createRepo(name.name);
  // A row that appeared meanwhile had no repository: the one made here now serves it.
  if (!repo) throw exists();
  return repo;
}

/**
 * Deletes a repository, its runs and logs. Its runs end first (jobs cancelled for real,
 * waited for up to 30 s), so no job keeps running or writing to records that are gone.
 */
export async function deleteRepo(server: ServerContext, name: string) {
  await server.manager.cancelRepo(name);
  await server.store.deleteRepo(name);
  await server.repos.remove(name);
}

export function repoRoutes(server: ServerContext) {
  const app = new Hono<AppEnv>();
  const cloneUrl = (name: string) => `${server.baseUrl()}/${name}.git`;

  app.get("/repos", async (c) => {
    requirePrincipal(c, "read");
    const repos = await server.store.listRepos();
    return c.json({
      repos: repos.map((r) => ({
        name: r.name,
        clone_url: cloneUrl(r.name),
        created_at: new Date(r.createdAt).toISOString(),
        last_run: r.lastRun ? runJson(r.lastRun, server.baseUrl()) : null,
      })),
    });
  });

  app.post("/repos", async (c) => {
    requirePrincipal(c, "admin");
    const body = await jsonBody(c);
    const repo = await createRepo(server, stringField(body, "name", true));
    return c.json({ name: repo.name, clone_url: cloneUrl(repo.name) }, 201);
  });

  app.get("/repos/:repo{.+}/runs", async (c) => {
    requirePrincipal(c, "read");
    const repo = await repoParam(server, c.req.param("repo"));
    const limit = intQuery(c.req.query("limit"), "limit", 30, 1, 100);
    const before = c.req.query("before");
    const runs = await server.store.listRuns(repo.name, {
      limit,
      ...(before !== undefined
        ? { before: intQuery(before, "before", 0, 1, Number.MAX_SAFE_INTEGER) }
        : {}),
    });
    return c.json({ runs: runs.map((r) => runJson(r, server.baseUrl())) });
  });

  app.post("/repos/:repo{.+}/dispatch", async (c) => {
    const principal = requirePrincipal(c, "write");
    const repo = await repoParam(server, c.req.param("repo"));
    const body = await jsonBody(c);
    const inputs = body.inputs ?? {};
    if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs))
      throw new HttpError(400, "'inputs' must be an object of strings");
    const stringInputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(inputs)) {
      if (typeof v === "object" && v !== null)
        throw new HttpError(400, `input '${k}' must be a string`);
      stringInputs[k] = String(v);
    }
    const result = await server.triggers.dispatch(
      repo.name,
      {
        workflow: stringField(body, "workflow", true),
        ref: stringField(body, "ref"),
        inputs: stringInputs,
      },
      principal.user.name,
    );
    if (!result.ok) throw new HttpError(result.status, result.error);
    return c.json({ runs: result.runs.map((r) => runJson(r, server.baseUrl())) }, 201);
  });

  // `name` or `group/name` only: with `{.+}` Hono routed DELETE /repos/R/secrets/N here.
  app.delete("/repos/:repo{[^/]+(?:/[^/]+)?}", async (c) => {
    requirePrincipal(c, "admin");
    const repo = await repoParam(server, c.req.param("repo"));
    await deleteRepo(server, repo.name);
    return c.body(null, 204);
  });

  return app;
}

export function intQuery(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError(400, `'${name}' must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}
