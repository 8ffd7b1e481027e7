import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { EventDecoder } from "../../core/event-stream.ts";
import type { ContainerReply } from "../../core/events.ts";
import type { StepContainers } from "../docker/step-containers.ts";
import type { RunningRuntime, RuntimeExit, Session } from "../executor.ts";
import { LineReader } from "../line-reader.ts";

/**
 * Talks to a started runtime process, wherever it runs (on the host, in bwrap, in a
 * container): the spec on its stdin, events from its stdout, diagnostics from its
 * stderr; cancel is SIGTERM, kill is SIGKILL — to the process started here, unless
 * `signal` delivers them elsewhere (a container's `docker run` client does not pass
 * signals on). The runtime's requests for step containers go to `containers`, and
 * their answers back on its stdin; they are no one else's business.
 */
export function attachRuntime(
  child: ChildProcessWithoutNullStreams,
  specJson: string,
  handlers: Parameters<Session["start"]>[1],
  options: { signal?: (signal: NodeJS.Signals) => void; containers?: StepContainers } = {},
): RunningRuntime {
  const { signal, containers } = options;
  const reply = (answer: ContainerReply): boolean =>
    child.stdin.writableEnded || child.stdin.write(`${JSON.stringify(answer)}\n`);
  child.stdin.on("drain", () => containers?.drained());
  const decoder = new EventDecoder();
  const deliver = (results: ReturnType<EventDecoder["push"]>) => {
    for (const r of results) {
      if (r.ok && (r.event.type === "container.run" || r.event.type === "container.stop")) {
        if (containers) containers.handle(r.event, reply);
        else if (r.event.type === "container.run")
          reply({
            type: "container.failed",
            id: r.event.id,
            message: "this executor runs no step containers",
          });
      } else if (r.ok) handlers.onEvent(r.event);
      else
        handlers.onDiagnostic(`runtime event line ${r.line}: ${r.error}: ${r.text.slice(0, 200)}`);
    }
  };
  // Until the runtime has said something it may not have its signal handlers yet (Node
  // is still loading it), and SIGTERM would kill it outright: a cancel waits for that.
  let heard = false;
  let cancelWaiting = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (!heard) {
      heard = true;
      if (cancelWaiting) send("SIGTERM");
    }
    deliver(decoder.push(chunk));
  });
  const stderr = new LineReader((line) => handlers.onDiagnostic(line));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => stderr.push(chunk));
  // The runtime may exit before reading everything (e.g. a bad spec); that is reported by its exit.
  child.stdin.on("error", () => {});
  // The spec is the first line; stdin stays open for the answers about step containers.
  child.stdin.write(`${specJson}\n`);
  if (!containers) child.stdin.end();

  const exited = new Promise<RuntimeExit>((resolve) => {
    child.once("error", (err) => resolve({ kind: "spawn-error", message: err.message }));
    child.once("close", (code, signal) => {
      child.stdin.end();
      deliver(decoder.end());
      stderr.end();
      resolve(signal ? { kind: "signalled", signal } : { kind: "exited", code: code ?? 1 });
    });
  });
  const send = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (signal) signal(sig);
    else child.kill(sig);
  };
  const cancel = () => {
    if (heard) send("SIGTERM");
    else cancelWaiting = true;
  };
  return { exited, cancel, kill: () => send("SIGKILL") };
}
