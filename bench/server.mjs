// `equinox serve` end to end, with the server as a child process of this one:
// push → first-step latency (beside the same `git push` to a plain bare repository),
// log ingestion of a ~200 MB step (beside the same command into `cat > file`), and the
// server's RSS idle and with 8 jobs running at once (sampled from /proc).
//
// BENCH_PUSHES (default 50) and BENCH_LOG_MB (default 200) scale the first two;
// BENCH_CPU_PROF=DIR starts the server with `--cpu-prof` and writes its profile there.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { fmt, makeRepo, median, percentile, timeCommand } from "./util.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EQUINOX = join(ROOT, "bin", "equinox");
const PUSHES = Number(process.env.BENCH_PUSHES ?? 50);
const LOG_MB = Number(process.env.BENCH_LOG_MB ?? 200);
const CPU_PROF = process.env.BENCH_CPU_PROF ?? null;
const CONCURRENT_JOBS = 8;
const LATENCY_TARGET_MS = 300;
const INGEST_TARGET_RATIO = 0.3;

/** Wall-clock ms since the epoch with sub-ms resolution, comparable to `date +%s%N`. */
const nowEpochMs = () => performance.timeOrigin + performance.now();
const mb = (bytes) => bytes / 1e6;
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

// ---- the server process

async function startServer(dataDir, token) {
  const args = [EQUINOX, "serve", "--data", dataDir, "--port", "0"];
  args.push("--max-concurrency", String(CONCURRENT_JOBS));
  const nodeArgs = CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", CPU_PROF] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { ...process.env, EQUINOX_ADMIN_TOKEN: token },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  const exited = new Promise((r) => child.once("exit", r));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}${err}`)), 30_000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code} before serving: ${out}${err}`));
    });
  });
  return {
    pid: child.pid,
    url,
    stderr: () => err,
    async stop() {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function client(base, token) {
  async function api(method, path, body) {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  }

  /** Polls until the run for `sha` in `repo` has completed; returns it with its jobs. */
  async function waitRun(repo, sha, { timeoutMs = 120_000, pollMs = 50 } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { runs } = await api("GET", `/repos/${repo}/runs?limit=5`);
      const run = runs.find((r) => r.sha === sha);
      if (run?.status === "completed") {
        const full = await api("GET", `/runs/${run.id}`);
        if (full.result !== "success")
          throw new Error(`run ${run.id} of ${repo} ended ${full.result}: ${JSON.stringify(full)}`);
        return full;
      }
      await sleep(pollMs);
    }
    throw new Error(`no completed run of ${repo} at ${sha} within ${timeoutMs} ms`);
  }

  async function logText(runId, jobId) {
    const res = await fetch(`${base}/api/v1/runs/${runId}/jobs/${jobId}/log`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`log of run ${runId} job ${jobId}: HTTP ${res.status}`);
    return res;
  }

  return { api, waitRun, logText };
}

// ---- /proc

function vmRssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** The pids of `root` and all its descendants. */
function processTree(root) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const pids = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop();
    pids.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return pids;
}

function sampleRss(pid) {
  const pids = processTree(pid);
  const server = vmRssKiB(pid);
  let tree = 0;
  // The largest process besides the server: where memory goes when the tree grows.
  let largest = { pid: 0, kib: 0 };
  for (const p of pids) {
    const kib = vmRssKiB(p);
    tree += kib;
    if (p !== pid && kib > largest.kib) largest = { pid: p, kib };
  }
  if (largest.pid) largest.comm = commandLine(largest.pid);
  return { server, tree, processes: pids.length, largest };
}

function commandLine(pid) {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return argv
      .map((a) => a.split("/").pop())
      .join(" ")
      .slice(0, 60);
  } catch {
    return "?";
  }
}

const largestText = (s) =>
  s.largest.pid ? `; largest child ${s.largest.comm} ${mib(s.largest.kib)}` : "";

/** Samples every `everyMs` until `stop()`; returns the sample with the largest server RSS. */
function rssSampler(pid, everyMs = 100) {
  let maxServer = { server: 0, tree: 0, processes: 0, largest: { pid: 0, kib: 0 } };
  let maxTree = maxServer;
  let samples = 0;
  const take = () => {
    const s = sampleRss(pid);
    samples++;
    if (s.server > maxServer.server) maxServer = s;
    if (s.tree > maxTree.tree) maxTree = s;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxServer, maxTree, samples };
    },
  };
}

// ---- git

function git(cwd, ...args) {
  return execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
}

function commit(dir, message) {
  git(
    dir,
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@equinox.invalid",
    "commit",
    "-q",
    "--allow-empty",
    "-m",
    message,
  );
  return git(dir, "rev-parse", "HEAD");
}

/** `git push` of main, timed; `start` is the epoch ms just before the spawn. */
async function push(dir, remote) {
  const start = nowEpochMs();
  const ms = await timeCommand("git", ["push", "-q", remote, "main"], {
    cwd: dir,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  return { start, ms };
}

const workRepos = [];

/** A work repository with `ci.yml`, removed at the end. */
function workRepo(ciYml) {
  const dir = makeRepo({ ".github/workflows/ci.yml": ciYml });
  workRepos.push(dir);
  return dir;
}

function workflow(jobs) {
  let y = "on: push\njobs:\n";
  for (const [id, run] of Object.entries(jobs)) {
    const body = run
      .split("\n")
      .map((l) => `          ${l}`)
      .join("\n");
    y += `  ${id}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n${body}\n`;
  }
  return y;
}

/** The in-job `date +%s%N` a step echoed as `step-start NS`, in epoch ms. */
async function stepStartFromLog(c, run) {
  let ns = null;
  await eachLogLine(c, run, (line) => {
    const m = /^step-start (\d{19})$/.exec(line);
    if (m) ns = BigInt(m[1]);
    return ns === null;
  });
  if (ns === null) throw new Error(`no 'step-start' line in the log of run ${run.id}`);
  return Number(ns / 1000n) / 1000;
}

/** Streams the first job's stored log line by line while `onLine` returns true. */
async function eachLogLine(c, run, onLine) {
  const res = await c.logText(run.id, run.jobs[0].id);
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of res.body) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop();
    for (const line of parts) if (!onLine(line)) return; // leaving the loop cancels the body
  }
  if (rest !== "") onLine(rest);
}

// ---- the measurements

async function latency(c, srv, tmp) {
  const repo = "latency";
  await c.api("POST", "/repos", { name: repo });
  const dir = workRepo(workflow({ first: 'echo "step-start $(date +%s%N)"' }));
  const bare = join(tmp, "bare.git");
  execFileSync("git", ["init", "-q", "--bare", bare]);
  const remote = `http://x:${c.token}@${new URL(srv.url).host}/${repo}.git`;

  // One untimed round warms git, the server's routes and the page cache; its idle RSS
  // after it is the server's resting size.
  {
    const sha = git(dir, "rev-parse", "HEAD");
    await push(dir, bare);
    await push(dir, remote);
    await c.waitRun(repo, sha);
  }
  await sleep(500);
  const idle = sampleRss(srv.pid);

  const total = [];
  const pushes = [];
  const bares = [];
  // Where the time goes, from the server's own timestamps (ms): push start → run row
  // created (by the hook's hand-off, inside the push) → run started → job started →
  // step started (the runtime's event) → the step's own clock.
  const phases = { created: [], runStarted: [], jobStarted: [], stepStarted: [], inJob: [] };
  const sampler = rssSampler(srv.pid);
  for (let i = 0; i < PUSHES; i++) {
    const sha = commit(dir, `push ${i}`);
    bares.push((await push(dir, bare)).ms);
    const p = await push(dir, remote);
    pushes.push(p.ms);
    const run = await c.waitRun(repo, sha);
    const inJob = await stepStartFromLog(c, run);
    total.push(inJob - p.start);
    const job = run.jobs[0];
    const at = [
      p.start,
      Date.parse(run.created_at),
      Date.parse(run.started_at),
      Date.parse(job.started_at),
      Date.parse(job.steps[0].started_at),
      inJob,
    ];
    Object.values(phases).forEach((xs, k) => {
      xs.push(at[k + 1] - at[k]);
    });
  }
  const rss = sampler.stop();

  const tail = (xs) => `median ${fmt(median(xs))}  p95 ${fmt(percentile(xs, 95))}`;
  const afterPush = total.map((t, i) => t - pushes[i]);
  // The hook is a fresh `node bin/equinox hook` per push: its bare start cost (no
  // EQUINOX_DATA, so it exits before reading stdin or reaching the server).
  const hookEnv = { ...process.env };
  delete hookEnv.EQUINOX_DATA;
  const hook = [];
  for (let i = 0; i < 7; i++)
    hook.push(
      await timeCommand(process.execPath, [EQUINOX, "hook", "post-receive"], { env: hookEnv }),
    );
  console.log(
    `push → first step (in-job clock): ${tail(total)}  (target median < ${LATENCY_TARGET_MS} ms; ${PUSHES} pushes)`,
  );
  console.log(
    `  git push to equinox: ${tail(pushes)}   same push to a bare repo on disk: ${tail(bares)}  (${(median(pushes) / median(bares)).toFixed(1)}x)   push returned → step started: ${tail(afterPush)}`,
  );
  console.log(
    `  medians: push start → run created ${fmt(median(phases.created))} (of which the hook's node start alone ${fmt(median(hook))}) → run started ${fmt(median(phases.runStarted))} → job started ${fmt(median(phases.jobStarted))} → step started (runtime event) ${fmt(median(phases.stepStarted))} → step's clock ${fmt(median(phases.inJob))}`,
  );
  return { idle, rss };
}

async function concurrent(c, srv) {
  const repo = "fan";
  await c.api("POST", "/repos", { name: repo });
  const jobs = {};
  for (let i = 0; i < CONCURRENT_JOBS; i++) jobs[`sleep${i}`] = "sleep 3";
  const dir = workRepo(workflow(jobs));
  const sha = git(dir, "rev-parse", "HEAD");
  const sampler = rssSampler(srv.pid);
  const start = performance.now();
  await push(dir, `http://x:${c.token}@${new URL(srv.url).host}/${repo}.git`);
  const run = await c.waitRun(repo, sha, { pollMs: 200 });
  const wall = performance.now() - start;
  const rss = sampler.stop();
  const starts = run.jobs.map((j) => Date.parse(j.steps[0].started_at));
  const spread = Math.max(...starts) - Math.min(...starts);
  return { rss, wall, spread, jobs: run.jobs.length };
}

async function ingestion(c, srv, tmp) {
  const rawBytes = Math.round((LOG_MB * 1e6 * 3) / 4 / 3) * 3; // whole base64 groups, no '='
  const b64Chars = (rawBytes / 3) * 4;
  const expectedLines = Math.ceil(b64Chars / 76);
  const bytes = b64Chars + expectedLines; // with the newlines
  const command = `head -c ${rawBytes} /dev/urandom | base64 -w 76`;

  // Baseline: the same producer into a file on the same disk, best of 3 (the page
  // cache and the CPU governor make the first one slow).
  const file = join(tmp, "baseline.log");
  const baseMs = [];
  for (let i = 0; i < 3; i++) {
    baseMs.push(await timeCommand("bash", ["-c", `${command} | cat > ${file}`]));
    rmSync(file, { force: true });
  }
  const baseline = mb(bytes) / (Math.min(...baseMs) / 1000);

  // Equinox likewise, best of 3 runs of the same step (a new commit each).
  const repo = "big-log";
  await c.api("POST", "/repos", { name: repo });
  const dir = workRepo(workflow({ log: `echo "step-start $(date +%s%N)"\n${command}` }));
  const tries = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) git(dir, "commit", "-q", "--allow-empty", "-m", `again ${i}`);
    tries.push(await ingestOnce(c, srv, dir, repo, { expectedLines, b64Chars }));
  }
  const best = tries.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const throughput = mb(bytes) / best.seconds;
  console.log(
    `log ingestion (${mb(bytes).toFixed(1)} MB, ${expectedLines} lines of 76 chars): equinox ${throughput.toFixed(1)} MB/s (${best.seconds.toFixed(1)} s step start → stored; best of ${tries.map((t) => `${(mb(bytes) / t.seconds).toFixed(0)}`).join(", ")} MB/s)  baseline \`| cat > file\` ${baseline.toFixed(1)} MB/s (${fmt(Math.min(...baseMs))}, best of 3)  ratio ${(throughput / baseline).toFixed(2)} (target ≥ ${INGEST_TARGET_RATIO})`,
  );
  console.log(
    `  the step itself ran ${best.stepSeconds.toFixed(1)} s; stored logs: ${tries.every((t) => t.complete) ? "complete" : tries.map((t) => t.completeness).join("; ")} (log_lines ${best.logLines}); read back over the API at ${(mb(bytes) / best.readSeconds).toFixed(1)} MB/s`,
  );
  const rss = best.rss;
  console.log(
    `  server RSS meanwhile: max ${mib(rss.maxServer.server)} (process tree then ${mib(rss.maxServer.tree)}); tree max ${mib(rss.maxTree.tree)}${largestText(rss.maxTree)}; server after: ${mib(sampleRss(srv.pid).server)}`,
  );
}

/** Pushes `dir` once and measures its run: step start → log stored, and the log read back. */
async function ingestOnce(c, srv, dir, repo, { expectedLines, b64Chars }) {
  const sha = git(dir, "rev-parse", "HEAD");
  const sampler = rssSampler(srv.pid);
  await push(dir, `http://x:${c.token}@${new URL(srv.url).host}/${repo}.git`);
  const run = await c.waitRun(repo, sha, { timeoutMs: 170_000, pollMs: 100 });
  const rss = sampler.stop();
  const job = run.jobs[0];
  const stepEnd = Date.parse(job.steps[0].finished_at);
  // The run is finished only after the recorder flushed and awaited every log write.
  const stored = Date.parse(run.finished_at);

  // Completeness: every base64 line back, in full, read as a client would.
  const readStart = performance.now();
  let stepStart = null;
  let lines = 0;
  let chars = 0;
  await eachLogLine(c, run, (line) => {
    if (/^[A-Za-z0-9+/]{1,76}$/.test(line)) {
      lines++;
      chars += line.length;
    } else if (stepStart === null && line.startsWith("step-start "))
      stepStart = Number(BigInt(line.slice(11)) / 1000n) / 1000;
    return true;
  });
  const readSeconds = (performance.now() - readStart) / 1000;
  if (stepStart === null) throw new Error(`no 'step-start' line in the log of run ${run.id}`);
  const complete = lines === expectedLines && chars === b64Chars;
  return {
    seconds: (stored - stepStart) / 1000,
    stepSeconds: (stepEnd - stepStart) / 1000,
    readSeconds,
    rss,
    complete,
    completeness: complete
      ? "complete"
      : `INCOMPLETE: ${lines}/${expectedLines} lines, ${chars}/${b64Chars} chars`,
    logLines: job.log_lines,
  };
}

export async function run() {
  if (!existsSync(join(ROOT, "dist", "equinox.mjs")))
    execFileSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], {
      cwd: ROOT,
      stdio: "inherit",
    });
  const tmp = mkdtempSync(join(tmpdir(), "equinox-bench-serve-"));
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true });
  const token = randomBytes(16).toString("hex");
  const srv = await startServer(join(tmp, "data"), token);
  const c = { ...client(srv.url, token), token };
  try {
    const lat = await latency(c, srv, tmp);
    const conc = await concurrent(c, srv);
    console.log(
      `server RSS idle (after one small run): ${mib(lat.idle.server)}  (process tree ${mib(lat.idle.tree)}, ${lat.idle.processes} processes); max during the ${PUSHES} pushes ${mib(lat.rss.maxServer.server)}`,
    );
    console.log(
      `server RSS with ${conc.jobs} jobs running at once (sampled every 100 ms): max ${mib(conc.rss.maxServer.server)}  (process tree then ${mib(conc.rss.maxServer.tree)}, ${conc.rss.maxServer.processes} processes; tree max ${mib(conc.rss.maxTree.tree)} with ${conc.rss.maxTree.processes} processes${largestText(conc.rss.maxTree)})  first steps started within ${fmt(conc.spread)}, run took ${fmt(conc.wall)}`,
    );
    await ingestion(c, srv, tmp);
  } catch (err) {
    console.error(`server stderr:\n${srv.stderr()}`);
    throw err;
  } finally {
    await srv.stop();
    for (const dir of [tmp, ...workRepos]) rmSync(dir, { recursive: true, force: true });
  }
}
