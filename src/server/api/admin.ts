import { Buffer } from "node:buffer";
import { Hono } from "hono";
import type { TokenScope } from "../../store/records.ts";
import { requirePrincipal } from "../auth/middleware.ts";
import { generateToken, hashToken } from "../auth/tokens.ts";
import type { AppEnv, Principal, ServerContext } from "../context.ts";
import { HttpError, jsonBody, stringField } from "../http-error.ts";
import { MAX_SECRET_BYTES, secretNameError } from "../secrets/secret-service.ts";
import { tokenJson } from "./json.ts";
import { repoParam } from "./repos.ts";

export async function setSecret(
  server: ServerContext,
  repo: string | null,
  name: string,
  value: string,
) {
  const bad = secretNameError(name);
  if (bad) throw new HttpError(400, bad);
  if (value === "") throw new HttpError(400, `secret ${name}: the value is empty`);
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES)
    throw new HttpError(413, `secret ${name}: the value is over ${MAX_SECRET_BYTES / 1024} KiB`);
  await server.secrets.set(repo, name, value);
}

const SCOPES: TokenScope[] = ["read", "write", "admin"];

export async function createToken(
  server: ServerContext,
  principal: Principal,
  name: string,
  scope: string,
) {
  if (!name.trim()) throw new HttpError(400, "a token needs a name");
  if (!SCOPES.includes(scope as TokenScope))
    throw new HttpError(400, `scope '${scope}': expected read, write or admin`);
  const token = generateToken();
  const row = await server.store.createToken({
    name: name.trim(),
    scope: scope as TokenScope,
    userId: principal.user.id,
    hash: hashToken(token),
  });
  return { row, token };
}

/** A token id from a URL: a 400 naming it unless it is a positive whole number. */
export function tokenIdParam(raw: string): number {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1)
    throw new HttpError(400, `token id '${raw.slice(0, 40)}' is not a number`);
  return id;
}

export function adminRoutes(server: ServerContext) {
  const app = new Hono<AppEnv>();

  const secretRoutes = (
    prefix: string,
    scopeOf: (raw: string | undefined) => Promise<string | null>,
  ) => {
    app.get(prefix, async (c) => {
      requirePrincipal(c, "admin");
      const scope = await scopeOf(c.req.param("repo"));
      const list = await server.secrets.list(scope);
      return c.json({
        secrets: list.map((s) => ({
          name: s.name,
          updated_at: new Date(s.updatedAt).toISOString(),
        })),
      });
    });
    app.put(`${prefix}/:name`, async (c) => {
      requirePrincipal(c, "admin");
      const scope = await scopeOf(c.req.param("repo"));
      const body = await jsonBody(c, MAX_SECRET_BYTES * 2);
      await setSecret(server, scope, c.req.param("name"), stringField(body, "value", true));
      return c.body(null, 204);
    });
    app.delete(`${prefix}/:name`, async (c) => {
      requirePrincipal(c, "admin");
      const scope = await scopeOf(c.req.param("repo"));
      const name = c.req.param("name");
      if (!(await server.secrets.delete(scope, name)))
        throw new HttpError(404, `no secret ${name}${scope ? ` in ${scope}` : ""}`);
      return c.body(null, 204);
    });
  };
  secretRoutes("/secrets", async () => null);
  secretRoutes(
    "/repos/:repo{.+}/secrets",
    async (raw) => (await repoParam(server, raw ?? "")).name,
  );

  app.get("/tokens", async (c) => {
    requirePrincipal(c, "admin");
    return c.json({ tokens: (await server.store.listTokens()).map(tokenJson) });
  });
  app.post("/tokens", async (c) => {
    const principal = requirePrincipal(c, "admin");
    const body = await jsonBody(c);
    const { row, token } = await createToken(
      server,
      principal,
      stringField(body, "name", true),
      stringField(body, "scope", true),
    );
    return c.json({ id: row.id, name: row.name, scope: row.scope, token }, 201);
  });
  app.delete("/tokens/:id", async (c) => {
    requirePrincipal(c, "admin");
    const id = tokenIdParam(c.req.param("id"));
    if (!(await server.store.deleteToken(id))) throw new HttpError(404, `no token ${id}`);
    return c.body(null, 204);
  });
  return app;
}
