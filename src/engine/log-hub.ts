import { type LogBlock, linesOf } from "../core/log-block.ts";
import type { JobState, LogSlice } from "../store/records.ts";

export type LiveLogMessage = { kind: "lines"; slice: LogSlice } | { kind: "end"; state: JobState };

interface LiveJob {
  /** Texts being written to the store: published, not yet readable there; in order. */
  pending: { firstLine: number; log: LogBlock }[];
  listeners: Set<(message: LiveLogMessage) => void>;
}

/**
 * Live log fan-out inside one server process. The recorder publishes each batch of
 * lines just before it writes them to the store and marks them persisted after; a
 * follower reads the store, then `pending`, then what arrives — line numbers make the
 * overlap harmless (docs/store.md, "Logs").
 */
export class LogHub {
  private readonly jobs = new Map<number, LiveJob>();

  private job(jobId: number): LiveJob {
    let job = this.jobs.get(jobId);
    if (!job) {
      job = { pending: [], listeners: new Set() };
      this.jobs.set(jobId, job);
    }
    return job;
  }

  publish(jobId: number, firstLine: number, log: LogBlock): void {
    const job = this.job(jobId);
    job.pending.push({ firstLine, log });
    if (job.listeners.size === 0) return;
    const slice = { firstLine, lines: linesOf(log.data) };
    for (const listener of job.listeners) listener({ kind: "lines", slice });
  }

  /** Lines up to `throughLine` are in the store now. */
  persisted(jobId: number, throughLine: number): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    while (job.pending.length > 0) {
      const first = job.pending[0]!;
      if (first.firstLine + first.log.lines - 1 > throughLine) break;
      job.pending.shift();
    }
  }

  /** The job ended and every line is stored. */
  end(jobId: number, state: JobState): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.delete(jobId);
    for (const listener of job.listeners) listener({ kind: "end", state });
  }

  pending(jobId: number, fromLine: number): LogSlice {
    const job = this.jobs.get(jobId);
    const first = job?.pending[0];
    if (!job || !first) return { firstLine: fromLine, lines: [] };
    const lines = job.pending.flatMap((p) => linesOf(p.log.data));
    const skip = Math.max(0, fromLine - first.firstLine);
    return { firstLine: first.firstLine + skip, lines: lines.slice(skip) };
  }

  subscribe(jobId: number, listener: (message: LiveLogMessage) => void): () => void {
    const job = this.job(jobId);
    job.listeners.add(listener);
    return () => {
      job.listeners.delete(listener);
      if (job.listeners.size === 0 && job.pending.length === 0 && this.jobs.get(jobId) === job)
        this.jobs.delete(jobId);
    };
  }
}
