/**
 * Workflow fixtures: each folder under test/fixtures/run/ holds `workflow.yml` (optional:
 * a Solstice fixture keeps its `.solstice/` files in `repo/`), an optional `repo/` tree
 * committed beside it, and `expect.json` with what `equinox run --json` must report.
 * One runner, a skip list with reasons.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

describe.concurrent("workflow fixtures (equinox run --json)", () => {
  for (const name of names) {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, "expect.json"), "utf8")) as Expectation;
    const missing = missingTools(expected.requires);
    if (missing.length > 0 && !IN_CI) {
      it.skip(`${name}: needs ${missing.join(", ")}, not installed here (.ci/run installs it)`, () => {});
      continue;
    }
    const test = SKIP[name] ? it.skip : it;
    test(`${name}: ${expected.description}`, async () => {
      const workflow = join(dir, "workflow.yml");
      const files: Record<string, string> = existsSync(workflow)
        ? { ".github/workflows/ci.yml": readFileSync(workflow, "utf8") }
        : {};
      const repoDir = existsSync(join(dir, "repo")) ? join(dir, "repo") : undefined;
      const repo = await makeRepo(files, { copyFrom: repoDir });
      const res = await runCli(["run", repo, "--json", ...(expected.args ?? [])], {
        env: expected.env,
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
});
