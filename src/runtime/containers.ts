import { Buffer } from "node:buffer";
import type { ContainerReply, ContainerRun } from "../core/events.ts";
import { LineBlocks } from "./line-blocks.ts";
import type { EventWriter } from "./output.ts";
import type { ProcessExit, RunningProcess } from "./process.ts";

/**
 * Step containers (`uses: docker://…`, Docker actions) are run by the executor, on
 * the runtime's request: the runtime never holds a container engine's socket, so a
 * job in a sandbox or a container gets no more power over the host than it had. The
 * requests go out as events, the answers come back on stdin (see main.ts).
 */
export class ContainerClient {
  private next = 1;
  private readonly running = new Map<
    number,
    {
      blocks: Record<"stdout" | "stderr", LineBlocks>;
      onOutput(block: Buffer): void;
      exited(exit: ProcessExit): void;
    }
  >();
  private closed: string | null = null;

  constructor(private readonly out: EventWriter) {}

  /** Starts a container; its output arrives in whole-line blocks, as a process's does. */
  start(
    request: Omit<ContainerRun, "type" | "at" | "id">,
    onOutput: (block: Buffer) => void,
  ): RunningProcess {
    const id = this.next++;
    const done = new Promise<ProcessExit>((exited) => {
      if (this.closed) {
        exited({ kind: "spawn-error", message: this.closed });
        return;
      }
      const blocks = {
        stdout: new LineBlocks(this.out.masker),
        stderr: new LineBlocks(this.out.masker),
      };
      this.running.set(id, { blocks, onOutput, exited });
      this.out.emit({ type: "container.run", at: new Date().toISOString(), id, ...request });
    });
    return {
      done,
      terminate: () => {
        if (this.running.has(id))
          this.out.emit({ type: "container.stop", at: new Date().toISOString(), id });
      },
    };
  }

  /** One answer from the executor. */
  deliver(reply: ContainerReply): void {
    const container = this.running.get(reply.id);
    if (!container) return;
    if (reply.type === "container.output") {
      const block = container.blocks[reply.stream]?.push(Buffer.from(reply.data, "base64"));
      if (block) container.onOutput(block);
      return;
    }
    this.running.delete(reply.id);
    for (const blocks of Object.values(container.blocks)) {
      const last = blocks.end();
      if (last) container.onOutput(last);
    }
    container.exited(
      reply.type === "container.exited"
        ? { kind: "exited", code: reply.code }
        : { kind: "spawn-error", message: reply.message },
    );
  }

  /** The executor will answer no more: what runs is lost, what comes fails at once. */
  close(why: string): void {
    this.closed = why;
    for (const [id, container] of this.running) {
      this.running.delete(id);
      container.exited({ kind: "spawn-error", message: why });
    }
  }
}
