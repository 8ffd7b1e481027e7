import { parseArgs } from "node:util";
import {
  ApiClient,
  type ApiJob,
  type ApiResult,
  type ApiRun,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  reportFailure,
  resolveConnection,
} from "../api-client.ts";
import { UsageError } from "../usage-error.ts";

export const LOGS_USAGE = `Usage: equinox logs RUN [JOB] [--follow]

Prints the logs of run RUN (its id, as 'equinox runs' shows it) on a running
'equinox serve': every job's log in order, each under a '== NAME (STATUS) =='
header, or only the log of JOB (a job's id, key, workflow job id or name).

Options:
  -f, --follow           stream the log(s) until the job (or every job of the run)
                         has ended; exit 0 if it succeeded, 1 otherwise

${CONNECTION_USAGE}`;

/** How often a followed run is asked for jobs that did not exist yet (matrix instances appear late). */
const POLL_MS = 1000;

type RunWithJobs = ApiRun & { jobs: ApiJob[] };

export async function logsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      follow: { type: "boolean", short: "f" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(LOGS_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("logs needs a RUN id (see 'equinox runs')");
  if (positionals.length > 2)
    throw new UsageError(`logs takes RUN and at most one JOB, got ${positionals.join(" ")}`);
  const [runArg, jobArg] = positionals as [string, string | undefined];
  const runId = Number(runArg);
  if (!/^\d+$/.test(runArg) || !Number.isSafeInteger(runId))
    throw new UsageError(`'${runArg}' is not a run id (the ID column of 'equinox runs')`);
  const api = new ApiClient(resolveConnection(values));

  const first = await api.getRun(runId);
  if (!first.ok) return reportFailure(first);
  if (jobArg !== undefined) {
    return values.follow ? followOne(api, first.value, jobArg) : printOne(api, first.value, jobArg);
  }
  return values.follow ? followAll(api, first.value) : printAll(api, first.value);
}

async function printOne(api: ApiClient, run: RunWithJobs, jobArg: string): Promise<number> {
  const job = pickJob(run, jobArg);
  if (!job.ok) return noSuchJob(job.error);
  const log = await api.getLog(run.id, job.job.id);
  if (!log.ok) return reportFailure(log);
  writeText(log.value);
  return 0;
}

async function printAll(api: ApiClient, run: RunWithJobs): Promise<number> {
  if (run.error) process.stderr.write(`Run ${run.id} failed before its jobs: ${run.error}\n`);
  if (run.jobs.length === 0 && !run.error)
    process.stderr.write(`Run ${run.id} has no jobs yet (${run.status}).\n`);
  for (const job of run.jobs) {
    const log = await api.getLog(run.id, job.id);
    if (!log.ok) return reportFailure(log);
    process.stdout.write(header(job));
    writeText(log.value);
  }
  return 0;
}

async function followOne(api: ApiClient, initial: RunWithJobs, jobArg: string): Promise<number> {
  let run = initial;
  let job = pickJob(run, jobArg);
  // A matrix instance gets its job only once its needs are done: wait for it while the run goes on.
  while (!job.ok && job.missing && run.status !== "completed") {
    await sleep(POLL_MS);
    const next = await api.getRun(run.id);
    if (!next.ok) return reportFailure(next);
    run = next.value;
    job = pickJob(run, jobArg);
  }
  if (!job.ok) return noSuchJob(job.error);
  const end = await follow(api, run.id, job.job);
  if (!end.ok) return reportFailure(end);
  return end.value.result === "success" ? 0 : 1;
}

/** Follows every job in turn, including jobs that appear while the run goes on. */
async function followAll(api: ApiClient, initial: RunWithJobs): Promise<number> {
  let run = initial;
  const done = new Set<number>();
  for (;;) {
    const next = run.jobs.find((j) => !done.has(j.id));
    if (next) {
      process.stdout.write(header(next));
      const end = await follow(api, run.id, next);
      if (!end.ok) return reportFailure(end);
      done.add(next.id);
    } else if (run.status === "completed") {
      break;
    } else {
      await sleep(POLL_MS);
    }
    const fresh = await api.getRun(run.id);
    if (!fresh.ok) return reportFailure(fresh);
    run = fresh.value;
  }
  if (run.error) process.stderr.write(`Run ${run.id} failed before its jobs: ${run.error}\n`);
  const why = run.reason ? ` (${run.reason})` : "";
  process.stderr.write(`Run ${run.id} (${run.repo} #${run.number}): ${run.result}${why}\n`);
  return run.result === "success" ? 0 : 1;
}

function follow(
  api: ApiClient,
  runId: number,
  job: ApiJob,
): Promise<ApiResult<{ result: string | null }>> {
  return api.followLog(runId, job.id, {
    onLines(_from, lines) {
      process.stdout.write(lines.map((l) => `${l}\n`).join(""));
    },
  });
}

/**
 * JOB as the user named it: a job's numeric id or key first (unique), then its
 * workflow job id or display name, which matrix instances share.
 */
export function pickJob(
  run: RunWithJobs,
  arg: string,
): { ok: true; job: ApiJob } | { ok: false; missing: boolean; error: string } {
  const exact = run.jobs.find((j) => String(j.id) === arg || j.key === arg);
  if (exact) return { ok: true, job: exact };
  const matches = run.jobs.filter((j) => j.job_id === arg || j.name === arg);
  if (matches.length === 1) return { ok: true, job: matches[0]! };
  const list = (jobs: ApiJob[]) =>
    jobs.map((j) => `\n  ${j.id}  ${j.key}  ${j.name} (${state(j)})`).join("");
  if (matches.length > 1)
    return {
      ok: false,
      missing: false,
      error: `job '${arg}' is ambiguous in run ${run.id}; name one by id or key:${list(matches)}`,
    };
  return {
    ok: false,
    missing: true,
    error:
      run.jobs.length === 0
        ? `run ${run.id} has no job '${arg}' (it has no jobs yet)`
        : `run ${run.id} has no job '${arg}'; its jobs (id, key, name):${list(run.jobs)}`,
  };
}

function noSuchJob(error: string): number {
  process.stderr.write(`equinox: ${error}\n`);
  return 1;
}

function state(job: ApiJob): string {
  return job.status === "completed" ? (job.result ?? "completed") : job.status;
}

function header(job: ApiJob): string {
  return `== ${job.name} (${state(job)}) ==\n`;
}

function writeText(text: string): void {
  process.stdout.write(text === "" || text.endsWith("\n") ? text : `${text}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
