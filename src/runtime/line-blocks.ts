import { Buffer } from "node:buffer";
import { linesOf } from "../core/log-block.ts";

const NEWLINE = 0x0a;

/** A line longer than this is broken: output without newlines must not grow without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Cuts a byte stream into blocks of whole lines, each block ending in `\n`; a partial
 * line waits for the rest. Blocks stay bytes: most output is passed on as it came.
 */
export class LineBlocks {
  private rest: Buffer | null = null;

  push(chunk: Buffer): Buffer | null {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      if (data.length <= MAX_LINE_BYTES) {
        this.rest = data;
        return null;
      }
      const cut = charBoundary(data, MAX_LINE_BYTES);
      this.rest = data.subarray(cut);
      return withNewline(data.subarray(0, cut));
    }
    this.rest = end < data.length ? data.subarray(end) : null;
    return data.subarray(0, end);
  }

  /** The last line, if it had no newline. */
  end(): Buffer | null {
    const rest = this.rest;
    this.rest = null;
    return rest && rest.length > 0 ? withNewline(rest) : null;
  }
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

/** The largest index ≤ `at` that does not split a UTF-8 character. */
function charBoundary(bytes: Buffer, at: number): number {
  let i = at;
  // Continuation bytes are 10xxxxxx.
  while (i > 0 && (bytes[i]! & 0xc0) === 0x80) i--;
  return i;
}
