import { SettingsNav } from "./settings-nav.tsx";

export interface ExecutorInfo {
  name: string;
  kind: string;
  labels: string[];
  capacity: number;
  running: number;
}

export interface SlotLimits {
  /** Jobs at once across all executors; null for no limit. */
  global: number | null;
  perLabel: Record<string, number>;
}

export function RunnersPage({
  executors,
  limits,
  queued,
}: {
  executors: ExecutorInfo[];
  limits: SlotLimits;
  queued: number;
}) {
  const labels = Object.entries(limits.perLabel);
  return (
    <>
      <h1>Settings</h1>
      <SettingsNav active="runners" />
      <p>
        <strong>{queued}</strong> queued;{" "}
        {limits.global === null ? "no global limit" : `at most ${limits.global} jobs at once`}.
      </p>
      <section>
        <h2>Executors</h2>
        {executors.length === 0 ? (
          <p class="muted">No executors configured.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Labels</th>
                <th>Running</th>
              </tr>
            </thead>
            <tbody>
              {executors.map((executor) => (
                <tr>
                  <td>{executor.name}</td>
                  <td>{executor.kind}</td>
                  <td>
                    {executor.labels.map((label) => (
                      <code class="label">{label}</code>
                    ))}
                  </td>
                  <td>
                    <meter
                      min={0}
                      max={Math.max(executor.capacity, 1)}
                      value={executor.running}
                      title={`${executor.running} of ${executor.capacity}`}
                    ></meter>{" "}
                    {executor.running} / {executor.capacity}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Per-label limits</h2>
        {labels.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th>Label</th>
                <th>At most</th>
              </tr>
            </thead>
            <tbody>
              {labels.map(([label, limit]) => (
                <tr>
                  <td>
                    <code>{label}</code>
                  </td>
                  <td>{limit}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
