import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.ts";
import { jobSpec } from "../job-spec.ts";

/** A zombie is dead: it waits only for whoever adopted it to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("runtime with a broken stdout", () => {
  it("cancels the job when nobody reads its events: the step's processes are killed, always() steps run, the runtime exits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "equinox-broken-stdout-"));
    const pidFile = join(dir, "sleep.pid");
    const marker = join(dir, "always-ran");
    const child = spawn(process.execPath, [join(ROOT, "dist", "runtime.mjs")]);
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    child.stdin.end(
      JSON.stringify(
        jobSpec([
          { run: `sleep 300 & echo $! > ${pidFile}; while :; do echo tick; sleep 0.05; done` },
          { if: "always()", run: `touch ${marker}` },
        ]),
      ),
    );
    // The step is running and printing.
    const first = new Promise((resolve) => child.stdout.once("data", resolve));
    await first;
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") await sleep(20);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(alive(pid)).toBe(true);

    // The orchestrator is gone: the read end of the runtime's stdout closes.
    child.stdout.destroy();
    const started = Date.now();
    const code = await exited;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).toBe(1);
    expect(stderr).toContain("the event stream is broken");
    expect(stderr).not.toContain("internal error");
    expect(alive(pid)).toBe(false);
    expect(existsSync(marker)).toBe(true);
  });

  it("a reader that stopped reading and then went away does not leave the step paused forever", async () => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "runtime.mjs")]);
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    child.stdin.end(JSON.stringify(jobSpec([{ run: "yes 'a line of output'" }])));
    await new Promise((resolve) => child.stdout.once("data", resolve));
    // Read nothing: the runtime's queue fills and it stops reading the step.
    child.stdout.pause();
    await sleep(500);
    child.stdout.destroy();
    const started = Date.now();
    expect(await exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
