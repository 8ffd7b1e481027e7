// Per-job overhead of the bwrap and docker executors against host, for the same
// workflow run with `equinox run` (one job: checkout, then three short steps). Each
// executor runs it RUNS times, interleaved so drift hits all alike; the medians and
// their differences are the result. Docker needs the test image (scripts/docker-images.sh).
//
// BENCH_RUNS (default 7) sets the number of runs per executor.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, makeRepo, median, timeCommand } from "./util.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EQUINOX = join(ROOT, "bin", "equinox");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const IMAGE = "equinox-test/debian:bookworm";
const TARGET_MS = { bwrap: 100, docker: 1500 };

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "building $(cat version.txt)"
      - run: test -f version.txt && echo ok > out.txt
      - run: cat out.txt
`;

function available(executor) {
  try {
    if (executor === "bwrap")
      execFileSync("bwrap", ["--ro-bind", "/", "/", "true"], { stdio: "ignore" });
    if (executor === "docker")
      execFileSync("docker", ["image", "inspect", IMAGE], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function run() {
  const repo = makeRepo({ ".github/workflows/ci.yml": WORKFLOW, "version.txt": "1.2.3\n" });
  const labels = join(mkdtempSync(join(tmpdir(), "equinox-bench-labels-")), "labels.yml");
  writeFileSync(labels, `docker-image: ${IMAGE}\n`);
  const executors = ["host", "bwrap", "docker"].filter((e) => {
    if (available(e)) return true;
    console.log(`${e}: not available here, skipped`);
    return false;
  });
  const env = { ...process.env, EQUINOX_LABELS: labels };
  const times = Object.fromEntries(executors.map((e) => [e, []]));
  // One untimed round each: page cache, image layers, the runtime kit.
  for (const e of executors)
    await timeCommand(process.execPath, [EQUINOX, "run", repo, "-q", "--executor", e], { env });
  for (let i = 0; i < RUNS; i++)
    for (const e of executors)
      times[e].push(
        await timeCommand(process.execPath, [EQUINOX, "run", repo, "-q", "--executor", e], { env }),
      );
  const host = median(times.host);
  console.log(`equinox run, one job of 4 steps, median of ${RUNS}: host ${fmt(host)}`);
  for (const e of executors.filter((x) => x !== "host")) {
    const m = median(times[e]);
    console.log(
      `  ${e}: ${fmt(m)}  (${(m / host).toFixed(2)}x host; adds ${fmt(m - host)} per job, target < ${TARGET_MS[e]} ms)`,
    );
  }
}
