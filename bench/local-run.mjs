// Equinox `run` against the same commands in one `bash -e` script, measured in
// this process: a 1-job/50-step workflow, a 5-job `needs` chain, and the runtime's
// cold start (spawn → first event).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, makeRepo, median, runtimeJobSpec, timeCommand, timeRuntime } from "./util.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EQUINOX = join(ROOT, "bin", "equinox");
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 7);

function stepsYaml(n, prefix) {
  return Array.from({ length: n }, (_, i) => `      - run: echo "${prefix} step ${i}"`).join("\n");
}

function workflowOneJob(steps) {
  return `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n${stepsYaml(steps, "build")}\n`;
}

function workflowChain(jobs, steps) {
  let y = "on: push\njobs:\n";
  for (let j = 0; j < jobs; j++) {
    y += `  job${j}:\n    runs-on: ubuntu-latest\n${j > 0 ? `    needs: job${j - 1}\n` : ""}    steps:\n${stepsYaml(steps, `job${j}`)}\n`;
  }
  return y;
}

function bashScript(lines) {
  const dir = mkdtempSync(join(tmpdir(), "equinox-bench-bash-"));
  const path = join(dir, "script.sh");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function measure(label, workflow, commands) {
  const repo = makeRepo({ ".github/workflows/ci.yml": workflow });
  const script = bashScript(commands);
  const eq = [];
  const sh = [];
  await timeCommand(process.execPath, [EQUINOX, "run", repo, "--quiet"]); // warm the page cache
  for (let i = 0; i < ITERATIONS; i++) {
    eq.push(await timeCommand(process.execPath, [EQUINOX, "run", repo, "--quiet"]));
    sh.push(await timeCommand("bash", ["-e", script]));
  }
  const e = median(eq);
  const b = median(sh);
  console.log(
    `${label}: equinox ${fmt(e)}  bash ${fmt(b)}  ratio ${(e / b).toFixed(1)}x  (median of ${ITERATIONS})`,
  );
  return { e, b };
}

/** Spawn the runtime with an empty job and time the first event on stdout. */
async function coldStart() {
  const workspace = mkdtempSync(join(tmpdir(), "equinox-bench-rt-"));
  const times = [];
  for (let i = 0; i < ITERATIONS; i++) {
    times.push(await timeRuntime(runtimeJobSpec(workspace, []), '"job.started"'));
  }
  const nodeBare = [];
  for (let i = 0; i < ITERATIONS; i++)
    nodeBare.push(await timeCommand(process.execPath, ["-e", ""]));
  console.log(
    `runtime cold start (spawn → first event): ${fmt(median(times))}  (bare \`node -e ''\`: ${fmt(median(nodeBare))})`,
  );
}

export async function run() {
  const steps = 50;
  const one = await measure(
    `1 job x ${steps} steps`,
    workflowOneJob(steps),
    Array.from({ length: steps }, (_, i) => `echo "build step ${i}"`),
  );
  const single = await measure("1 job x 1 step", workflowOneJob(1), ['echo "build step 0"']);
  const chainJobs = 5;
  const chainSteps = 3;
  await measure(
    `${chainJobs}-job needs chain x ${chainSteps} steps`,
    workflowChain(chainJobs, chainSteps),
    Array.from(
      { length: chainJobs * chainSteps },
      (_, i) => `echo "job${Math.floor(i / chainSteps)} step ${i % chainSteps}"`,
    ),
  );
  const perStep = (one.e - one.b - (single.e - single.b)) / (steps - 1);
  const fixed = single.e - single.b;
  console.log(
    `overhead per step: ${fmt(perStep)} (target < 5 ms)   fixed per run: ${fmt(fixed)} (target < 200 ms)`,
  );
  await coldStart();
}
