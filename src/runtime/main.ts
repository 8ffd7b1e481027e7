/**
 * The job runtime: reads one JobSpec as JSON on stdin, runs it, and writes the
 * NDJSON event stream on stdout (see docs/event-protocol.md). SIGTERM or SIGINT
 * cancels the job; a second one exits at once, and so does the death of the process
 * that started it. Diagnostics go to stderr.
 */

import type { ContainerReply } from "../core/events.ts";
import type { JobSpec } from "../core/job-spec.ts";
import { Masker } from "../core/masking.ts";
import { ContainerClient } from "./containers.ts";
import { runJob } from "./job.ts";
import { EventWriter } from "./output.ts";
import { StdinChannel } from "./stdin.ts";

async function main(): Promise<number> {
  // Signals are handled from the first moment: a cancel that arrives while the spec is
  // still being read must cancel the job, not kill the runtime before `always()` steps.
  let signals = 0;
  let job: ReturnType<typeof runJob> | null = null;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    job?.cancel();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A broken stdout (EPIPE: the orchestrator is gone) means nobody sees the job any more:
  // cancelled, as an orphan's is, so its steps are stopped and `always()` steps run,
  // instead of the runtime dying of the error and leaving the steps running unobserved.
  let out: EventWriter | null = null;
  let stdoutBroken = false;
  process.stdout.on("error", (err) => {
    if (stdoutBroken) return;
    stdoutBroken = true;
    process.stderr.write(
      `equinox runtime: the event stream is broken (${err.message}): cancelling the job\n`,
    );
    out?.broken();
    job?.cancel();
  });
  const stdin = new StdinChannel(process.stdin);
  let spec: JobSpec;
  try {
    spec = JSON.parse(await stdin.firstLine()) as JobSpec;
  } catch (err) {
    process.stderr.write(
      `equinox runtime: the job spec on stdin is not valid JSON: ${(err as Error).message}\n`,
    );
    return 2;
  }
  if (spec?.version !== 1 || !Array.isArray(spec.steps)) {
    process.stderr.write("equinox runtime: unsupported job spec (expected version 1 with steps)\n");
    return 2;
  }
  out = new EventWriter(process.stdout, new Masker());
  if (stdoutBroken) out.broken();
  const containers = new ContainerClient(out);
  stdin.onLine = (line) => {
    try {
      containers.deliver(JSON.parse(line) as ContainerReply);
      // A step container's output the event stream cannot take yet: read no more answers
      // until it can, so the executor holds the container's output back.
      const blocked = out.blocked();
      if (blocked) {
        stdin.pause();
        void blocked.then(() => stdin.resume());
      }
    } catch {
      process.stderr.write(
        `equinox runtime: not an answer from the executor: ${line.slice(0, 200)}\n`,
      );
    }
  };
  stdin.onEnd = () => containers.close("this executor runs no step containers");
  const running = runJob(spec, out, process.env, containers);
  job = running;
  if (signals > 0 || stdoutBroken) running.cancel();
  // An orchestrator killed outright (SIGKILL, OOM) cannot cancel us: when our parent
  // changes, nobody reads our events any more, so the job is cancelled rather than left
  // running unobserved.
  const parent = process.ppid;
  const orphanCheck = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(orphanCheck);
      running.cancel();
    }
  }, 500);
  orphanCheck.unref();
  await running.done;
  clearInterval(orphanCheck);
  await out.end();
  return stdoutBroken ? 1 : 0;
}

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`equinox runtime: internal error: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  )
  // An executor that runs step containers keeps our stdin open for its answers; a
  // stdin still being read would keep this process alive after the job.
  .finally(() => process.stdin.destroy());
