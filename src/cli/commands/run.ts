import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { linesOf } from "../../core/log-block.ts";
import { Masker } from "../../core/masking.ts";
import { withNeeds } from "../../core/plan/needs.ts";
import { selectWorkflows } from "../../core/plan/select.ts";
import { loadWorkflows, WORKFLOW_PLACES } from "../../core/workflow/load.ts";
import { formatWorkflowError, type Workflow } from "../../core/workflow/model.ts";
import {
  findPipelineFile,
  isPipelinePath,
  PIPELINE_FILES,
  pipelineWorkflow,
} from "../../core/workflow/pipeline.ts";
import type { ExecutorKind } from "../../engine/executor.ts";
import { ExecutorRouter } from "../../engine/executors/router.ts";
import { type JobToPlace, placeJob } from "../../engine/labels.ts";
import { planPipelineJob } from "../../engine/pipeline-plan.ts";
import { type JobRecord, type PlannedWorkflow, Scheduler } from "../../engine/scheduler.ts";
import { parseDotenv } from "../dotenv.ts";
import { changedFiles, readGitState } from "../git-context.ts";
import { loadLabelConfig } from "../label-config.ts";
import { defaultPayload, localRunEnvironment, triggerEvent } from "../local-event.ts";
import { TerminalRenderer } from "../render.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const RUN_USAGE = `Usage: equinox run [DIR] [options]

Runs the workflows of the checkout in DIR (default: the current directory) on
this machine, with GitHub/Forgejo Actions semantics. Every format found runs:
Actions YAML (.forgejo/workflows, .gitea/workflows or .github/workflows) and
Solstice's .solstice/workflow.kdl, or its legacy .solstice/job.sh when the
repository has no workflow file at all, and a TypeScript pipeline
(.equinox/ci.ts, .js or .mjs), which the runtime plans and runs.

Options:
  -W, --workflow PATH    run only this workflow file (.yml, .yaml, .kdl, .sh, .ts, .js, .mjs)
  -j, --job ID           run only this job (and the jobs it needs); repeatable
  -e, --event NAME       the triggering event (default: push)
      --event-file FILE  JSON payload of the event (github.event)
      --input K=V        a workflow_dispatch input; repeatable
  -s, --secret K[=V]     a secret (without =V: read from the environment); repeatable
      --secret-file FILE secrets as KEY=VALUE lines
      --env K=V          an environment variable for every job; repeatable
      --var K=V          a configuration variable (vars context); repeatable
      --executor NAME    run every job on host, bwrap or docker (default: by its labels;
                         host, or docker for a job with a container:)
      --labels FILE      which runs-on label runs where (docs/executors.md);
                         default: $EQUINOX_LABELS
      --actions-url URL  git server to fetch remote actions (owner/repo@ref) from
      --list             list the jobs that would run (file, format, job), then exit
      --json             print one JSON document describing the run on stdout
  -q, --quiet            no live output, only the summary
      --keep             keep the job directories after the run
`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workflow: { type: "string", short: "W" },
      job: { type: "string", short: "j", multiple: true },
      event: { type: "string", short: "e" },
      "event-file": { type: "string" },
      input: { type: "string", multiple: true },
      secret: { type: "string", short: "s", multiple: true },
      "secret-file": { type: "string" },
      env: { type: "string", multiple: true },
      var: { type: "string", multiple: true },
      executor: { type: "string" },
      labels: { type: "string" },
      "actions-url": { type: "string" },
      list: { type: "boolean" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(
      `run takes one directory, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  const dir = resolve(positionals[0] ?? ".");
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`not a directory: ${dir}`);

  const override = values.executor ?? null;
  if (override !== null && !["host", "bwrap", "docker", "vm"].includes(override)) {
    throw new UsageError(`unknown executor '${override}' (expected host, bwrap, docker or vm)`);
  }
  // Named so a label config can say where jobs will go, but nothing runs it yet.
  if (override === "vm")
    throw new UsageError("the vm executor is not available yet: use host, bwrap or docker");
  const labels = await loadLabelConfig(values.labels ?? process.env.EQUINOX_LABELS);

  const secrets: Record<string, string> = {};
  if (values["secret-file"]) Object.assign(secrets, await readSecretFile(values["secret-file"]));
  for (const s of values.secret ?? []) {
    const eq = s.indexOf("=");
    const name = eq === -1 ? s : s.slice(0, eq);
    const value = eq === -1 ? process.env[s] : s.slice(eq + 1);
    if (!name) throw new UsageError(`--secret '${s}': expected NAME=VALUE or NAME`);
    if (value === undefined)
      throw new UsageError(`--secret ${name}: no value given and no environment variable ${name}`);
    secrets[name] = value;
  }
  const inputs = keyValues(values.input, "--input");
  const vars = keyValues(values.var, "--var");
  const extraEnv = keyValues(values.env, "--env");

  // Human output goes to stderr with --json so stdout carries only the document.
  const human = values.json ? process.stderr : process.stdout;
  const masker = new Masker();
  for (const v of Object.values(secrets)) masker.add(v);

  // Git state is read, and a runtime started, while the workflows are parsed.
  const root = await mkdtemp(join(tmpdir(), "equinox-run-"));
  const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  const executor = new ExecutorRouter({
    root,
    toolCache: join(cacheHome, "equinox", "tool-cache"),
    env: { ...process.env, ...extraEnv },
    jobEnv: extraEnv,
    keep: values.keep ?? false,
    dockerImage: labels.dockerImage,
  });
  const place = (job: JobToPlace) =>
    placeJob(labels, job, override as ExecutorKind | null, "trusted");
  if (!values.list) {
    if (override === null || override === "host") executor.warm();
    // Jobs sandboxed by default get their sandbox started while the workflows are
    // read; every checkout of `equinox run` reads DIR.
    const sandboxed =
      override === "bwrap"
        ? ({ executor: "bwrap", network: true, limits: {} } as const)
        : override === null && labels.fallback.executor === "bwrap"
          ? labels.fallback
          : null;
    if (sandboxed) executor.warm({ placement: sandboxed, readPaths: [dir] });
  }
  try {
    return await planAndRun();
  } finally {
    await executor.dispose();
    if (!values.keep) await rm(root, { recursive: true, force: true });
    else human.write(`Job directories kept in ${root}\n`);
  }

  async function planAndRun(): Promise<number> {
    const gitState = readGitState(dir);
    const onlyFile = values.workflow === undefined ? undefined : workflowPath(dir, values.workflow);
    // A TS pipeline is code: it is not loaded here but planned by the runtime (below).
    const pipelineFile =
      onlyFile === undefined
        ? await findPipelineFile(dir)
        : isPipelinePath(onlyFile)
          ? onlyFile
          : null;
    const { workflows, errors, files } =
      pipelineFile !== null && onlyFile !== undefined
        ? { workflows: [] as Workflow[], errors: [], files: [] }
        : await loadWorkflows(dir, onlyFile);
    if (errors.length > 0) {
      process.stderr.write(`${errors.map((e) => `error: ${formatWorkflowError(e)}`).join("\n")}\n`);
      return 2;
    }
    if (files.length === 0 && pipelineFile === null) {
      process.stderr.write(
        `equinox: no workflows found in ${dir} (looked in ${[...WORKFLOW_PLACES, ...PIPELINE_FILES].join(", ")})\n`,
      );
      return 2;
    }

    const git = await gitState;
    const eventName = values.event ?? "push";
    const payload = values["event-file"]
      ? await readEventFile(values["event-file"])
      : defaultPayload(eventName, git, inputs);
    const changed = await changedFiles(dir, payload.before, payload.after ?? git.sha);
    const runEnv = localRunEnvironment(dir, git, {
      eventName,
      payload,
      vars,
      secrets,
      actionsUrl: values["actions-url"] ?? process.env.EQUINOX_ACTIONS_URL ?? null,
      debug:
        process.env.ACTIONS_STEP_DEBUG === "true" ||
        vars.ACTIONS_STEP_DEBUG === "true" ||
        secrets.ACTIONS_STEP_DEBUG === "true",
    });
    if (pipelineFile !== null) {
      const plan = await planPipelineJob(executor, runEnv, pipelineFile, { place });
      if (!plan.ok) {
        const lines = plan.errors.map((e) => `error: ${formatWorkflowError(e)}`);
        process.stderr.write(`${masker.mask(lines.join("\n"))}\n`);
        return 2;
      }
      workflows.push(
        pipelineWorkflow(pipelineFile, plan.jobs, {
          name: eventName,
          inputs,
          cron: typeof payload.schedule === "string" ? payload.schedule : null,
        }),
      );
    }
    const selection = selectWorkflows(
      workflows,
      triggerEvent(eventName, git, payload, inputs, changed),
    );
    if (selection.errors.length > 0) {
      process.stderr.write(`${selection.errors.map((e) => `error: ${e}`).join("\n")}\n`);
      return 2;
    }

    const only = values.job ?? null;
    if (only) {
      const known = new Set(selection.selected.flatMap((s) => s.workflow.jobs.map((j) => j.id)));
      const missing = only.filter((id) => !known.has(id));
      if (missing.length > 0) {
        throw new UsageError(
          `no job ${missing.map((m) => `'${m}'`).join(", ")} in the workflows that '${eventName}' triggers (jobs: ${[...known].join(", ") || "none"})`,
        );
      }
    }
    const planned: PlannedWorkflow[] = selection.selected
      .filter((s) => !only || s.workflow.jobs.some((j) => only.includes(j.id)))
      .map((s) => ({ workflow: s.workflow, inputs: s.inputs, only }));

    if (planned.length === 0) {
      const why = selection.skipped.map((s) => `\n  ${s.file}: ${s.reason}`).join("");
      process.stderr.write(`equinox: no workflow is triggered by '${eventName}'${why}\n`);
      if (values.json) process.stdout.write(`${JSON.stringify({ result: "success", jobs: [] })}\n`);
      return 0;
    }
    if (values.list) {
      printList(planned, selection.skipped);
      return 0;
    }
    // Containers a killed `equinox run` left behind go before new ones start.
    await executor.removeOrphans();

    const color = !values.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
    const renderer = new TerminalRenderer((t) => human.write(masker.mask(t)), {
      color,
      quiet: values.quiet ?? false,
    });
    const logs = new Map<string, string[]>();
    const logOf = (key: string) => {
      let lines = logs.get(key);
      if (!lines) {
        lines = [];
        logs.set(key, lines);
      }
      return lines;
    };

    const abort = new AbortController();
    let interrupts = 0;
    const onInterrupt = () => {
      if (++interrupts > 1) process.exit(130);
      process.stderr.write("\nCancelling (press Ctrl-C again to quit at once)…\n");
      abort.abort();
    };
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);

    const scheduler = new Scheduler(executor, runEnv, {
      signal: abort.signal,
      place,
      onEvent(event) {
        renderer.handle(event);
        if (event.type === "job.log") logOf(event.job.key).push(masker.mask(event.line));
        if (event.type === "job.event" && event.event.type === "log")
          for (const line of linesOf(event.event.data))
            logOf(event.job.key).push(masker.mask(line));
      },
    });
    let summary: Awaited<ReturnType<Scheduler["run"]>>;
    try {
      summary = await scheduler.run(planned);
    } finally {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onInterrupt);
    }
    renderer.summary(summary.jobs, summary.result);
    if (values.json) {
      const doc = {
        result: summary.result,
        jobs: summary.jobs.map((j) => jsonJob(j, logs.get(j.key) ?? [])),
      };
      process.stdout.write(`${masker.mask(JSON.stringify(doc))}\n`);
    }
    return summary.result === "success" ? 0 : 1;
  }
}

function jsonJob(job: JobRecord, log: string[]) {
  return {
    id: job.jobId,
    name: job.name,
    matrix: job.matrix,
    runsOn: job.runsOn ?? null,
    result: job.result,
    outputs: job.outputs,
    steps: job.steps.map((s) => ({
      id: s.id,
      name: s.name,
      outcome: s.outcome,
      conclusion: s.conclusion,
    })),
    log: log.join("\n"),
  };
}

function printList(planned: PlannedWorkflow[], skipped: { file: string; reason: string }[]) {
  const rows = planned.flatMap((p) => {
    const wanted = p.only ? withNeeds(p.workflow, p.only) : null;
    return p.workflow.jobs
      .filter((j) => !wanted || wanted.has(j.id))
      .map((j) => [p.workflow.file, p.workflow.format, j.id, j.name ?? j.id]);
  });
  process.stdout.write(formatTable(["WORKFLOW", "FORMAT", "JOB", "NAME"], rows));
  for (const s of skipped) process.stderr.write(`not triggered: ${s.file}: ${s.reason}\n`);
}

/** `-W PATH`, relative to the working directory or to DIR; shown relative to DIR when inside it. */
function workflowPath(dir: string, workflow: string): string {
  const candidates = isAbsolute(workflow)
    ? [workflow]
    : [resolve(workflow), resolve(dir, workflow)];
  const path = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (!path) throw new UsageError(`workflow file not found: ${workflow}`);
  const rel = relative(dir, path);
  return rel.startsWith("..") ? path : rel;
}

function keyValues(items: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} '${item}': expected NAME=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

async function readSecretFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`--secret-file ${path}: ${(err as Error).message}`);
  }
  const parsed = parseDotenv(text);
  if (!parsed.ok) throw new UsageError(`--secret-file ${path}:${parsed.line}: ${parsed.error}`);
  return parsed.values;
}

async function readEventFile(path: string): Promise<Record<string, unknown>> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error("expected a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--event-file ${path}: ${(err as Error).message}`);
  }
}
