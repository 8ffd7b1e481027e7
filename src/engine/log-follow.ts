import type { JobState, LogSlice } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { LiveLogMessage, LogHub } from "./log-hub.ts";

export interface FollowHandlers {
  /** Consecutive lines, in order, each line exactly once. */
  onLines(slice: LogSlice): void | Promise<void>;
  onEnd(state: JobState): void | Promise<void>;
}

const PAGE = 5000;

/**
 * Streams one job's log from after line `after` until the job ends (or `signal`
 * aborts): what the store holds, then the lines being written, then live ones.
 * Resolves when the stream is over. For a job that already ended, it sends the rest
 * of the log and the end at once.
 */
export async function followJobLog(
  store: Store,
  hub: LogHub,
  jobId: number,
  after: number,
  handlers: FollowHandlers,
  signal?: AbortSignal,
): Promise<void> {
  const queue: LiveLogMessage[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = hub.subscribe(jobId, (message) => {
    queue.push(message);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  let last = after;

  const send = async (slice: LogSlice) => {
    const skip = Math.max(0, last + 1 - slice.firstLine);
    if (skip >= slice.lines.length) return;
    const lines = skip > 0 ? slice.lines.slice(skip) : slice.lines;
    await handlers.onLines({ firstLine: slice.firstLine + skip, lines });
    last = slice.firstLine + skip + lines.length - 1;
  };
  /** Everything the store has after `last`. */
  const catchUp = async () => {
    for (;;) {
      const slice = await store.readLog(jobId, { fromLine: last + 1, limit: PAGE });
      if (slice.lines.length === 0 || signal?.aborted) return;
      await send(slice);
    }
  };

  try {
    const job = await store.getJob(jobId);
    if (!job) return;
    await catchUp();
    if (job.state.status === "completed") {
      await handlers.onEnd(job.state);
      return;
    }
    await send(hub.pending(jobId, last + 1));
    while (!signal?.aborted) {
      const message = queue.shift();
      if (!message) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      if (message.kind === "end") {
        await catchUp();
        await handlers.onEnd(message.state);
        return;
      }
      // A gap means lines were written while we read: they are in the store now.
      if (message.slice.firstLine > last + 1) await catchUp();
      await send(message.slice);
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}
