import { Buffer } from "node:buffer";
import { encodeEvent, logHeader } from "../core/event-stream.ts";
import type { Annotation, RuntimeEvent } from "../core/events.ts";
import { logBlock } from "../core/log-block.ts";
import type { Masker } from "../core/masking.ts";

/** Verbatim log output is held until this much is there, or for this long. */
const HOLD_BYTES = 256 * 1024;
const HOLD_MS = 5;
/** Past this much output queued for the reader, steps stop being read until it is taken. */
const MAX_QUEUED = 4 * 1024 * 1024;

/**
 * The runtime's only way out: masked events on the event stream (see
 * core/event-stream.ts). Writes go straight to the stream; when it is full, `blocked()`
 * says until when, and steps stop reading their output meanwhile.
 */
export class EventWriter {
  constructor(
    private readonly out: NodeJS.WritableStream & { readonly writableLength: number },
    readonly masker: Masker,
  ) {}

  private pending: Promise<void> | null = null;
  /** Ends `pending`: on drain, or when the stream breaks. */
  private makeRoom: (() => void) | null = null;
  /** Nobody reads the stream any more (see broken()). */
  private isBroken = false;
  /** Verbatim log blocks of one step not written yet (see logVerbatim). */
  private held: { step: number | null; blocks: Buffer[]; bytes: number } | null = null;
  private holdTimer: NodeJS.Timeout | null = null;

  private write(data: string | Buffer): void {
    if (this.isBroken) return;
    this.out.write(data);
    // Not at the stream's own high-water mark (16 KiB): stopping the step that early
    // makes it and the reader take turns instead of working at the same time.
    if (this.out.writableLength > MAX_QUEUED && !this.pending) {
      this.pending = new Promise((resolve) => {
        const room = () => {
          this.out.removeListener("drain", room);
          this.pending = null;
          this.makeRoom = null;
          resolve();
        };
        this.makeRoom = room;
        this.out.once("drain", room);
      });
    }
  }

  /**
   * The stream is broken (EPIPE: its reader is gone). Everything written from now on is
   * dropped, and steps waiting for room go on: a drain will never come.
   */
  broken(): void {
    this.isBroken = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held = null;
    this.makeRoom?.();
  }

  emit(e: RuntimeEvent): void {
    this.release();
    this.write(encodeEvent(e));
  }

  /** Pending while the stream is full; null when there is room. */
  blocked(): Promise<void> | null {
    return this.pending;
  }

  log(step: number | null, lines: string[]): void {
    if (lines.length === 0) return;
    // A log line is one line: multi-line messages (e.g. git's stderr) are split.
    if (lines.some((l) => l.includes("\n"))) lines = lines.flatMap((l) => l.split(/\r?\n/));
    const masked = this.masker.size === 0 ? lines : lines.map((l) => this.masker.mask(l));
    this.emit({ type: "log", at: new Date().toISOString(), step, data: logBlock(masked).data });
  }

  /**
   * Whole lines as the step printed them (each ending in `\n`), passed on without
   * decoding; only for blocks with nothing to mask or rewrite.
   */
  logVerbatim(step: number | null, block: Buffer): void {
    // A pipe delivers a busy step's output in reads of a few KiB; an event per read is
    // most of what logging costs the runtime and whoever reads it. Held for at most
    // HOLD_MS, they go out as one event.
    if (this.held && this.held.step !== step) this.release();
    this.held ??= { step, blocks: [], bytes: 0 };
    this.held.blocks.push(block);
    this.held.bytes += block.length;
    if (this.held.bytes >= HOLD_BYTES) this.release();
    else this.holdTimer ??= setTimeout(() => this.release(), HOLD_MS);
  }

  /** Writes the held log blocks, before anything else is written. */
  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const held = this.held;
    if (!held) return;
    this.held = null;
    const header = logHeader(new Date().toISOString(), held.step, held.bytes);
    // One write: a system call per event is what this path costs.
    this.write(Buffer.concat([Buffer.from(header, "latin1"), ...held.blocks]));
  }

  annotation(step: number | null, a: Annotation): void {
    const masked = { ...a, message: this.masker.mask(a.message) };
    if (a.title !== undefined) masked.title = this.masker.mask(a.title);
    if (a.file !== undefined) masked.file = this.masker.mask(a.file);
    this.emit({ type: "annotation", at: new Date().toISOString(), step, annotation: masked });
  }

  /** Flushes: resolves when everything written so far has been handed to the OS. */
  end(): Promise<void> {
    this.release();
    if (this.isBroken) return Promise.resolve();
    return new Promise((resolve) => this.out.write("", () => resolve()));
  }
}
