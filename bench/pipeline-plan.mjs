// Planning time of a 20-job TypeScript pipeline (the runtime loads, strips types and
// validates it: spawn → `pipeline.plan` event) and of a 20-job Solstice KDL workflow
// (`equinox run --list`, parsed by the CLI), beside the runtime's bare cold start
// (spawn → first event of an empty job) and a bare `node -e ''`.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, makeRepo, median, runtimeJobSpec, timeCommand, timeRuntime } from "./util.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EQUINOX = join(ROOT, "bin", "equinox");
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 9);
const JOBS = 20;
const TARGET_MS = 150;

function tsPipeline(n) {
  let src = 'import { job } from "equinox/pipeline";\n\ninterface Out { n: number }\n\n';
  for (let i = 0; i < n; i++) {
    const inputs =
      i === 0 ? '["push"]' : i % 5 === 0 ? `["job${i - 1}", "job${i - 5}"]` : `["job${i - 1}"]`;
    src += `job("job${i}", ${inputs}, async ({ sh }): Promise<Out> => {\n  await sh("echo job${i}");\n  return { n: ${i} };\n});\n`;
  }
  return src;
}

function kdlWorkflow(n) {
  let src = 'workflow name="bench" {\n';
  for (let i = 0; i < n; i++) {
    src += `  job id="job${i}" runs_on="ubuntu-22.04"${i > 0 ? ` needs="job${i - 1}"` : ""} {\n    step name="s" run="echo job${i}"\n  }\n`;
  }
  return `${src}}\n`;
}

async function medianOf(fn) {
  await fn(); // warm the page cache
  const xs = [];
  for (let i = 0; i < ITERATIONS; i++) xs.push(await fn());
  return median(xs);
}

const verdict = (ms) => (ms < TARGET_MS ? "ok" : "OVER");

export async function run() {
  const tsRepo = makeRepo({ ".equinox/ci.ts": tsPipeline(JOBS) });
  const planStep = {
    kind: "pipeline-plan",
    file: ".equinox/ci.ts",
    id: null,
    name: null,
    if: null,
    env: {},
    continueOnError: false,
    timeoutMinutes: null,
  };
  const ts = await medianOf(() =>
    timeRuntime(runtimeJobSpec(tsRepo, [planStep]), '"pipeline.plan"'),
  );
  const cold = await medianOf(() => timeRuntime(runtimeJobSpec(tsRepo, []), '"job.started"'));
  const kdlRepo = makeRepo({ ".solstice/workflow.kdl": kdlWorkflow(JOBS) });
  const kdl = await medianOf(() =>
    timeCommand(process.execPath, [EQUINOX, "run", kdlRepo, "--list"]),
  );
  const node = await medianOf(() => timeCommand(process.execPath, ["-e", ""]));
  console.log(
    `${JOBS}-job TS pipeline, runtime spawn → pipeline.plan: ${fmt(ts)} (target < ${TARGET_MS} ms: ${verdict(ts)})`,
  );
  console.log(
    `${JOBS}-job KDL workflow, \`equinox run --list\`:       ${fmt(kdl)} (target < ${TARGET_MS} ms: ${verdict(kdl)})`,
  );
  console.log(
    `runtime bare cold start (spawn → first event): ${fmt(cold)}   bare \`node -e ''\`: ${fmt(node)}   (median of ${ITERATIONS})`,
  );
}
