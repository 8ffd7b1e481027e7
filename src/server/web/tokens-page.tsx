import type { Token } from "../../store/records.ts";
import { PostForm } from "./forms.tsx";
import { SettingsNav } from "./settings-nav.tsx";
import { Time } from "./time-label.tsx";

export function TokensPage({
  tokens,
  created,
  csrf,
}: {
  tokens: Token[];
  /** A token just made: its secret is shown this once. */
  created: { name: string; token: string } | null;
  csrf: string;
}) {
  return (
    <>
      <h1>Settings</h1>
      <SettingsNav active="tokens" />
      {created && (
        <section class="notice created-token" role="status">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it will not be shown again.
          </p>
          <input
            class="token"
            readonly
            value={created.token}
            aria-label={`Token ${created.name}`}
          />
        </section>
      )}
      <section>
        <h2>API tokens</h2>
        {tokens.length === 0 ? (
          <p class="muted">No tokens.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Scope</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr>
                  <td>{token.name}</td>
                  <td>
                    <span class={`scope scope-${token.scope}`}>{token.scope}</span>
                  </td>
                  <td>
                    <Time at={token.createdAt} />
                  </td>
                  <td>
                    <Time at={token.lastUsedAt} />
                  </td>
                  <td>
                    <PostForm
                      action={`/settings/tokens/${token.id}/delete`}
                      csrf={csrf}
                      class="inline"
                    >
                      <button type="submit" class="danger small">
                        Delete
                      </button>
                    </PostForm>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel">
        <h2>New token</h2>
        <PostForm action="/settings/tokens" csrf={csrf} class="row">
          <label>
            Name
            <input name="name" required placeholder="ci-laptop" />
          </label>
          <label>
            Scope
            <select name="scope">
              <option value="read">read — look</option>
              <option value="write" selected>
                write — also push, dispatch, cancel, re-run
              </option>
              <option value="admin">admin — also repositories, secrets, tokens</option>
            </select>
          </label>
          <button type="submit">Create token</button>
        </PostForm>
      </section>
    </>
  );
}
