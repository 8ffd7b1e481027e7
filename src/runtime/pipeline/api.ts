import { isAbsolute, resolve } from "node:path";
import { format } from "node:util";
import type { ShOptions, ShResult } from "../../../types/pipeline.d.ts";
import { blockLines } from "../line-blocks.ts";
import { type RunningProcess, startProcess } from "../process.ts";
import { CANCEL_GRACE_MS } from "../run-step.ts";
import type { StepContext } from "../steps.ts";
import type { Source } from "./plan.ts";

/**
 * `sh(cmd, {env, cwd})`: a string runs under `sh -c`, an array as argv. Output streams
 * into the job log line by line (masked by the writer); never throws on a non-zero exit.
 */
export function makeSh(ctx: StepContext) {
  const { state, logIndex } = ctx;
  const running = new Set<RunningProcess>();
  const group: RunningProcess = {
    done: Promise.resolve({ kind: "exited", code: 0 }),
    terminate(graceMs) {
      for (const p of running) p.terminate(graceMs);
    },
  };
  return async (cmd: string | string[], opts: ShOptions = {}): Promise<ShResult> => {
    const argv = typeof cmd === "string" ? ["sh", "-c", cmd] : cmd.map(String);
    const shown = typeof cmd === "string" ? cmd : argv.map(quote).join(" ");
    if (argv.length === 0 || argv[0] === "") throw new Error("sh(): empty command");
    state.out.log(logIndex, [`$ ${shown}`]);
    const workspace = state.spec.paths.workspace;
    const cwd =
      opts.cwd === undefined
        ? workspace
        : isAbsolute(opts.cwd)
          ? opts.cwd
          : resolve(workspace, opts.cwd);
    const out = { stdout: [] as string[], stderr: [] as string[] };
    const proc = startProcess({
      program: argv[0]!,
      args: argv.slice(1),
      cwd,
      env: { ...state.baseEnv, ...ctx.env, ...opts.env },
      onOutput(block, stream) {
        const lines = blockLines(block);
        for (const line of lines) out[stream].push(line);
        state.out.log(logIndex, lines);
      },
      backpressure: () => state.out.blocked(),
      cutGuard: state.out.masker,
    });
    // A job may run several commands at once (Promise.all): cancelling reaches them all.
    running.add(proc);
    state.current = { process: group, runsDespiteCancel: ctx.runsDespiteCancel };
    if (state.cancelled && !ctx.runsDespiteCancel) proc.terminate(CANCEL_GRACE_MS);
    const exit = await proc.done;
    running.delete(proc);
    if (running.size === 0 && state.current?.process === group) state.current = null;
    const code =
      exit.kind === "exited"
        ? exit.code
        : exit.kind === "signalled"
          ? 128 + signalNumber(exit.signal)
          : 127;
    if (exit.kind === "spawn-error") {
      out.stderr.push(`${argv[0]}: ${exit.message}`);
      state.out.log(logIndex, [`${argv[0]}: ${exit.message}`]);
    }
    return { exit: code, stdout: out.stdout.join("\n"), stderr: out.stderr.join("\n"), cmd: shown };
  };
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function signalNumber(signal: string): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

/** `secret(name)`: the value, registered for masking (again: the spec's secrets already are). */
export function makeSecret(ctx: StepContext) {
  return (name: string): string => {
    const value = ctx.state.spec.contexts.secrets[name];
    if (value === undefined)
      throw new Error(`secret('${name}'): no such secret (pass it with -s ${name}=…)`);
    ctx.state.out.masker.add(value);
    return value;
  };
}

/** The source a run's event stands for. */
export function activeSource(eventName: unknown): Source | null {
  if (eventName === "push") return "push";
  if (eventName === "schedule") return "schedule";
  if (eventName === "workflow_dispatch") return "manual";
  return null;
}

/** What `jobs("push")` etc. return, read from the `github` context. */
export function sourceData(source: Source, ctx: StepContext): Record<string, unknown> {
  const github = ctx.state.spec.contexts.github;
  const event = (github.event ?? {}) as Record<string, unknown>;
  if (source === "manual")
    return { ...(event.inputs as object), ...ctx.state.spec.contexts.inputs };
  if (source === "schedule")
    return { schedule: event.schedule ?? null, sha: github.sha, ref: github.ref };
  const ref = String(github.ref ?? "");
  const head = (event.head_commit ?? {}) as Record<string, unknown>;
  return {
    sha: github.sha,
    ref,
    before: event.before ?? null,
    branch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null,
    tag: ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : null,
    pushedAt: typeof head.timestamp === "string" ? head.timestamp : RUNTIME_START,
    pusher: github.actor ?? null,
    changedFiles: Array.isArray(event.changed_files) ? event.changed_files : [],
  };
}

const RUNTIME_START = new Date().toISOString();

/** The pipeline's `console`: lines go to the step's log (masked), warnings as annotations-free lines. */
export function logConsole(ctx: StepContext) {
  const write = (...args: unknown[]) => ctx.state.out.log(ctx.logIndex, [format(...args)]);
  return { log: write, info: write, debug: write, warn: write, error: write };
}
