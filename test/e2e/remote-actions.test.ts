import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

const exec = promisify(execFile);

/** A git server stand-in: bare repos under <root>/<owner>/<repo>, reached by file:// URL. */
async function actionsServer(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "equinox-actions-"));
  const src = await makeRepo({
    "action.yml": `name: greet
inputs:
  who:
    default: world
outputs:
  greeting:
    value: \${{ steps.say.outputs.greeting }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: |
        echo "hello, \${{ inputs.who }}"
        echo "greeting=hello \${{ inputs.who }}" >> "$GITHUB_OUTPUT"
`,
  });
  await exec("git", ["-C", src, "tag", "v1"]);
  await exec("git", ["clone", "-q", "--bare", src, join(root, "acme", "greet")]);
  return root;
}

describe("remote actions", () => {
  it("are cloned from --actions-url at their ref and run", async () => {
    const server = await actionsServer();
    const cache = await mkdtemp(join(tmpdir(), "equinox-cache-"));
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  greet:
    runs-on: ubuntu-latest
    outputs:
      g: \${{ steps.g.outputs.greeting }}
    steps:
      - id: g
        uses: acme/greet@v1
        with:
          who: equinox
`,
    });
    const res = await runCli(["run", repo, "--json", "--actions-url", `file://${server}`], {
      env: { XDG_CACHE_HOME: cache },
    });
    expect(res.code, res.stderr).toBe(0);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.log).toContain("hello, equinox");
    expect(job.outputs).toEqual({ g: "hello equinox" });
  });

  it("without a source, fail the step with a message naming the action", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: some-org/some-action@v2
      - run: echo not reached
`,
    });
    const res = await runCli(["run", repo, "--json"]);
    expect(res.code).toBe(1);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.steps.map((s) => s.conclusion)).toEqual(["failure", "skipped"]);
    expect(job.log).toContain("Can't fetch action 'some-org/some-action@v2'");
  });

  it("an unknown ref fails the step naming the action and the URL", async () => {
    const server = await actionsServer();
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/greet@v9
`,
    });
    const cache = await mkdtemp(join(tmpdir(), "equinox-cache-"));
    const res = await runCli(["run", repo, "--json", "--actions-url", `file://${server}`], {
      env: { XDG_CACHE_HOME: cache },
    });
    expect(res.code).toBe(1);
    expect(parseRunJson(res.stdout).jobs[0]!.log).toContain(
      `Can't fetch action 'acme/greet@v9' from file://${server}/acme/greet`,
    );
  });
});
