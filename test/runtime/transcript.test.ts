/**
 * The runtime as a black box: a JobSpec on stdin, events on stdout. Transcripts
 * pin the event sequence (one line per event, without timestamps).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventDecoder } from "../../src/core/event-stream.ts";
import type { RuntimeEvent } from "../../src/core/events.ts";
import type { JobSpec } from "../../src/core/job-spec.ts";
import { linesOf } from "../../src/core/log-block.ts";
import { ROOT } from "../helpers.ts";
import { jobSpec as spec } from "../job-spec.ts";

interface Runtime {
  events: RuntimeEvent[];
  code: number | null;
  stderr: string;
}

function runRuntime(
  job: JobSpec,
  opts: {
    onEvent?: (e: RuntimeEvent, child: ReturnType<typeof spawn>) => void;
    raw?: string;
    /** Runs before the spec is written (the runtime is up, waiting on stdin). */
    beforeSpec?: (child: ReturnType<typeof spawn>) => Promise<void>;
  } = {},
): Promise<Runtime> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "runtime.mjs")], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const decoder = new EventDecoder();
    const events: RuntimeEvent[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      for (const r of decoder.push(chunk)) {
        if (!r.ok) throw new Error(`bad event line ${r.line}: ${r.text}`);
        events.push(r.event);
        opts.onEvent?.(r.event, child);
      }
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ events, code, stderr }));
    const writeSpec = () => child.stdin.end(opts.raw ?? JSON.stringify(job));
    if (opts.beforeSpec) void opts.beforeSpec(child).then(writeSpec);
    else writeSpec();
  });
}

function transcript(events: RuntimeEvent[]): string[] {
  return events.map(eventLine);
}

function eventLine(e: RuntimeEvent): string {
  switch (e.type) {
    case "job.started":
      return `job.started ${e.job}`;
    case "step.started":
      return `step.started #${e.index} ${e.name}`;
    case "log":
      return `log #${e.step} ${JSON.stringify(linesOf(e.data))}`;
    case "annotation":
      return `annotation #${e.step} ${e.annotation.level} ${e.annotation.message}`;
    case "step.summary":
      return `step.summary #${e.index} ${JSON.stringify(e.markdown)}`;
    case "step.finished":
      return `step.finished #${e.index} ${e.outcome}/${e.conclusion} ${JSON.stringify(e.outputs)}`;
    case "job.outputs":
      return `job.outputs ${JSON.stringify(e.outputs)}`;
    case "job.finished":
      return `job.finished ${e.result}`;
    case "pipeline.plan":
      return `pipeline.plan ${e.jobs.map((j) => j.id).join(",")} errors=${e.errors.length}`;
    case "container.run":
      return `container.run #${e.id} ${JSON.stringify(e.image)} ${JSON.stringify(e.args)}`;
    case "container.stop":
      return `container.stop #${e.id}`;
  }
}

describe("runtime event stream", () => {
  it("runs steps in order and ends with job.finished", async () => {
    const r = await runRuntime(
      spec(
        [
          { id: "a", name: "First", run: 'echo "hello"\necho "v=1" >> "$GITHUB_OUTPUT"' },
          { run: "echo '::warning::careful'; exit 3" },
          { name: "Cleanup", if: "always()", run: "echo bye" },
        ],
        { outputs: { v: "${{ steps.a.outputs.v }}" } },
      ),
    );
    expect(r.code).toBe(0);
    expect(transcript(r.events)).toEqual([
      "job.started t",
      "step.started #0 First",
      'log #0 ["hello"]',
      'step.finished #0 success/success {"v":"1"}',
      "step.started #1 echo '::warning::careful'; exit 3",
      "annotation #1 warning careful",
      'log #1 ["##[warning]careful"]',
      'log #1 ["##[error]Process completed with exit code 3."]',
      "step.finished #1 failure/failure {}",
      "step.started #2 Cleanup",
      'log #2 ["bye"]',
      "step.finished #2 success/success {}",
      'job.outputs {"v":"1"}',
      "job.finished failure",
    ]);
  });

  it("emits job outputs and a step summary on success", async () => {
    const r = await runRuntime(
      spec(
        [
          {
            id: "s",
            run: 'echo "## Report" >> "$GITHUB_STEP_SUMMARY"; echo "x=42" >> "$GITHUB_OUTPUT"',
          },
        ],
        {
          outputs: { answer: "${{ steps.s.outputs.x }}" },
        },
      ),
    );
    expect(transcript(r.events).slice(-4)).toEqual([
      'step.summary #0 "## Report\\n"',
      'step.finished #0 success/success {"x":"42"}',
      'job.outputs {"answer":"42"}',
      "job.finished success",
    ]);
  });

  it("gives run steps the env files of Actions, and GITHUB_STATE only to actions", async () => {
    const r = await runRuntime(
      spec([
        {
          run: 'for f in GITHUB_ENV GITHUB_OUTPUT GITHUB_PATH GITHUB_STEP_SUMMARY GITHUB_STATE; do eval "p=\\${$f:-}"; if [ -f "$p" ]; then echo "$f file"; else echo "$f none"; fi; done',
        },
      ]),
    );
    const lines = r.events.flatMap((e) =>
      e.type === "log" && e.step === 0 ? linesOf(e.data) : [],
    );
    expect(lines).toEqual([
      "GITHUB_ENV file",
      "GITHUB_OUTPUT file",
      "GITHUB_PATH file",
      "GITHUB_STEP_SUMMARY file",
      "GITHUB_STATE none",
    ]);
  });

  it("masks secrets before they leave the runtime", async () => {
    const r = await runRuntime(
      spec(
        [
          {
            name: "uses ${{ secrets.TOKEN }}",
            run: 'echo "token=$T"',
            env: { T: "${{ secrets.TOKEN }}" },
          },
        ],
        {
          contexts: {
            github: {},
            vars: {},
            secrets: { TOKEN: "hunter2-very-secret" },
            matrix: null,
            strategy: null,
            needs: {},
            inputs: {},
            runner: {},
          },
        },
      ),
    );
    const wire = JSON.stringify(r.events);
    expect(wire).not.toContain("hunter2-very-secret");
    expect(transcript(r.events)).toContain('log #0 ["token=***"]');
    expect(transcript(r.events)).toContain("step.started #0 uses ***");
  });

  it("cancels on SIGTERM: kills the step's process group, runs always() steps, ends cancelled", async () => {
    const started = Date.now();
    const r = await runRuntime(
      spec([
        { run: "sleep 30 & sleep 30; echo never" },
        { name: "after", run: "echo skipped-on-cancel" },
        { name: "always", if: "always()", run: "echo cleanup-ran" },
      ]),
      {
        onEvent: (e, child) => {
          if (e.type === "step.started" && e.index === 0)
            setTimeout(() => child.kill("SIGTERM"), 200);
        },
      },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(transcript(r.events)).toEqual([
      "job.started t",
      "step.started #0 sleep 30 & sleep 30; echo never",
      'log #0 ["##[error]The operation was canceled."]',
      "step.finished #0 cancelled/cancelled {}",
      "step.started #1 after",
      "step.finished #1 skipped/skipped {}",
      "step.started #2 always",
      'log #2 ["cleanup-ran"]',
      "step.finished #2 success/success {}",
      "job.finished cancelled",
    ]);
  });

  it("a SIGTERM that arrives while the spec is still being read cancels the job, not the runtime", async () => {
    const r = await runRuntime(
      spec([
        { run: "echo never-ran" },
        { name: "always", if: "always()", run: "echo cleanup-ran" },
      ]),
      {
        beforeSpec: async (child) => {
          // Long enough for the runtime to load and wait on stdin.
          await new Promise((res) => setTimeout(res, 500));
          child.kill("SIGTERM");
        },
      },
    );
    expect(r.code).toBe(0);
    expect(transcript(r.events)).toEqual([
      "job.started t",
      "step.started #0 echo never-ran",
      "step.finished #0 skipped/skipped {}",
      "step.started #1 always",
      'log #1 ["cleanup-ran"]',
      "step.finished #1 success/success {}",
      "job.finished cancelled",
    ]);
  });

  it("rejects a spec that is not JSON with a message on stderr", async () => {
    const r = await runRuntime(spec([]), { raw: "{nope" });
    expect(r.code).toBe(2);
    expect(r.events).toEqual([]);
    expect(r.stderr).toContain("not valid JSON");
  });
});
