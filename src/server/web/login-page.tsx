import { CsrfField } from "./forms.tsx";

/**
 * Two ways in: a user name and password, or an API token (what `equinox serve` prints at
 * first start). Both post to `/login`; `next` is where to go afterwards.
 */
export function LoginPage({
  error,
  next,
  csrf,
}: {
  error: string | null;
  next: string;
  /** Given when the server checks CSRF on the login form too. */
  csrf?: string;
}) {
  return (
    <section class="login">
      <h1>Log in</h1>
      {error && (
        <p class="error-box" role="alert">
          {error}
        </p>
      )}
      <form method="post" action="/login" class="stack">
        {csrf !== undefined && <CsrfField csrf={csrf} />}
        <input type="hidden" name="next" value={next} />
        <label>
          User
          <input name="user" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Log in</button>
      </form>
      <h2>Or with a token</h2>
      <form method="post" action="/login" class="stack">
        {csrf !== undefined && <CsrfField csrf={csrf} />}
        <input type="hidden" name="next" value={next} />
        <label>
          API token
          <input name="token" type="password" autocomplete="off" required />
        </label>
        <button type="submit">Log in with token</button>
      </form>
    </section>
  );
}
