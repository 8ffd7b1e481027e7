import { Buffer } from "node:buffer";
import { readFile, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { ContainerRun } from "../core/events.ts";
import { interpolate } from "../core/expressions/index.ts";
import type { RunStepSpec } from "../core/job-spec.ts";
import { evalOptions, stepContexts } from "./contexts.ts";
import { parseEnvFile, parsePathFile } from "./env-files.ts";
import { type RunningProcess, startProcess } from "./process.ts";
import { resolveShell, shellExtension } from "./shell.ts";
import type { StepContext, StepRun } from "./steps.ts";
import { CommandProcessor, mayHoldCommand } from "./workflow-commands.ts";

/** How long a cancelled step's process group gets between SIGTERM and SIGKILL. */
export const CANCEL_GRACE_MS = 5_000;
const SUMMARY_LIMIT = 1024 * 1024;

/** `run:` — the script is written to a file and run by the step's shell. */
export async function runScriptStep(ctx: StepContext, step: RunStepSpec): Promise<StepRun> {
  const { state, scope } = ctx;
  const contexts = stepContexts(state, scope, ctx.env);
  const opts = evalOptions(state);
  const script = interpolate(step.run, contexts, opts);
  if (!script.ok) return fail(ctx, `run: ${script.error}`);

  const shellTemplate = step.shell ?? state.spec.defaults.shell;
  const dirTemplate = step.workingDirectory ?? state.spec.defaults.workingDirectory;
  const shellName =
    shellTemplate === undefined ? undefined : interpolate(shellTemplate, contexts, opts);
  if (shellName && !shellName.ok) return fail(ctx, `shell: ${shellName.error}`);
  const dir = dirTemplate === undefined ? undefined : interpolate(dirTemplate, contexts, opts);
  if (dir && !dir.ok) return fail(ctx, `working-directory: ${dir.error}`);

  const shell = shellName?.value;
  const n = ++state.fileCounter;
  const scriptPath = join(state.spec.paths.files, `step-${n}${shellExtension(shell)}`);
  const invocation = resolveShell(shell, scriptPath, {
    inContainer: state.spec.inContainer,
    bashAvailable: state.bashAvailable,
  });
  if ("error" in invocation) return fail(ctx, invocation.error);
  await writeFile(scriptPath, script.value);

  const workspace = state.spec.paths.workspace;
  const cwd =
    dir === undefined
      ? workspace
      : isAbsolute(dir.value)
        ? dir.value
        : resolve(workspace, dir.value);
  return runCommand(ctx, { program: invocation.program, args: invocation.args, cwd, extraEnv: {} });
}

export interface CommandSpec {
  program: string;
  args: string[];
  cwd: string;
  extraEnv: Record<string, string>;
  /** Give the process a `GITHUB_STATE` file: only actions have one (for their `post:`). */
  stateFile?: boolean;
  /** Run in a container next to the job instead (`program` then only names it in messages). */
  container?: Pick<ContainerRun, "image" | "entrypoint" | "args">;
}

/**
 * Runs one step process with the Actions step protocol around it: fresh env files,
 * workflow commands on stdout/stderr, masking, timeout and cancellation, and the
 * env files applied after it ends. Shared by `run:` steps and node actions.
 */
/** A step process's result, plus what it saved with `GITHUB_STATE` / `save-state` for its `post:`. */
export type CommandRun = StepRun & { saved: Record<string, string> };

export async function runCommand(ctx: StepContext, cmd: CommandSpec): Promise<CommandRun> {
  const { state, logIndex } = ctx;
  const n = ++state.fileCounter;
  const files = {
    GITHUB_ENV: join(state.spec.paths.files, `env-${n}`),
    GITHUB_OUTPUT: join(state.spec.paths.files, `output-${n}`),
    GITHUB_PATH: join(state.spec.paths.files, `path-${n}`),
    GITHUB_STEP_SUMMARY: join(state.spec.paths.files, `summary-${n}`),
    ...(cmd.stateFile ? { GITHUB_STATE: join(state.spec.paths.files, `state-${n}`) } : {}),
  };
  await Promise.all(Object.values(files).map((f) => writeFile(f, "")));

  const outputs: Record<string, string> = {};
  const saved: Record<string, string> = {};
  const processor = new CommandProcessor({
    debug: state.spec.debug,
    allowUnsecureCommands: ctx.env.ACTIONS_ALLOW_UNSECURE_COMMANDS === "true",
    effects: {
      mask: (value) => state.out.masker.add(value),
      annotation: (a) => state.out.annotation(logIndex, a),
      output: (name, value) => {
        outputs[name] = value;
      },
      state: (name, value) => {
        saved[name] = value;
      },
      env: (name, value) => {
        state.env[name] = value;
      },
      path: (d) => {
        state.path.unshift(d);
      },
    },
  });

  const onOutput = (block: Buffer) => {
    if (state.out.masker.size === 0 && !mayHoldCommand(block)) {
      state.out.logVerbatim(logIndex, block);
      return;
    }
    state.out.log(logIndex, processor.processBlock(block));
  };
  let proc: RunningProcess;
  if (cmd.container) {
    // The image's own PATH and HOME, not this machine's: only the job's variables.
    const env = { ...state.jobEnv, ...ctx.env, ...cmd.extraEnv, ...files };
    proc = state.containers.start({ ...cmd.container, env, workdir: cmd.cwd }, onOutput);
  } else {
    const basePath = state.baseEnv.PATH ?? "";
    const env: NodeJS.ProcessEnv = {
      ...state.baseEnv,
      ...ctx.env,
      ...cmd.extraEnv,
      ...files,
      PATH: state.path.length > 0 ? `${state.path.join(":")}:${basePath}` : basePath,
    };
    proc = startProcess({
      program: cmd.program,
      args: cmd.args,
      cwd: cmd.cwd,
      env,
      onOutput,
      backpressure: () => state.out.blocked(),
      cutGuard: state.out.masker,
    });
  }
  state.current = { process: proc, runsDespiteCancel: ctx.runsDespiteCancel };
  let timedOut = false;
  const timer =
    ctx.timeoutMs === null
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          proc.terminate(CANCEL_GRACE_MS);
        }, ctx.timeoutMs);
  // Cancellation may have arrived after this step was chosen but before it started.
  const stopsOnCancel = !ctx.runsDespiteCancel;
  if (state.cancelled && stopsOnCancel) proc.terminate(CANCEL_GRACE_MS);
  const exit = await proc.done;
  if (timer) clearTimeout(timer);
  state.current = null;

  if (exit.kind === "spawn-error") {
    const hint = exit.message.includes("ENOENT")
      ? ` (is '${cmd.cwd}' an existing directory and '${cmd.program}' installed?)`
      : "";
    return { ...fail(ctx, `Failed to start '${cmd.program}': ${exit.message}${hint}`), saved };
  }
  if (timedOut) {
    state.out.log(logIndex, [
      `##[error]The step has timed out after ${ctx.timeoutMs! / 60_000} minutes.`,
    ]);
    return { outcome: "cancelled", outputs, timedOut: true, saved };
  }
  if (state.cancelled && stopsOnCancel) {
    state.out.log(logIndex, ["##[error]The operation was canceled."]);
    return { outcome: "cancelled", outputs, saved };
  }

  const applied = await applyEnvFiles(ctx, files, outputs, saved);
  if (exit.kind === "signalled") {
    return { ...fail(ctx, `Process was killed by signal ${exit.signal}.`, outputs), saved };
  }
  if (exit.code !== 0) {
    return { ...fail(ctx, `Process completed with exit code ${exit.code}.`, outputs), saved };
  }
  // As in Actions, a workflow command that could not be processed fails the step.
  return { outcome: applied && !processor.failed ? "success" : "failure", outputs, saved };
}

/** Applies GITHUB_ENV/OUTPUT/STATE/PATH/STEP_SUMMARY; false when one of them was malformed. */
async function applyEnvFiles(
  ctx: StepContext,
  files: Record<"GITHUB_ENV" | "GITHUB_OUTPUT" | "GITHUB_PATH" | "GITHUB_STEP_SUMMARY", string> & {
    GITHUB_STATE?: string;
  },
  outputs: Record<string, string>,
  saved: Record<string, string>,
): Promise<boolean> {
  const { state, logIndex } = ctx;
  const [envText, outputText, stateText, pathText, summary] = await Promise.all(
    [
      files.GITHUB_ENV,
      files.GITHUB_OUTPUT,
      files.GITHUB_STATE ?? null,
      files.GITHUB_PATH,
      files.GITHUB_STEP_SUMMARY,
    ].map(readOptional),
  );
  /** Parses a name=value file command; logs the runner's error and returns null if malformed. */
  const entries = (
    text: string,
    command: "env" | "output" | "state",
  ): [string, string][] | null => {
    if (!text) return [];
    const parsed = parseEnvFile(text);
    if (parsed.ok) return parsed.entries;
    state.out.log(logIndex, [
      `##[error]Unable to process file command '${command}' successfully.`,
      `##[error]${parsed.error}`,
    ]);
    return null;
  };
  const env = entries(envText ?? "", "env");
  for (const [name, value] of env ?? []) {
    if (name.toUpperCase() === "NODE_OPTIONS") {
      state.out.log(logIndex, [
        "##[warning]Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.",
      ]);
      continue;
    }
    state.env[name] = value;
  }
  const output = entries(outputText ?? "", "output");
  for (const [name, value] of output ?? []) outputs[name] = value;
  const stateEntries = entries(stateText ?? "", "state");
  for (const [name, value] of stateEntries ?? []) saved[name] = value;
  const ok = env !== null && output !== null && stateEntries !== null;
  if (pathText) {
    for (const dir of parsePathFile(pathText)) state.path.unshift(dir);
  }
  if (summary && summary.trim() !== "") {
    if (Buffer.byteLength(summary) > SUMMARY_LIMIT) {
      state.out.log(logIndex, [
        `##[error]The step summary is larger than the 1 MiB limit and was dropped.`,
      ]);
    } else {
      state.out.emit({
        type: "step.summary",
        at: new Date().toISOString(),
        index: logIndex,
        markdown: state.out.masker.mask(summary),
      });
    }
  }
  return ok;
}

async function readOptional(path: string | null): Promise<string> {
  if (path === null) return "";
  try {
    return await readFile(path, "utf8");
  } catch {
    return "";
  }
}

export function fail(
  ctx: StepContext,
  message: string,
  outputs: Record<string, string> = {},
): StepRun {
  ctx.state.out.log(ctx.logIndex, [`##[error]${message}`]);
  return { outcome: "failure", outputs };
}
