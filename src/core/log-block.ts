import { Buffer, isAscii } from "node:buffer";

/**
 * Log lines as bytes: UTF-8, each line ending in `\n`, `lines` of them. Logs travel
 * from a step's pipe to the log file in this form — a busy step's output arrives in
 * blocks of many lines, and decoding, splitting and joining them on the way would be
 * most of what logging costs. Lines are decoded only where someone reads them.
 */
export interface LogBlock {
  readonly data: Buffer;
  readonly lines: number;
}

/** A line may not hold a newline: one inside a line becomes this stand-in (␤). */
export const NEWLINE_STAND_IN = "\u2424";

const NEWLINE = 0x0a;

/** Lines as a block; a newline inside a line is replaced, so it stays one line. */
export function logBlock(lines: readonly string[]): LogBlock {
  if (lines.length === 0) return { data: Buffer.alloc(0), lines: 0 };
  const text = `${lines.map((l) => (l.includes("\n") ? l.replaceAll("\n", NEWLINE_STAND_IN) : l)).join("\n")}\n`;
  return { data: Buffer.from(text), lines: lines.length };
}

/** Bytes of whole lines (ending in `\n`) as a block. */
export function blockOf(data: Buffer): LogBlock {
  return { data, lines: countNewlines(data) };
}

/** The lines of `data` (whole lines, each ending in `\n`), decoded. */
export function linesOf(data: Buffer): string[] {
  if (data.length === 0) return [];
  return decode(data.subarray(0, data.length - 1)).split("\n");
}

export function countNewlines(data: Buffer): number {
  let count = 0;
  for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

/** UTF-8 text; ASCII (most output) decodes the same as latin1, several times faster. */
export function decode(data: Buffer): string {
  return isAscii(data) ? data.toString("latin1") : data.toString("utf8");
}
