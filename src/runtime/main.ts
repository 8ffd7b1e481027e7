/**
 * The job runtime: reads one JobSpec as JSON on stdin, runs it, and writes the
 * NDJSON event stream on stdout (see docs/event-protocol.md). SIGTERM or SIGINT
 * cancels the job; a second one exits at once. Diagnostics go to stderr.
 */

import type { JobSpec } from "../core/job-spec.ts";
import { Masker } from "../core/masking.ts";
import { runJob } from "./job.ts";
import { EventWriter } from "./output.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<number> {
  let spec: JobSpec;
  try {
    spec = JSON.parse(await readStdin()) as JobSpec;
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
  const out = new EventWriter(process.stdout, new Masker());
  const job = runJob(spec, out, process.env);
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    job.cancel();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  await job.done;
  await out.end();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`equinox runtime: internal error: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
