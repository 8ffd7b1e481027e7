import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { EventDecoder } from "../../src/core/event-stream.ts";
import { countNewlines } from "../../src/core/log-block.ts";
import { ROOT } from "../helpers.ts";
import { jobSpec } from "../job-spec.ts";

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe("runtime output back-pressure", () => {
  it("a reader that falls behind pauses the step instead of filling the runtime's memory; no line is lost", async () => {
    // 100 MB of output: 1,315,790 lines of base64.
    const child = spawn(process.execPath, [join(ROOT, "dist", "runtime.mjs")], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(
      JSON.stringify(jobSpec([{ run: "head -c 75000000 /dev/zero | base64 -w 76" }])),
    );
    // Read nothing for a while: the step could print all of it meanwhile.
    child.stdout.pause();
    let maxRss = 0;
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      maxRss = Math.max(maxRss, rssMiB(child.pid!));
    }
    const decoder = new EventDecoder();
    let lines = 0;
    let finished = false;
    child.stdout.on("data", (chunk: Buffer) => {
      for (const r of decoder.push(chunk)) {
        if (!r.ok) throw new Error(r.error);
        if (r.event.type === "log" && r.event.step === 0) lines += countNewlines(r.event.data);
        if (r.event.type === "job.finished") finished = r.event.result === "success";
      }
    });
    child.stdout.resume();
    await new Promise((resolve) => child.once("close", resolve));
    expect(finished).toBe(true);
    expect(lines).toBe(1_315_790);
    // Node itself is ~50 MiB; without back-pressure the runtime would hold the 100 MB.
    expect(maxRss).toBeLessThan(120);
  });
});
