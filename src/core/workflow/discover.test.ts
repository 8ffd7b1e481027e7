import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflows } from "./load.ts";

const valid = `on: [push]
jobs:
  build:
    runs-on: x
    steps:
      - run: echo hi
`;

describe("workflow discovery", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "eqx-discover-"));
    await mkdir(join(root, ".github/workflows"), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("skips a folder named like a workflow and reports a file it cannot read, loading the rest", async () => {
    await writeFile(join(root, ".github/workflows/ci.yml"), valid);
    await mkdir(join(root, ".github/workflows/x.yml"));
    await writeFile(join(root, ".github/workflows/x.yml/inner.yml"), valid);
    await symlink("missing.yml", join(root, ".github/workflows/dangling.yml"));
    await writeFile(join(root, "shared.yml"), valid);
    await symlink("../../shared.yml", join(root, ".github/workflows/linked.yml"));

    const loaded = await loadWorkflows(root);

    expect(loaded.workflows.map((w) => w.file)).toEqual([
      ".github/workflows/ci.yml",
      ".github/workflows/linked.yml",
    ]);
    expect(loaded.errors).toEqual([
      {
        file: ".github/workflows/dangling.yml",
        message: expect.stringMatching(/^cannot read the workflow: ENOENT/),
      },
    ]);
  });
});
