import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { TokenScope } from "../../store/records.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { HttpError } from "../http-error.ts";
import { authenticate, scopeAllows } from "./authenticate.ts";
import { cookieApiProblem } from "./same-origin.ts";
import { readSessionCookie } from "./sessions.ts";

/** The largest form or JSON body the app reads (git pushes do not pass through Hono). */
export const MAX_BODY_BYTES = 1024 * 1024;

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => {
    // The rest of the body is never read: the connection cannot carry another request.
    c.header("connection", "close");
    throw new HttpError(
      413,
      `the request body is over ${MAX_BODY_BYTES / 1024 / 1024} MiB, the limit for forms and JSON`,
    );
  },
});

const isApiPath = (path: string) => path === "/api/v1" || path.startsWith("/api/");

/**
 * The front door of every request: caps the body (chunked ones too, before anything reads
 * them), works out who is asking (token, session, or trusted proxy header), and refuses
 * API calls a browser could have been tricked into making (see same-origin.ts).
 */
export function identify(server: ServerContext): MiddlewareHandler<AppEnv> {
  return (c, next) => limitBody(c, () => identifyPrincipal(server, c, next));
}

async function identifyPrincipal(server: ServerContext, c: Context<AppEnv>, next: Next) {
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
  if (principal && principal.via !== "token" && isApiPath(c.req.path)) {
    const problem = cookieApiProblem(c.req.method, c.req.raw.headers, ownOrigin(server));
    if (problem) throw new HttpError(403, problem);
  }
  await next();
}

/** The origin of the server's public URL, or null when it is not a URL. */
export function ownOrigin(server: ServerContext): string | null {
  try {
    return new URL(server.baseUrl()).origin;
  } catch {
    return null;
  }
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
