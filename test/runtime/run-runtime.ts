import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { EventDecoder } from "../../src/core/event-stream.ts";
import type { RuntimeEvent } from "../../src/core/events.ts";
import type { JobSpec } from "../../src/core/job-spec.ts";
import { linesOf } from "../../src/core/log-block.ts";
import { ROOT } from "../helpers.ts";

export interface RuntimeRun {
  events: RuntimeEvent[];
  code: number | null;
  stderr: string;
}

/** Runs dist/runtime.mjs with `job` on stdin, collecting its events until it exits. */
export function runRuntime(
  job: JobSpec,
  onEvent?: (e: RuntimeEvent, child: ChildProcessWithoutNullStreams) => void,
): Promise<RuntimeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "runtime.mjs")]);
    const decoder = new EventDecoder();
    const events: RuntimeEvent[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      for (const r of decoder.push(chunk)) {
        if (!r.ok) return reject(new Error(`bad event line ${r.line}: ${r.text}`));
        events.push(r.event);
        onEvent?.(r.event, child);
      }
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ events, code, stderr }));
    child.stdin.end(JSON.stringify(job));
  });
}

/** The log lines of step `index`, decoded. */
export function stepLines(events: RuntimeEvent[], index: number): string[] {
  return events.flatMap((e) => (e.type === "log" && e.step === index ? linesOf(e.data) : []));
}
