import { spawn } from "node:child_process";
import { LineSplitter } from "./line-splitter.ts";

export type ProcessExit =
  | { kind: "exited"; code: number }
  | { kind: "signalled"; signal: string }
  | { kind: "spawn-error"; message: string };

export interface ProcessOptions {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Called with whole lines from stdout and stderr, in arrival order. */
  onLines(lines: string[], stream: "stdout" | "stderr"): void;
}

export interface RunningProcess {
  done: Promise<ProcessExit>;
  /** SIGTERM to the whole process group, then SIGKILL after `graceMs`. */
  terminate(graceMs: number): void;
}

/** After the main process exits, how long inherited pipes may stay open (a backgrounded child). */
const PIPE_LINGER_MS = 200;

/**
 * Runs one step process in its own process group, so cancellation reaches every
 * process the step started, not only the shell.
 */
export function startProcess(opts: ProcessOptions): RunningProcess {
  const child = spawn(opts.program, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  for (const stream of ["stdout", "stderr"] as const) {
    const pipe = child[stream];
    pipe.setEncoding("utf8");
    pipe.on("data", (chunk: string) => {
      const lines = splitters[stream].push(chunk);
      if (lines.length > 0) opts.onLines(lines, stream);
    });
  }

  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };

  const done = new Promise<ProcessExit>((resolve) => {
    let exit: ProcessExit | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (killTimer) clearTimeout(killTimer);
      for (const stream of ["stdout", "stderr"] as const) {
        const lines = splitters[stream].end();
        if (lines.length > 0) opts.onLines(lines, stream);
      }
      resolve(exit ?? { kind: "exited", code: 1 });
    };
    child.once("error", (err) => {
      exit = { kind: "spawn-error", message: err.message };
      finish();
    });
    child.once("exit", (code, signal) => {
      exit = signal ? { kind: "signalled", signal } : { kind: "exited", code: code ?? 1 };
      // A backgrounded grandchild may hold the pipes open; don't wait for it forever.
      const linger = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_LINGER_MS);
      child.once("close", () => {
        clearTimeout(linger);
        finish();
      });
    });
  });

  return {
    done,
    terminate(graceMs) {
      signalGroup("SIGTERM");
      killTimer ??= setTimeout(() => signalGroup("SIGKILL"), graceMs);
      killTimer.unref();
    },
  };
}
