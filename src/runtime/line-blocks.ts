import { Buffer } from "node:buffer";
import { linesOf } from "../core/log-block.ts";

const NEWLINE = 0x0a;

/** A line longer than this is broken: output without newlines must not grow without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * What a long line must not be cut through: the secrets of the masker (core/masking.ts).
 * Each half of a cut line is masked alone, so a secret cut in two would pass.
 */
export interface CutGuard {
  /** How many bytes must follow a cut before it is made, so a secret crossing it is seen. */
  readonly longestBytes: number;
  /** `at`, moved so that it falls inside no secret in `bytes`. */
  safeCut(bytes: Buffer, at: number): number;
}

/** Blocks whose first line is the rest of a line cut at MAX_LINE_BYTES (see continuesLine). */
const continuations = new WeakSet<Buffer>();

/**
 * Cuts a byte stream into blocks of whole lines, each block ending in `\n`; a partial
 * line waits for the rest. Blocks stay bytes: most output is passed on as it came.
 */
export class LineBlocks {
  private rest: Buffer | null = null;
  /** `rest` is the rest of a line that was cut. */
  private cut = false;

  constructor(private readonly guard?: CutGuard) {}

  push(chunk: Buffer): Buffer | null {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      if (data.length <= MAX_LINE_BYTES) {
        this.rest = data;
        return null;
      }
      let cut = charBoundary(data, MAX_LINE_BYTES);
      if (this.guard && this.guard.longestBytes > 0) {
        if (data.length < cut + this.guard.longestBytes) {
          this.rest = data;
          return null;
        }
        cut = this.guard.safeCut(data, cut);
      }
      this.rest = cut < data.length ? data.subarray(cut) : null;
      return this.emit(withNewline(data.subarray(0, cut)), true);
    }
    this.rest = end < data.length ? data.subarray(end) : null;
    return this.emit(data.subarray(0, end), false);
  }

  /** The last line, if it had no newline. */
  end(): Buffer | null {
    const rest = this.rest;
    this.rest = null;
    return rest && rest.length > 0 ? this.emit(withNewline(rest), false) : null;
  }

  private emit(block: Buffer, cut: boolean): Buffer {
    if (this.cut) continuations.add(block);
    this.cut = cut;
    return block;
  }
}

/**
 * True when the first line of `block` (from LineBlocks) is not the start of a line but
 * the rest of one cut at MAX_LINE_BYTES: it is output, never a workflow command.
 */
export function continuesLine(block: Buffer): boolean {
  return continuations.has(block);
}

/** The lines of a block, without newlines; a `\r` before the newline is dropped. */
export function blockLines(block: Buffer): string[] {
  const lines = linesOf(block);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
  return lines;
}

function withNewline(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.from("\n")]);
}

/**
 * The largest index ≤ `at` that does not split a UTF-8 character. A character has at
 * most 3 continuation bytes: past that the bytes are not UTF-8, and `at` is as good as
 * any other cut (walking further could reach 0 and never cut).
 */
function charBoundary(bytes: Buffer, at: number): number {
  // Continuation bytes are 10xxxxxx.
  for (let i = at; i > at - 4; i--) if ((bytes[i]! & 0xc0) !== 0x80) return i;
  return at;
}
