/**
 * `equinox run` behaviour that the JSON fixtures cannot express: `--list` output, a checkout
 * without workflows, the default DIR, and a directory that is not a git repository.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

/** A path in /tmp unique to this test process and name, for "this must not happen" markers. */
function marker(name: string): string {
  return join(tmpdir(), `equinox-cli-test-${name}-${process.pid}-${Date.now()}`);
}

function listWorkflows(touch: string): Record<string, string> {
  return {
    ".github/workflows/ci.yml": `name: CI
on: push
jobs:
  build:
    name: Build it
    runs-on: ubuntu-latest
    steps:
      - run: touch ${touch}
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        shard: [1, 2]
    steps:
      - run: touch ${touch}
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: touch ${touch}
`,
    ".github/workflows/release.yml": `on: release
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: touch ${touch}
`,
    ".github/workflows/manual.yaml": `on: workflow_dispatch
jobs:
  by-hand:
    name: By hand
    runs-on: ubuntu-latest
    steps:
      - run: touch ${touch}
`,
  };
}

/** The non-blank lines of `--list` output, with runs of spaces collapsed. */
function rows(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "");
}

describe("equinox run --list", () => {
  it("prints workflow file, format, job id and name of every job the event would run, runs nothing, exits 0", async () => {
    const touch = marker("list");
    const repo = await makeRepo(listWorkflows(touch));
    const res = await runCli(["run", repo, "--list"]);
    expect(res.code, res.stderr).toBe(0);
    const lines = rows(res.stdout);
    expect(lines).toContain(".github/workflows/ci.yml actions build Build it");
    expect(lines.some((l) => l.startsWith(".github/workflows/ci.yml actions test"))).toBe(true);
    expect(lines.some((l) => l.startsWith(".github/workflows/ci.yml actions lint"))).toBe(true);
    // Workflows that push does not trigger are not listed.
    expect(res.stdout).not.toContain("publish");
    expect(res.stdout).not.toContain("by-hand");
    expect(existsSync(touch)).toBe(false);
  });

  it("lists only the workflows the -e event triggers", async () => {
    const touch = marker("list-event");
    const repo = await makeRepo(listWorkflows(touch));
    const res = await runCli(["run", repo, "--list", "-e", "workflow_dispatch"]);
    expect(res.code, res.stderr).toBe(0);
    expect(rows(res.stdout)).toContain(".github/workflows/manual.yaml actions by-hand By hand");
    expect(res.stdout).not.toContain("ci.yml");
    expect(res.stdout).not.toContain("publish");
    expect(existsSync(touch)).toBe(false);
  });

  it("with -j lists the job and the jobs it needs (what -j would run), nothing else", async () => {
    const touch = marker("list-job");
    const repo = await makeRepo(listWorkflows(touch));
    const res = await runCli(["run", repo, "--list", "-j", "test"]);
    expect(res.code, res.stderr).toBe(0);
    const lines = rows(res.stdout);
    expect(lines.some((l) => l.startsWith(".github/workflows/ci.yml actions test"))).toBe(true);
    expect(lines).toContain(".github/workflows/ci.yml actions build Build it");
    expect(lines.some((l) => l.includes(" lint "))).toBe(false);
    expect(existsSync(touch)).toBe(false);
  });

  it("reports a workflow error with exit 2 instead of listing", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    bogus: 1\n    steps:\n      - run: echo a\n",
    });
    const res = await runCli(["run", repo, "--list"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("ci.yml (Line: 5, Col: 5): Unexpected value 'bogus'");
  });
});

describe("equinox run: where the workflows and the code come from", () => {
  it("exits 2 when the checkout has no workflows", async () => {
    const repo = await makeRepo({ "README.md": "no workflows here\n" });
    const res = await runCli(["run", repo, "--json"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/workflow/i);
  });

  it("exits 2 when .github/workflows holds no .yml/.yaml file", async () => {
    const repo = await makeRepo({ ".github/workflows/README.md": "nothing to run\n" });
    const res = await runCli(["run", repo]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/workflow/i);
  });

  it("runs the current directory when DIR is omitted", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  here:
    runs-on: ubuntu-latest
    steps:
      - run: echo "ran for \${{ github.repository }} on \${{ github.ref }}"
`,
    });
    const res = await runCli(["run", "--json"], { cwd: repo });
    expect(res.code, res.stderr).toBe(0);
    const run = parseRunJson(res.stdout);
    expect(run.jobs.map((j) => [j.name, j.result])).toEqual([["here", "success"]]);
    expect(run.jobs[0]?.log).toContain("ran for acme/widget on refs/heads/main");
  });

  it("runs a directory that is not a git repository; actions/checkout copies the directory", async () => {
    const dir = await makeRepo(
      {
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "data=$(cat data.txt)"
          echo "nested=$(cat src/nested/file.txt)"
          echo "repository=\${{ github.repository }}"
`,
        "data.txt": "plain-directory-data\n",
        "src/nested/file.txt": "nested-content\n",
      },
      { commit: false },
    );
    const res = await runCli(["run", dir, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const run = parseRunJson(res.stdout);
    expect(run.result).toBe("success");
    const log = run.jobs[0]?.log ?? "";
    expect(log).toContain("data=plain-directory-data");
    expect(log).toContain("nested=nested-content");
    // No origin remote: the repository is the directory's name.
    expect(log).toContain(`repository=${basename(dir)}`);
  });

  it("without --json, exit codes still follow the job results (1 on a failed job)", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  broken:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
`,
    });
    const res = await runCli(["run", repo]);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain("broken");
  });
});
