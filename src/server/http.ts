import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { authenticate, scopeAllows } from "./auth/authenticate.ts";
import type { AppEnv, ServerContext } from "./context.ts";
import { matchGitRequest, serveGit } from "./git/smart-http.ts";

/**
 * The server's one HTTP listener: git's smart HTTP requests go straight to
 * `git http-backend` (streamed both ways, outside Hono), everything else to the app.
 */
export function createHttpServer(server: ServerContext, app: Hono<AppEnv>): Server {
  const listener = getRequestListener(app.fetch);
  const options = {
    // Node ends any request still running after 300 s by default, which cuts a large git
    // push (or clone) over a slow link halfway. Bodies Hono reads are capped by size
    // instead (auth/middleware.ts), and idle keep-alive connections still close.
    requestTimeout: 0,
    // Headers must still arrive promptly, so a client cannot hold sockets open for free.
    headersTimeout: 60_000,
  };
  return createServer(options, (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const git = matchGitRequest(req.method ?? "GET", url.pathname, url.search);
    if (!git) {
      listener(req, res);
      return;
    }
    handleGit(server, req, res, git, url).catch((err: Error) => {
      console.error(`equinox: git ${url.pathname}: ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal server error\n");
    });
  });
}

async function handleGit(
  server: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  git: NonNullable<ReturnType<typeof matchGitRequest>>,
  url: URL,
) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const principal = await authenticate(
    { headers, remoteAddress: req.socket.remoteAddress ?? null },
    { store: server.store, proxy: server.proxyAuth },
  );
  const deny = (status: number, message: string) => {
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      ...(status === 401 ? { "www-authenticate": 'Basic realm="equinox"' } : {}),
    });
    res.end(`${message}\n`);
  };
  if (!principal) return deny(401, "authentication required: use a token as the password");
  if (!scopeAllows(principal.scope, git.needs))
    return deny(403, `pushing needs a token with write scope; this one has '${principal.scope}'`);
  if (!(await server.store.getRepo(git.repo)) || !(await server.repos.exists(git.repo)))
    return deny(404, `no repository '${git.repo}'`);
  serveGit(req, res, {
    projectRoot: server.repos.root,
    pathInfo: url.pathname,
    remoteUser: principal.user.name,
  });
}
