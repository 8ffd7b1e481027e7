import { spawn } from "node:child_process";
import { type CutGuard, LineBlocks } from "./line-blocks.ts";

export type ProcessExit =
  | { kind: "exited"; code: number }
  | { kind: "signalled"; signal: string }
  | { kind: "spawn-error"; message: string };

export interface ProcessOptions {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Called with whole lines from stdout or stderr, in arrival order; a block ends with `\n`. */
  onOutput(block: Buffer, stream: "stdout" | "stderr"): void;
  /**
   * Pending while whoever takes the output has no room for more: the pipes are not
   * read until it resolves, so a step that prints faster than its log can be stored
   * waits instead of piling its output up in memory.
   */
  backpressure?(): Promise<void> | null;
  /** The secrets a line longer than MAX_LINE_BYTES must not be cut through (the masker). */
  cutGuard?: CutGuard;
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
  const splitters = {
    stdout: new LineBlocks(opts.cutGuard),
    stderr: new LineBlocks(opts.cutGuard),
  };
  let paused = false;
  const waitForRoom = () => {
    const room = paused ? null : opts.backpressure?.();
    if (!room) return;
    paused = true;
    child.stdout.pause();
    child.stderr.pause();
    void room.then(() => {
      paused = false;
      child.stdout.resume();
      child.stderr.resume();
    });
  };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream].on("data", (chunk: Buffer) => {
      const block = splitters[stream].push(chunk);
      if (block) {
        opts.onOutput(block, stream);
        waitForRoom();
      }
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
        const block = splitters[stream].end();
        if (block) opts.onOutput(block, stream);
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
      // While the pipes are paused for back-pressure, what they hold is still the
      // step's own output: the wait starts over until it has been read.
      let linger: NodeJS.Timeout;
      const stopReading = () => {
        if (paused) {
          linger = setTimeout(stopReading, PIPE_LINGER_MS);
          return;
        }
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      };
      linger = setTimeout(stopReading, PIPE_LINGER_MS);
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
