import { parseArgs } from "node:util";
import {
  ApiClient,
  type ApiRun,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  reportFailure,
  resolveConnection,
} from "../api-client.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const RUNS_USAGE = `Usage: equinox runs [REPO] [options]

Lists the newest runs of REPO on a running 'equinox serve', or without REPO the
newest runs across all repositories.

Options:
  -n, --limit N          at most N runs, 1-100 (default: 30)
      --json             print {"runs": [RUN...]} as the API gives them (docs/api.md)

${CONNECTION_USAGE}`;

export async function runsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      limit: { type: "string", short: "n" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(RUNS_USAGE);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(
      `runs takes one REPO, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  const limit = values.limit === undefined ? 30 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new UsageError(`--limit '${values.limit}': expected a whole number from 1 to 100`);
  const api = new ApiClient(resolveConnection(values));

  const repo = positionals[0];
  let runs: ApiRun[];
  if (repo !== undefined) {
    const res = await api.listRuns(repo, { limit });
    if (!res.ok) return reportFailure(res);
    runs = res.value;
  } else {
    const repos = await api.listRepos();
    if (!repos.ok) return reportFailure(repos);
    const each = await Promise.all(repos.value.map((r) => api.listRuns(r.name, { limit })));
    runs = [];
    for (const res of each) {
      if (!res.ok) return reportFailure(res);
      runs.push(...res.value);
    }
    runs.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
    runs = runs.slice(0, limit);
  }

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    process.stderr.write(repo === undefined ? "No runs yet.\n" : `No runs in ${repo} yet.\n`);
    return 0;
  }
  const now = Date.now();
  const rows = runs.map((r) => [
    String(r.id),
    r.repo,
    String(r.number),
    r.workflow_name,
    r.event,
    shortRef(r.ref),
    r.sha.slice(0, 7),
    r.status === "completed" ? (r.result ?? "completed") : r.status,
    formatAge(now - Date.parse(r.created_at)),
    duration(r, now),
  ]);
  process.stdout.write(
    formatTable(
      ["ID", "REPO", "#", "WORKFLOW", "EVENT", "REF", "SHA", "STATUS", "AGE", "DURATION"],
      rows,
    ),
  );
  return 0;
}

export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "").replace(/^refs\//, "");
}

/** How long ago, in the largest whole unit: `45s`, `12m`, `3h`, `9d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** A duration with two units at most: `8s`, `2m05s`, `1h03m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
}

/** Start to finish, or to now while running; `-` for a run that never started. */
function duration(run: ApiRun, now: number): string {
  if (run.started_at === null) return "-";
  const end = run.finished_at === null ? now : Date.parse(run.finished_at);
  return formatDuration(end - Date.parse(run.started_at));
}
