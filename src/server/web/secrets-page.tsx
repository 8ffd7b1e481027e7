import type { SecretEntry } from "../../store/records.ts";
import { PostForm } from "./forms.tsx";
import { SettingsNav } from "./settings-nav.tsx";
import { Time } from "./time-label.tsx";

/** Secret names and when they changed; values are write-only and never reach a page. */
export function SecretsPage({
  global,
  repos,
  perRepo,
  csrf,
  notice,
}: {
  global: SecretEntry[];
  repos: string[];
  perRepo: { repo: string; secrets: SecretEntry[] }[];
  csrf: string;
  notice: string | null;
}) {
  return (
    <>
      <h1>Settings</h1>
      <SettingsNav active="secrets" />
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <section>
        <h2>Global secrets</h2>
        <p class="muted">
          Every repository's runs see these, unless it has its own of the same name.
        </p>
        <SecretTable secrets={global} repo="" csrf={csrf} />
      </section>
      {perRepo
        .filter((group) => group.secrets.length > 0)
        .map((group) => (
          <section>
            <h2>
              Secrets of <code>{group.repo}</code>
            </h2>
            <SecretTable secrets={group.secrets} repo={group.repo} csrf={csrf} />
          </section>
        ))}
      <section class="panel">
        <h2>Set a secret</h2>
        <PostForm action="/settings/secrets" csrf={csrf} class="stack">
          <label>
            Scope
            <select name="repo">
              <option value="">Global</option>
              {repos.map((repo) => (
                <option value={repo}>{repo}</option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input
              name="name"
              required
              pattern="[A-Za-z_][A-Za-z0-9_]*"
              autocomplete="off"
              spellcheck={false}
              placeholder="DEPLOY_KEY"
            />
          </label>
          <label>
            Value <span class="hint">write-only: it is never shown again</span>
            <textarea
              name="value"
              rows={4}
              required
              autocomplete="off"
              spellcheck={false}
            ></textarea>
          </label>
          <button type="submit">Save secret</button>
        </PostForm>
      </section>
    </>
  );
}

function SecretTable({
  secrets,
  repo,
  csrf,
}: {
  secrets: SecretEntry[];
  repo: string;
  csrf: string;
}) {
  if (secrets.length === 0) return <p class="muted">None.</p>;
  return (
    <table class="list">
      <thead>
        <tr>
          <th>Name</th>
          <th>Updated</th>
          <th>
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {secrets.map((secret) => (
          <tr>
            <td>
              <code>{secret.name}</code>
            </td>
            <td>
              <Time at={secret.updatedAt} />
            </td>
            <td>
              <PostForm action="/settings/secrets/delete" csrf={csrf} class="inline">
                <input type="hidden" name="repo" value={repo} />
                <input type="hidden" name="name" value={secret.name} />
                <button type="submit" class="danger small">
                  Delete
                </button>
              </PostForm>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
