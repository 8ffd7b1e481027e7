import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

const exec = promisify(execFile);

const WORKFLOW = `on:
  push:
    paths: ["docs/**"]
jobs:
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: echo building docs
`;

/** A repo with a second commit touching `path`; returns the repo and an event file for that push. */
async function pushTouching(path: string) {
  const repo = await makeRepo({
    ".github/workflows/ci.yml": WORKFLOW,
    "docs/index.md": "# v1\n",
    "src/app.c": "int main(){}\n",
  });
  const sha = async () => (await exec("git", ["rev-parse", "HEAD"], { cwd: repo })).stdout.trim();
  const before = await sha();
  await writeFile(join(repo, path), "changed\n");
  await exec("git", ["commit", "-qam", `touch ${path}`], { cwd: repo });
  const event = join(repo, "..", `${before.slice(0, 8)}-event.json`);
  await writeFile(event, JSON.stringify({ ref: "refs/heads/main", before, after: await sha() }));
  return { repo, event };
}

describe("push path filters", () => {
  it("run the workflow when a matching file changed between before and after", async () => {
    const { repo, event } = await pushTouching("docs/index.md");
    const res = await runCli(["run", repo, "--json", "--event-file", event]);
    expect(res.code, res.stderr).toBe(0);
    expect(parseRunJson(res.stdout).jobs.map((j) => [j.id, j.result])).toEqual([
      ["docs", "success"],
    ]);
  });

  it("skip it when only other files changed, and say why", async () => {
    const { repo, event } = await pushTouching("src/app.c");
    const res = await runCli(["run", repo, "--json", "--event-file", event]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain("no workflow is triggered by 'push'");
    expect(parseRunJson(res.stdout)).toEqual({ result: "success", jobs: [] });
  });
});
