import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import type { TokenScope } from "../../store/records.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { HttpError } from "../http-error.ts";
import { authenticate, scopeAllows } from "./authenticate.ts";
import { readSessionCookie } from "./sessions.ts";

/** Works out who is asking (token, session, or trusted proxy header) for every request. */
export function identify(server: ServerContext): MiddlewareHandler<AppEnv> {
  return async function identify(c, next) {
    const bindings = c.env as Partial<HttpBindings> | undefined;
    const principal = await authenticate(
      {
        headers: c.req.raw.headers,
        remoteAddress: bindings?.incoming?.socket.remoteAddress ?? null,
      },
      { store: server.store, proxy: server.proxyAuth },
    );
    c.set("principal", principal);
    c.set(
      "sessionId",
      principal?.via === "session" ? readSessionCookie(c.req.header("cookie")) : null,
    );
    await next();
  };
}

/** The principal of a request that must have at least `need`; 401/403 otherwise. */
export function requirePrincipal(c: Context<AppEnv>, need: TokenScope) {
  const principal = c.get("principal");
  if (!principal)
    throw new HttpError(
      401,
      c.req.header("authorization")
        ? "the token is not valid (unknown or deleted)"
        : "authentication required: send Authorization: Bearer <token>",
    );
  if (!scopeAllows(principal.scope, need))
    throw new HttpError(
      403,
      `this needs a token with '${need}' scope; yours has '${principal.scope}'`,
    );
  return principal;
}
