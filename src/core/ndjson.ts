import type { RuntimeEvent } from "./events.ts";

export function encodeEvent(event: RuntimeEvent): string {
  return `${JSON.stringify(event)}\n`;
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
]);

/**
 * Incremental NDJSON decoder: feed it chunks, get back whole events. A bad line is
 * reported with its 1-based line number rather than thrown, so a stream survives it.
 */
export class NdjsonDecoder {
  private buffer = "";
  private lineNumber = 0;

  push(chunk: string): DecodeResult[] {
    this.buffer += chunk;
    const results: DecodeResult[] = [];
    let newline = this.buffer.indexOf("\n");
    while (newline !== -1) {
      const text = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.lineNumber++;
      if (text.trim() !== "") results.push(decodeLine(text, this.lineNumber));
      newline = this.buffer.indexOf("\n");
    }
    return results;
  }

  /** Whatever is left without a trailing newline (a truncated last line). */
  end(): DecodeResult[] {
    const rest = this.buffer;
    this.buffer = "";
    if (rest.trim() === "") return [];
    this.lineNumber++;
    return [decodeLine(rest, this.lineNumber)];
  }
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
