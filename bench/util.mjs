import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Wall time of one child process, in ms. */
export function timeCommand(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...opts });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0)
        reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(performance.now() - start);
    });
  });
}

export function makeRepo(files) {
  const dir = mkdtempSync(join(tmpdir(), "equinox-bench-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const git = (...a) => execFileSync("git", a, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@equinox.invalid", "commit", "-qm", "bench");
  return dir;
}

export const fmt = (ms) => `${ms.toFixed(1)} ms`;

const RUNTIME_BUNDLE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "dist",
  "runtime.mjs",
);

/** A minimal JobSpec for driving dist/runtime.mjs directly. */
export function runtimeJobSpec(workspace, steps) {
  const dir = mkdtempSync(join(tmpdir(), "equinox-bench-plan-"));
  return {
    version: 1,
    jobId: "bench",
    name: "bench",
    paths: { workspace, temp: join(dir, "t"), toolCache: join(dir, "c"), files: join(dir, "f") },
    contexts: {
      github: { event_name: "push" },
      vars: {},
      secrets: {},
      matrix: null,
      strategy: null,
      needs: {},
      inputs: {},
      runner: {},
    },
    env: { workflow: {}, job: {} },
    defaults: {},
    steps,
    outputs: {},
    inContainer: false,
    checkout: { kind: "none" },
    actionsUrl: null,
    mask: [],
    debug: false,
  };
}

/** Spawns the runtime with `spec` and resolves with the ms until a line containing `marker`. */
export function timeRuntime(jobSpec, marker) {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [RUNTIME_BUNDLE], { stdio: ["pipe", "pipe", "inherit"] });
    let at = null;
    let text = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      text += d;
      if (at === null && text.includes(marker)) at = performance.now() - start;
    });
    child.on("error", reject);
    child.on("close", () =>
      at === null
        ? reject(new Error(`no '${marker}' in: ${text.slice(0, 2000)}`))
        : resolvePromise(at),
    );
    child.stdin.end(JSON.stringify(jobSpec));
  });
}
