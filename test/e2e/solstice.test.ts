/**
 * Solstice workflows through `equinox run` where the JSON fixtures (test/fixtures/run/kdl-*)
 * cannot look: the `runsOn` label each job reports, and `--list` naming each job's source.
 */
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

const KDL = `workflow name="CI" {
  job id="illumos" runs_on="illumos-latest" {
    step name="hello" run="echo hello from kdl"
  }
  job id="plain" {
    step name="hello" run="echo plain"
  }
}
`;

const YAML = `on: push
jobs:
  yaml-job:
    name: From YAML
    runs-on: ubuntu-latest
    steps:
      - run: echo hello from yaml
`;

/** The non-blank lines of `--list` output, with runs of spaces collapsed. */
function rows(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "");
}

describe("Solstice workflows", () => {
  it("runs_on is the job's executor label, like runs-on (none: null, the default label)", async () => {
    const repo = await makeRepo({
      ".solstice/workflow.kdl": KDL,
      ".github/workflows/ci.yml": YAML,
    });
    const res = await runCli(["run", repo, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const run = parseRunJson(res.stdout);
    expect(run.jobs.map((j) => [j.id, j.runsOn]).sort()).toEqual([
      ["illumos", "illumos-latest"],
      ["plain", null],
      ["yaml-job", "ubuntu-latest"],
    ]);
  });

  it("--list shows each job's source file and format, across formats", async () => {
    const repo = await makeRepo({
      ".solstice/workflow.kdl": KDL,
      ".github/workflows/ci.yml": YAML,
    });
    const res = await runCli(["run", repo, "--list"]);
    expect(res.code, res.stderr).toBe(0);
    expect(rows(res.stdout)).toEqual([
      "WORKFLOW FORMAT JOB NAME",
      ".github/workflows/ci.yml actions yaml-job From YAML",
      ".solstice/workflow.kdl solstice-kdl illumos illumos",
      ".solstice/workflow.kdl solstice-kdl plain plain",
    ]);
  });

  it("--list shows the legacy .solstice/job.sh as a solstice-script job", async () => {
    const repo = await makeRepo({ ".solstice/job.sh": "echo legacy\n" });
    const res = await runCli(["run", repo, "--list"]);
    expect(res.code, res.stderr).toBe(0);
    expect(rows(res.stdout)).toEqual([
      "WORKFLOW FORMAT JOB NAME",
      ".solstice/job.sh solstice-script job job",
    ]);
  });

  it("an empty checkout names every place it looked, exit 2", async () => {
    const repo = await makeRepo({ "README.md": "nothing\n" });
    const res = await runCli(["run", repo, "--json"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      "looked in .forgejo/workflows, .gitea/workflows, .github/workflows, .solstice/workflow.kdl, .solstice/job.sh",
    );
  });

  it("-W takes a .sh script as a one-step job, and rejects an unknown format with exit 2", async () => {
    const repo = await makeRepo({ "ci/check.sh": "echo checked by script\n", "notes.txt": "x\n" });
    const ok = await runCli(["run", repo, "--json", "-W", "ci/check.sh"]);
    expect(ok.code, ok.stderr).toBe(0);
    const run = parseRunJson(ok.stdout);
    expect(run.jobs.map((j) => [j.id, j.result])).toEqual([["job", "success"]]);
    expect(run.jobs[0]?.log).toContain("checked by script");

    const bad = await runCli(["run", repo, "-W", "notes.txt"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("notes.txt: Unknown workflow format 'notes.txt'");
  });
});
