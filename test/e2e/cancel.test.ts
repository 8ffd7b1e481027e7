import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

/** True while the process exists and is not a zombie (a killed orphan may wait to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe("cancelling equinox run", () => {
  it("Ctrl-C kills the step's processes, runs always() steps, reports cancelled, exits 1", async () => {
    const marker = join(tmpdir(), `equinox-cancel-${process.pid}-${Date.now()}`);
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - name: sleeper
        run: |
          sleep 300 &
          echo $! > ${marker}.pid
          echo started
          wait
      - name: cleanup
        if: always()
        run: echo cleanup-ran
`,
    });
    // A TMPDIR of its own, to see that the run's job directories are removed.
    const ownTmp = mkdtempSync(join(tmpdir(), "equinox-cancel-tmp-"));
    let interrupted = false;
    const { code, stdout, stderr } = await runCli(["run", repo, "--json"], {
      env: { TMPDIR: ownTmp },
      onStderr(chunk, child) {
        if (!interrupted && chunk.includes("started")) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    });

    expect(code, stderr).toBe(1);
    const run = parseRunJson(stdout);
    expect(run.result).toBe("cancelled");
    const job = run.jobs[0]!;
    expect(job.result).toBe("cancelled");
    expect(job.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["sleeper", "cancelled"],
      ["cleanup", "success"],
    ]);
    expect(job.log).toContain("cleanup-ran");
    const pid = Number(readFileSync(`${marker}.pid`, "utf8"));
    expect(
      await waitUntilGone(pid, 2000),
      "the backgrounded sleep must be killed with its step",
    ).toBe(true);
    expect(readdirSync(ownTmp), "job directories left behind").toEqual([]);
  });

  it("a job timeout cancels the job and says why", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    timeout-minutes: 0.02
    steps:
      - run: sleep 30
`,
    });
    const started = Date.now();
    const { code, stdout } = await runCli(["run", repo, "--json"]);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const job = parseRunJson(stdout).jobs[0]!;
    expect(job.result).toBe("cancelled");
    expect(job.log).toContain("exceeded the maximum execution time of 0.02 minutes");
  });
});
