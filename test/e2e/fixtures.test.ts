/**
 * Workflow fixtures: each folder under test/fixtures/run/ holds `workflow.yml` (optional:
 * a Solstice fixture keeps its `.solstice/` files in `repo/`), an optional `repo/` tree
 * committed beside it, and `expect.json` with what `equinox run --json` must report.
 * One runner, a skip list with reasons.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeBwrap } from "../bwrap.ts";
import { describeDocker, TEST_IMAGE } from "../docker.ts";
import { makeRepo, parseRunJson, ROOT, runCli } from "../helpers.ts";

interface ExpectedJob {
  result?: string;
  outputs?: Record<string, string>;
  steps?: { id?: string | null; name?: string; outcome?: string; conclusion?: string }[];
  /** Substrings the job's log must contain, in this order. */
  log?: string[];
  /** Substrings the job's log must not contain (secrets, skipped output). */
  notLog?: string[];
  matrix?: Record<string, unknown> | null;
}

interface Expectation {
  description: string;
  /** Programs the fixture runs (e.g. cmake for a real-world C project): missing ones skip it locally. */
  requires?: string[];
  args?: string[];
  env?: Record<string, string>;
  exit: number;
  result?: string;
  /** Jobs by display name; every job reported must be listed unless `partial`. */
  jobs?: Record<string, ExpectedJob>;
  partial?: boolean;
  /** For exit 2: substrings of stderr. */
  stderr?: string[];
  /** Substrings that must appear nowhere in stdout or stderr. */
  nowhere?: string[];
  /**
   * Why the fixture holds only on the host executor: e.g. its jobs meet in the host's
   * /tmp, which isolated jobs (bwrap, docker) rightly do not share.
   */
  hostOnly?: string;
}

const FIXTURES = join(ROOT, "test", "fixtures", "run");

/** Fixtures that exist but cannot run here, with the reason. */
const SKIP: Record<string, string> = {};

/** Locally, a fixture whose tools are missing is skipped, saying so; in CI it fails. */
function missingTools(tools: string[] = []): string[] {
  return tools.filter(
    (t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0,
  );
}
const IN_CI = process.env.CI === "true";

const names = readdirSync(FIXTURES)
  .filter((n) => existsSync(join(FIXTURES, n, "expect.json")))
  .sort();

/**
 * The fixtures pass unchanged on every executor: on the host, in a bwrap sandbox, and
 * in a container of the test image (scripts/docker-images.sh) — each where it can run.
 */
function fixtures(executor: "host" | "bwrap" | "docker", env: Record<string, string> = {}) {
  const executorArgs = executor === "host" ? [] : ["--executor", executor];
  for (const name of names) {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, "expect.json"), "utf8")) as Expectation;
    const missing = missingTools(expected.requires);
    if (missing.length > 0 && !IN_CI) {
      it.skip(`${name}: needs ${missing.join(", ")}, not installed here (.ci/run installs it)`, () => {});
      continue;
    }
    if (executor !== "host" && expected.hostOnly) {
      it.skip(`${name}: host only: ${expected.hostOnly}`, () => {});
      continue;
    }
    const test = SKIP[name] ? it.skip : it.concurrent;
    test(`${name}: ${expected.description}`, async () => {
      const workflow = join(dir, "workflow.yml");
      const files: Record<string, string> = existsSync(workflow)
        ? { ".github/workflows/ci.yml": readFileSync(workflow, "utf8") }
        : {};
      const repoDir = existsSync(join(dir, "repo")) ? join(dir, "repo") : undefined;
      const repo = await makeRepo(files, { copyFrom: repoDir });
      const res = await runCli(["run", repo, "--json", ...executorArgs, ...(expected.args ?? [])], {
        env: { ...env, ...expected.env },
      });
      const context = `stderr:\n${res.stderr}\nstdout:\n${res.stdout}`;
      expect(res.code, context).toBe(expected.exit);
      for (const s of expected.stderr ?? []) expect(res.stderr, context).toContain(s);
      for (const s of expected.nowhere ?? []) {
        expect(res.stdout).not.toContain(s);
        expect(res.stderr).not.toContain(s);
      }
      if (expected.exit === 2) return;

      const run = parseRunJson(res.stdout);
      if (expected.result) expect(run.result, context).toBe(expected.result);
      if (!expected.jobs) return;
      if (!expected.partial)
        expect(run.jobs.map((j) => j.name).sort()).toEqual(Object.keys(expected.jobs).sort());
      for (const [jobName, want] of Object.entries(expected.jobs)) {
        const job = run.jobs.find((j) => j.name === jobName);
        expect(job, `job '${jobName}' in ${run.jobs.map((j) => j.name).join(", ")}`).toBeDefined();
        if (!job) continue;
        const where = `job '${jobName}' log:\n${job.log}\n${context}`;
        if (want.result) expect(job.result, where).toBe(want.result);
        if (want.outputs) expect(job.outputs, where).toEqual(want.outputs);
        if (want.matrix !== undefined) expect(job.matrix).toEqual(want.matrix);
        if (want.steps) {
          expect(job.steps.length, where).toBe(want.steps.length);
          for (const [i, s] of want.steps.entries()) expect(job.steps[i], where).toMatchObject(s);
        }
        let from = 0;
        for (const s of want.log ?? []) {
          const at = job.log.indexOf(s, from);
          expect(at, `expected '${s}' (in order) in ${where}`).toBeGreaterThanOrEqual(0);
          from = at + s.length;
        }
        for (const s of want.notLog ?? []) expect(job.log, where).not.toContain(s);
      }
    });
  }
}

describe("workflow fixtures (equinox run --json)", () => fixtures("host"));

const labels = join(mkdtempSync(join(tmpdir(), "equinox-labels-")), "labels.yml");
writeFileSync(labels, `docker-image: ${TEST_IMAGE}\n`);
describeBwrap("workflow fixtures in a sandbox (--executor bwrap)", () => fixtures("bwrap"));

await describeDocker("workflow fixtures in containers (--executor docker)", () =>
  fixtures("docker", { EQUINOX_LABELS: labels }),
);
