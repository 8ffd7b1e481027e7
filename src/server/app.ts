import { Hono } from "hono";
import { adminRoutes } from "./api/admin.ts";
import { repoRoutes } from "./api/repos.ts";
import { runRoutes } from "./api/runs.ts";
import { identify } from "./auth/middleware.ts";
import type { AppEnv, ServerContext } from "./context.ts";
import { HttpError } from "./http-error.ts";
import { ErrorPage } from "./web/error-page.tsx";
import { renderPage } from "./web/render-page.ts";
import { webRoutes } from "./web-routes.tsx";

/** The HTTP application: the JSON API under /api/v1 and the web UI (git is served beside it, see http.ts). */
export function createApp(server: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use(identify(server));

  const api = new Hono<AppEnv>();
  api.route("/", adminRoutes(server));
  api.route("/", repoRoutes(server));
  api.route("/", runRoutes(server));
  app.route("/api/v1", api);
  app.route("/", webRoutes(server));

  const isApi = (path: string) => path === "/api/v1" || path.startsWith("/api/");
  app.notFound((c) =>
    isApi(c.req.path)
      ? c.json({ error: `no such API endpoint: ${c.req.method} ${c.req.path}` }, 404)
      : c.html(renderPage(ErrorPage({ status: 404, message: `Nothing at ${c.req.path}` })), 404),
  );
  app.onError((err, c) => {
    const status = err instanceof HttpError ? err.status : 500;
    const message = err instanceof HttpError ? err.message : "internal server error";
    if (status === 500)
      console.error(`equinox: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    if (isApi(c.req.path)) return c.json({ error: message }, status);
    if (status === 401) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
    return c.html(renderPage(ErrorPage({ status, message })), status);
  });
  return app;
}
