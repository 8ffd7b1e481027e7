import { Buffer } from "node:buffer";
import type { RuntimeEvent } from "./events.ts";

/**
 * The runtime's stdout: one JSON object per line, except that a `log` event's text
 * follows its line raw — `{"type":"log",…,"bytes":N}\n` then N bytes of log lines,
 * each ending in `\n`. Log output is most of the stream, and raw text costs neither
 * side a JSON escape per line. The stream stays line-oriented text that a person can
 * read. See docs/event-protocol.md.
 */

/** A log event's payload larger than this is a corrupt stream, not a log. */
export const MAX_LOG_PAYLOAD = 64 * 1024 * 1024;

export function encodeEvent(event: RuntimeEvent): Buffer {
  if (event.type !== "log") return Buffer.from(`${JSON.stringify(event)}\n`);
  return Buffer.concat([
    Buffer.from(logHeader(event.at, event.step, event.data.length)),
    event.data,
  ]);
}

/** The line in front of a log payload of `bytes` bytes (whole lines, each ending in `\n`). */
export function logHeader(at: string, step: number | null, bytes: number): string {
  return `{"type":"log","at":"${at}","step":${step},"bytes":${bytes}}\n`;
}

export type DecodeResult =
  | { ok: true; event: RuntimeEvent }
  | { ok: false; line: number; error: string; text: string };

const EVENT_TYPES = new Set([
  "job.started",
  "step.started",
  "log",
  "annotation",
  "step.summary",
  "step.finished",
  "job.outputs",
  "pipeline.plan",
  "job.finished",
  "container.run",
  "container.stop",
]);

const NEWLINE = 0x0a;

/**
 * Incremental decoder: feed it chunks, get back whole events. A bad line is reported
 * with its 1-based line number in the stream rather than thrown, so a stream survives it.
 */
export class EventDecoder {
  /** Bytes not decoded yet. */
  private parts: Buffer[] = [];
  private length = 0;
  private lineNumber = 0;
  /** The log event whose payload is being read. */
  private awaiting: { at: string; step: number | null; bytes: number } | null = null;

  push(chunk: Buffer | string): DecodeResult[] {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (bytes.length === 0) return [];
    this.parts.push(bytes);
    this.length += bytes.length;
    const results: DecodeResult[] = [];
    for (;;) {
      if (this.awaiting) {
        const payload = this.take(this.awaiting.bytes);
        if (!payload) break;
        const { at, step } = this.awaiting;
        this.awaiting = null;
        results.push({ ok: true, event: logEvent(at, step, payload) });
        continue;
      }
      const line = this.takeLine();
      if (line === null) break;
      this.lineNumber++;
      const result = this.decodeLine(line.toString("utf8"));
      if (result) results.push(result);
    }
    return results;
  }

  /** Whatever is left: a truncated last line or log payload. */
  end(): DecodeResult[] {
    const rest = this.take(this.length) ?? Buffer.alloc(0);
    const awaiting = this.awaiting;
    this.awaiting = null;
    if (awaiting) {
      // The log lines that did arrive are kept; the cut is said.
      const results: DecodeResult[] = [];
      const whole = rest.lastIndexOf(NEWLINE) + 1;
      if (whole > 0)
        results.push({
          ok: true,
          event: logEvent(awaiting.at, awaiting.step, rest.subarray(0, whole)),
        });
      results.push({
        ok: false,
        line: this.lineNumber,
        error: `the stream ended ${awaiting.bytes - rest.length} bytes into a ${awaiting.bytes}-byte log payload`,
        text: rest.subarray(whole).toString("utf8").slice(0, 200),
      });
      return results;
    }
    const text = rest.toString("utf8");
    if (text.trim() === "") return [];
    this.lineNumber++;
    const result = this.decodeLine(text);
    return result ? [result] : [];
  }

  private decodeLine(text: string): DecodeResult | null {
    if (text.trim() === "") return null;
    const result = decodeLine(text, this.lineNumber);
    if (!result.ok || result.event.type !== "log") return result;
    const header = result.event as unknown as { bytes?: unknown; at: string; step?: unknown };
    const { bytes, step } = header;
    if (
      typeof bytes !== "number" ||
      !Number.isInteger(bytes) ||
      bytes < 1 ||
      bytes > MAX_LOG_PAYLOAD ||
      !(step === null || (typeof step === "number" && Number.isInteger(step)))
    ) {
      return {
        ok: false,
        line: this.lineNumber,
        error: `a log event needs "step" (an integer or null) and "bytes" (1 to ${MAX_LOG_PAYLOAD})`,
        text,
      };
    }
    this.awaiting = { at: header.at, step, bytes };
    return null;
  }

  /** The next `n` bytes, or null until they are all here. */
  private take(n: number): Buffer | null {
    if (this.length < n) return null;
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return taken;
  }

  /** The next line without its newline, or null until it is complete. */
  private takeLine(): Buffer | null {
    // Only the newest part can hold the newline: earlier ones were searched already.
    const last = this.parts.at(-1);
    if (!last || last.indexOf(NEWLINE) === -1) return null;
    const first = this.parts[0]!.indexOf(NEWLINE);
    const at = first !== -1 ? first : this.length - last.length + last.indexOf(NEWLINE);
    const line = this.take(at + 1)!;
    return line.subarray(0, at);
  }
}

function logEvent(at: string, step: number | null, payload: Buffer): RuntimeEvent {
  // A payload is whole lines; one cut short (a corrupt stream) gets its newline.
  const data = payload.at(-1) === NEWLINE ? payload : Buffer.concat([payload, Buffer.from("\n")]);
  return { type: "log", at, step, data };
}

function decodeLine(text: string, line: number): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, line, error: `invalid JSON: ${(err as Error).message}`, text };
  }
  if (
    typeof value !== "object" ||
    value === null ||
    !EVENT_TYPES.has((value as { type?: unknown }).type as string) ||
    typeof (value as { at?: unknown }).at !== "string"
  ) {
    return { ok: false, line, error: "not a runtime event (needs a known `type` and `at`)", text };
  }
  return { ok: true, event: value as RuntimeEvent };
}
