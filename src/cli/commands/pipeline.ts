import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatWorkflowError } from "../../core/workflow/model.ts";
import { findPipelineFile, PIPELINE_FILES } from "../../core/workflow/pipeline.ts";
import { HostExecutor } from "../../engine/executors/host.ts";
import { planPipelineJob } from "../../engine/pipeline-plan.ts";
import { readGitState } from "../git-context.ts";
import { defaultPayload, localRunEnvironment } from "../local-event.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const PIPELINE_USAGE = `Usage: equinox pipeline check [DIR] [-W FILE]

Validates the TypeScript pipeline of the checkout in DIR (.equinox/ci.ts, .js or
.mjs) without running a job: the runtime loads it, as it would for a run, and
reports its jobs, or every problem with file and line (exit 2).
`;

export async function pipelineCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workflow: { type: "string", short: "W" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(PIPELINE_USAGE);
    return 0;
  }
  const [sub, ...dirs] = positionals;
  if (sub !== "check")
    throw new UsageError(`unknown pipeline command '${sub ?? ""}' (expected check)`);
  if (dirs.length > 1)
    throw new UsageError(`pipeline check takes one directory, got ${dirs.length}`);
  const dir = resolve(dirs[0] ?? ".");
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`not a directory: ${dir}`);
  const file = values.workflow ?? (await findPipelineFile(dir));
  if (file === null) {
    process.stderr.write(
      `equinox: no pipeline found in ${dir} (looked for ${PIPELINE_FILES.join(", ")})\n`,
    );
    return 2;
  }

  const git = await readGitState(dir);
  const root = await mkdtemp(join(tmpdir(), "equinox-check-"));
  const executor = new HostExecutor({
    root,
    toolCache: join(root, "tool-cache"),
    env: process.env,
    keep: false,
  });
  try {
    const plan = await planPipelineJob(
      executor,
      localRunEnvironment(dir, git, {
        eventName: "push",
        payload: defaultPayload("push", git, {}),
      }),
      file,
    );
    if (!plan.ok) {
      process.stderr.write(
        `${plan.errors.map((e) => `error: ${formatWorkflowError(e)}`).join("\n")}\n`,
      );
      return 2;
    }
    const rows = plan.jobs.map((j) => [
      j.id,
      j.inputs.join(", "),
      j.allowFailure ? "allowFailure" : "",
    ]);
    process.stdout.write(formatTable(["JOB", "INPUTS", "OPTIONS"], rows));
    process.stderr.write(`${file}: ${plan.jobs.length} job(s), no problems\n`);
    return 0;
  } finally {
    await executor.dispose();
    await rm(root, { recursive: true, force: true });
  }
}
