import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { NdjsonDecoder } from "../../core/ndjson.ts";
import type {
  Executor,
  PrepareRequest,
  RunningRuntime,
  RuntimeExit,
  Session,
} from "../executor.ts";
import { LineReader } from "../line-reader.ts";
import { runtimeBundlePath } from "../runtime-bundle.ts";

export interface HostExecutorOptions {
  /** Directory under which each job gets `<jobKey>/{workspace,temp,files}`. */
  root: string;
  /** Shared between jobs and runs (remote actions are cached here). */
  toolCache: string;
  /** Environment the runtime (and so every step) starts from. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Keep job directories after the job (for debugging). */
  keep?: boolean;
}

/**
 * Runs the runtime as a child process on this machine. No isolation: for trusted
 * code only (a developer's own checkout, a trusted server).
 */
export class HostExecutor implements Executor {
  readonly kind = "host";
  /** A runtime process already started and waiting for its spec on stdin. */
  private spare: ChildProcessWithoutNullStreams | null = null;
  constructor(private readonly options: HostExecutorOptions) {}

  private spawnRuntime(): ChildProcessWithoutNullStreams {
    // The runtime changes into the job's workspace itself once it has read its spec.
    return spawn(process.execPath, [runtimeBundlePath()], {
      cwd: this.options.root,
      env: this.options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  warm(): void {
    if (this.spare && this.spare.exitCode === null && this.spare.signalCode === null) return;
    this.spare = this.spawnRuntime();
    this.spare.on("error", () => {});
  }

  async dispose(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    if (!spare || spare.exitCode !== null || spare.signalCode !== null) return;
    const closed = new Promise((resolve) => spare.once("close", resolve));
    spare.kill("SIGKILL");
    await closed;
  }

  private takeRuntime(): ChildProcessWithoutNullStreams {
    const spare = this.spare;
    this.spare = null;
    if (spare && spare.exitCode === null && spare.signalCode === null) return spare;
    return this.spawnRuntime();
  }

  async prepare(request: PrepareRequest): Promise<Session> {
    const dir = join(this.options.root, request.jobKey);
    const paths = {
      workspace: join(dir, "workspace"),
      temp: join(dir, "temp"),
      files: join(dir, "files"),
      toolCache: this.options.toolCache,
    };
    await mkdir(paths.workspace, { recursive: true });
    const keep = this.options.keep ?? false;
    return {
      paths,
      inContainer: false,
      start: (spec, handlers) => attachRuntime(this.takeRuntime(), JSON.stringify(spec), handlers),
      cleanup: async () => {
        if (!keep) await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

function attachRuntime(
  child: ChildProcessWithoutNullStreams,
  specJson: string,
  handlers: Parameters<Session["start"]>[1],
): RunningRuntime {
  const decoder = new NdjsonDecoder();
  const deliver = (results: ReturnType<NdjsonDecoder["push"]>) => {
    for (const r of results) {
      if (r.ok) handlers.onEvent(r.event);
      else
        handlers.onDiagnostic(`runtime event line ${r.line}: ${r.error}: ${r.text.slice(0, 200)}`);
    }
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => deliver(decoder.push(chunk)));
  const stderr = new LineReader((line) => handlers.onDiagnostic(line));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => stderr.push(chunk));
  // The runtime may exit before reading everything (e.g. a bad spec); that is reported by its exit.
  child.stdin.on("error", () => {});
  child.stdin.end(specJson);

  const exited = new Promise<RuntimeExit>((resolve) => {
    child.once("error", (err) => resolve({ kind: "spawn-error", message: err.message }));
    child.once("close", (code, signal) => {
      deliver(decoder.end());
      stderr.end();
      resolve(signal ? { kind: "signalled", signal } : { kind: "exited", code: code ?? 1 });
    });
  });
  const send = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  return { exited, cancel: () => send("SIGTERM"), kill: () => send("SIGKILL") };
}
