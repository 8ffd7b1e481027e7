import type { JobState, LogSlice } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { LiveLogMessage, LogHub } from "./log-hub.ts";

export interface FollowHandlers {
  /** Consecutive lines, in order, each line exactly once. */
  onLines(slice: LogSlice): void | Promise<void>;
  onEnd(state: JobState): void | Promise<void>;
}

const PAGE = 5000;

/** Live lines held for a follower whose reader is slower than the job: beyond, it reads the store. */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

export interface FollowOptions {
  signal?: AbortSignal;
  /** Default MAX_QUEUED_BYTES. */
  maxQueuedBytes?: number;
}

export interface FollowStats {
  /** The most live-line bytes (UTF-16 code units) ever held at once. */
  peakQueuedBytes: number;
  /** How often the held lines were dropped and read again from the store. */
  overflows: number;
}

/**
 * Streams one job's log from after line `after` until the job ends (or the signal
 * aborts): what the store holds, then the lines being written, then live ones.
 * Resolves when the stream is over. For a job that already ended, it sends the rest
 * of the log and the end at once.
 *
 * Live lines wait in memory while `onLines` is busy (a slow reader), up to
 * `maxQueuedBytes`; past that they are dropped and the follower reads them from the
 * store (and the hub's lines being written) when it gets to them, so a slow reader
 * costs bounded memory and still gets every line once.
 */
export async function followJobLog(
  store: Store,
  hub: LogHub,
  jobId: number,
  after: number,
  handlers: FollowHandlers,
  options: FollowOptions = {},
): Promise<FollowStats> {
  const { signal } = options;
  const maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  const stats: FollowStats = { peakQueuedBytes: 0, overflows: 0 };
  const queue: LiveLogMessage[] = [];
  let queuedBytes = 0;
  /** Live lines were dropped: read them from the store before anything queued. */
  let overflowed = false;
  let wake: (() => void) | null = null;
  const unsubscribe = hub.subscribe(jobId, (message) => {
    if (message.kind === "lines") {
      if (overflowed) return;
      const bytes = sliceBytes(message.slice);
      if (queuedBytes + bytes > maxQueuedBytes) {
        // Lines queued are a prefix of what follows: dropping them all keeps the order.
        stats.overflows++;
        overflowed = true;
        const end = queue.filter((m) => m.kind === "end");
        queue.length = 0;
        queue.push(...end);
        queuedBytes = 0;
      } else {
        queue.push(message);
        queuedBytes += bytes;
        stats.peakQueuedBytes = Math.max(stats.peakQueuedBytes, queuedBytes);
      }
    } else queue.push(message);
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
  /** Live lines, after the stored ones they follow: a gap means those were written meanwhile. */
  const sendLive = async (slice: LogSlice) => {
    if (slice.firstLine > last + 1) await catchUp();
    if (signal?.aborted) return;
    await send(slice);
  };
  /** The store, then the lines being written: everything up to now. */
  const catchUpAll = async () => {
    await catchUp();
    if (!signal?.aborted) await sendLive(hub.pending(jobId, last + 1));
  };

  try {
    const job = await store.getJob(jobId);
    if (!job) return stats;
    await catchUp();
    if (job.state.status === "completed") {
      await handlers.onEnd(job.state);
      return stats;
    }
    await sendLive(hub.pending(jobId, last + 1));
    while (!signal?.aborted) {
      if (overflowed) {
        // Cleared first: lines published from now on are queued, earlier ones are
        // in the store or still pending by the time they are read.
        overflowed = false;
        await catchUpAll();
        continue;
      }
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
        return stats;
      }
      queuedBytes -= sliceBytes(message.slice);
      await sendLive(message.slice);
    }
    return stats;
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}

function sliceBytes(slice: LogSlice): number {
  let bytes = 0;
  for (const line of slice.lines) bytes += line.length + 1;
  return bytes;
}
