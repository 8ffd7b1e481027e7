import type { Child } from "hono/jsx";
import { PostForm } from "./forms.tsx";

export interface LayoutUser {
  name: string;
  isAdmin: boolean;
}

/**
 * The document around every page. Pages render only their `<main>` content, so the
 * handler wraps them: `<Layout title user csrf><RunPage …/></Layout>`. `csrf` is needed
 * whenever `user` is set (the log-out form posts).
 */
export function Layout({
  title,
  user,
  csrf = "",
  children,
}: {
  title: string;
  user: LayoutUser | null;
  csrf?: string;
  children?: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title ? `${title} · Equinox` : "Equinox"}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <header class="site-header">
          <a class="brand" href="/">
            Equinox
          </a>
          {user && (
            <nav class="site-nav" aria-label="Main">
              <a href="/">Repositories</a>
              {user.isAdmin && <a href="/settings/secrets">Settings</a>}
              <span class="user">{user.name}</span>
              <PostForm action="/logout" csrf={csrf} class="inline">
                <button type="submit" class="link">
                  Log out
                </button>
              </PostForm>
            </nav>
          )}
        </header>
        <main class="content">{children}</main>
      </body>
    </html>
  );
}
