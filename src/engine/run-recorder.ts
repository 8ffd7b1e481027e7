import { Buffer } from "node:buffer";
import { blockOf, type LogBlock, linesOf, logBlock } from "../core/log-block.ts";
import type { Masker } from "../core/masking.ts";
import type { EndReason, JobState } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { LogHub } from "./log-hub.ts";
import type { JobInfo, JobRecord, SchedulerEvent } from "./scheduler.ts";

export interface RecorderOptions {
  /** Per job; lines beyond it are dropped, with one line saying so. Default 512 MiB. */
  maxLogBytes?: number;
  /** How long log lines may wait before they are written. Default 50 ms. */
  flushMs?: number;
  onDiagnostic?(line: string): void;
}

interface RecordedJob {
  /** The store's id, once the row exists. */
  id: Promise<number>;
  /** Log blocks waiting to be written, and how many lines and bytes they hold. */
  buffer: Buffer[];
  bufferLines: number;
  bufferBytes: number;
  lines: number;
  bytes: number;
  truncated: boolean;
  ended: boolean;
}

/** A buffer this large is written at once rather than at the next tick. */
const FLUSH_BYTES = 4 * 1024 * 1024;

/**
 * Records one run's scheduler events in the store as they happen: job rows, steps,
 * results, and logs (coalesced per job, written in order, published to the hub just
 * before each write). Every store write goes through one chain, so a job's rows are
 * always written in the order its events arrived. `close()` flushes and waits.
 */
export class RunRecorder {
  private readonly jobs = new Map<string, RecordedJob>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly maxLogBytes: number;
  private readonly flushMs: number;
  /** Set when the run is cancelled, for the jobs it ends. */
  cancelReason: EndReason | null = null;
  onFirstJobStarted: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly hub: LogHub,
    private readonly runId: number,
    private readonly masker: Masker,
    private readonly options: RecorderOptions = {},
  ) {
    this.maxLogBytes = options.maxLogBytes ?? 512 * 1024 * 1024;
    this.flushMs = options.flushMs ?? 50;
  }

  /** Queues a store write after every earlier one; failures are diagnostics, never lost silently. */
  private write<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const next = this.chain.then(fn).catch((err: Error) => {
      this.options.onDiagnostic?.(`store: ${what}: ${err.message}`);
      return undefined;
    });
    this.chain = next;
    return next;
  }

  /** The job's record, creating its row on first sight (a job skipped before it was queued has no `job.queued`). */
  private job(info: JobInfo): RecordedJob {
    let job = this.jobs.get(info.key);
    if (job) return job;
    const created = this.write("create job", () =>
      this.store.createJob(this.runId, {
        key: info.key,
        jobId: info.jobId,
        name: info.name,
        matrix: info.matrix,
        runsOn: info.runsOn ?? null,
      }),
    );
    job = {
      id: created.then((row) => {
        if (!row) throw new Error(`job ${info.key} could not be stored`);
        return row.id;
      }),
      buffer: [],
      bufferLines: 0,
      bufferBytes: 0,
      lines: 0,
      bytes: 0,
      truncated: false,
      ended: false,
    };
    job.id.catch(() => {});
    this.jobs.set(info.key, job);
    return job;
  }

  handle(event: SchedulerEvent): void {
    switch (event.type) {
      case "job.queued":
        this.job(event.job);
        break;
      case "job.started": {
        const job = this.job(event.job);
        this.onFirstJobStarted?.();
        this.onFirstJobStarted = null;
        const at = Date.now();
        this.write("start job", async () => this.store.startJob(await job.id, at));
        break;
      }
      case "job.log":
        this.log(event.job, logBlock([this.masker.mask(event.line)]));
        break;
      case "job.event": {
        const e = event.event;
        const job = this.job(event.job);
        if (e.type === "log") this.log(event.job, blockOf(e.data));
        else if (e.type === "step.started") {
          this.flushJob(job);
          const at = Date.parse(e.at);
          this.write("start step", async () =>
            this.store.startStep(await job.id, e.index, e.name, at),
          );
        } else if (e.type === "step.finished") {
          this.flushJob(job);
          const at = Date.parse(e.at);
          this.write("finish step", async () =>
            this.store.finishStep(await job.id, e.index, {
              result: e.conclusion,
              outcome: e.outcome,
              at,
            }),
          );
        }
        break;
      }
      case "job.finished":
        this.finish(event.job);
        break;
      case "diagnostic":
        this.options.onDiagnostic?.(`${event.job ? `${event.job.key}: ` : ""}${event.line}`);
        break;
    }
  }

  /** Lines for a job's log, in order. */
  private log(info: JobInfo, block: LogBlock): void {
    const job = this.job(info);
    if (job.truncated || block.lines === 0) return;
    if (job.bytes + block.data.length <= this.maxLogBytes) {
      job.bytes += block.data.length;
      this.buffer(job, block);
    } else {
      // The lines that still fit, then one that says the rest is not stored.
      const room = this.maxLogBytes - job.bytes;
      const lines = linesOf(block.data);
      let kept = 0;
      let keptBytes = 0;
      while (kept < lines.length && keptBytes + Buffer.byteLength(lines[kept]!) + 1 <= room)
        keptBytes += Buffer.byteLength(lines[kept++]!) + 1;
      if (kept > 0) this.buffer(job, logBlock(lines.slice(0, kept)));
      this.buffer(
        job,
        logBlock([
          `##[warning]The log exceeded ${Math.round(this.maxLogBytes / 1024 / 1024)} MiB; the rest of this job's output is not stored.`,
        ]),
      );
      job.bytes += keptBytes;
      job.truncated = true;
    }
    if (job.bufferBytes >= FLUSH_BYTES) this.flushJob(job);
    else this.timer ??= setTimeout(() => this.flushAll(), this.flushMs);
  }

  private buffer(job: RecordedJob, block: LogBlock) {
    job.buffer.push(block.data);
    job.bufferLines += block.lines;
    job.bufferBytes += block.data.length;
  }

  private flushAll() {
    this.timer = null;
    for (const job of this.jobs.values()) this.flushJob(job);
  }

  private flushJob(job: RecordedJob) {
    if (job.buffer.length === 0) return;
    const log: LogBlock = {
      data: job.buffer.length === 1 ? job.buffer[0]! : Buffer.concat(job.buffer, job.bufferBytes),
      lines: job.bufferLines,
    };
    const firstLine = job.lines + 1;
    job.lines += log.lines;
    job.buffer = [];
    job.bufferLines = 0;
    job.bufferBytes = 0;
    this.write("append log", async () => {
      const id = await job.id;
      this.hub.publish(id, firstLine, log);
      await this.store.appendLog(id, log);
      this.hub.persisted(id, firstLine + log.lines - 1);
    });
  }

  private finish(record: JobRecord) {
    const job = this.job(record);
    if (job.ended) return;
    job.ended = true;
    this.flushJob(job);
    const reason: EndReason | null =
      record.reason ?? (record.result === "cancelled" ? this.cancelReason : null);
    const at = record.finishedAt ?? Date.now();
    this.write("finish job", async () => {
      const id = await job.id;
      await this.store.finishJob(id, {
        result: record.result,
        reason,
        outputs: record.outputs,
        at,
      });
      const state: JobState = {
        status: "completed",
        result: record.result,
        reason,
        startedAt: record.startedAt,
        finishedAt: at,
      };
      this.hub.end(id, state);
    });
  }

  /** Flushes every log and waits for every write. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.flushAll();
    await this.chain;
  }
}
