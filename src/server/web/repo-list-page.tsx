import type { Millis, RepoSummary } from "../../store/records.ts";
import { repoPath } from "./format.ts";
import { PostForm } from "./forms.tsx";
import { StatusBadge, statusKey } from "./status-badge.tsx";
import { Age } from "./time-label.tsx";

export function RepoListPage({
  repos,
  cloneUrl,
  csrf,
  canAdmin,
  now = Date.now(),
}: {
  repos: RepoSummary[];
  cloneUrl: (name: string) => string;
  csrf: string;
  canAdmin: boolean;
  now?: Millis;
}) {
  return (
    <>
      <h1>Repositories</h1>
      {repos.length === 0 ? (
        <EmptyState cloneUrl={cloneUrl} canAdmin={canAdmin} />
      ) : (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Last run</th>
                <th>When</th>
                <th>Clone URL</th>
              </tr>
            </thead>
            <tbody>
              {repos.map((repo) => (
                <tr>
                  <td>
                    <a href={repoPath(repo.name)}>{repo.name}</a>
                  </td>
                  <td>
                    {repo.lastRun ? (
                      <a href={`/runs/${repo.lastRun.id}`} class="plain">
                        <StatusBadge status={statusKey(repo.lastRun.state)} /> #
                        {repo.lastRun.number} {repo.lastRun.workflowName}
                      </a>
                    ) : (
                      <span class="muted">no runs yet</span>
                    )}
                  </td>
                  <td>{repo.lastRun ? <Age at={repo.lastRun.createdAt} now={now} /> : ""}</td>
                  <td>
                    <code class="copy">{cloneUrl(repo.name)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canAdmin && (
        <section class="panel">
          <h2>New repository</h2>
          <PostForm action="/repos" csrf={csrf} class="row">
            <label>
              Name
              <input name="name" required placeholder="demo or group/demo" />
            </label>
            <button type="submit">Create</button>
          </PostForm>
        </section>
      )}
    </>
  );
}

function EmptyState({
  cloneUrl,
  canAdmin,
}: {
  cloneUrl: (name: string) => string;
  canAdmin: boolean;
}) {
  return (
    <section class="empty">
      <p>No repositories yet.</p>
      <ol>
        <li>
          {canAdmin ? "Create one with the form below" : "Ask an admin to create one"} (or through
          the API: <code>POST /api/v1/repos {'{"name":"demo"}'}</code>).
        </li>
        <li>
          Push to it, with a <code>write</code> token as the password:
          <pre>{`git remote add equinox ${cloneUrl("demo")}\ngit push equinox main`}</pre>
        </li>
        <li>
          Workflows under <code>.forgejo/workflows/</code> (or <code>.gitea/</code>,{" "}
          <code>.github/</code>) run on every push they trigger.
        </li>
      </ol>
    </section>
  );
}
