import { execFile } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findEquinoxBin, RepoFiles, shellQuote } from "./repo-files.ts";
import { commitAll, runGit, writeFiles } from "./test-support.ts";

let base: string;
let noop: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "equinox-repos-"));
  // The hook's CLI for these tests: does nothing (the push path has its own test).
  noop = join(base, "noop.mjs");
  await writeFile(noop, "");
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("RepoFiles: the repositories on disk", () => {
  it("creates, lists, finds and removes repositories", async () => {
    const repos = new RepoFiles(join(base, "lifecycle"), { equinoxBin: noop });
    expect(await repos.list()).toEqual([]);
    expect(await repos.create("demo")).toEqual({ ok: true, path: join(repos.root, "demo.git") });
    expect(await repos.create("acme/widget")).toEqual({
      ok: true,
      path: join(repos.root, "acme", "widget.git"),
    });
    expect(await repos.create("acme/gadget")).toMatchObject({ ok: true });
    expect(await repos.create("demo")).toEqual({
      ok: false,
      error: "repository 'demo' already exists",
    });
    expect(await repos.create("../etc")).toEqual({
      ok: false,
      error: "repository name '../etc': must not contain '..'",
    });
    expect(await repos.list()).toEqual(["acme/gadget", "acme/widget", "demo"]);
    expect(await repos.exists("demo")).toBe(true);
    expect(await repos.exists("nope")).toBe(false);
    expect(await repos.exists("../lifecycle")).toBe(false);
    expect(() => repos.path("a/b/c")).toThrow("at most one group level");

    const path = repos.path("demo");
    expect((await runGit(path, ["config", "http.receivepack"])).stdout.trim()).toBe("true");
    expect((await runGit(path, ["symbolic-ref", "HEAD"])).stdout.trim()).toBe("refs/heads/main");
    expect((await stat(join(path, "hooks", "post-receive"))).mode & 0o777).toBe(0o755);
    // No template hooks, and nothing but the post-receive hook.
    expect(await readdir(join(path, "hooks"))).toEqual(["post-receive"]);
    // No temporary folders left behind.
    expect((await readdir(repos.root)).sort()).toEqual(["acme", "demo.git"]);

    expect(await repos.remove("acme/widget")).toBe(true);
    expect(await repos.list()).toEqual(["acme/gadget", "demo"]);
    expect(await repos.remove("acme/gadget")).toBe(true);
    expect(await readdir(repos.root)).toEqual(["demo.git"]); // the empty group is gone too
    expect(await repos.remove("acme/gadget")).toBe(false);
    expect(await repos.remove("../x")).toBe(false);
  });

  it("writes a hook that survives any path, and rewrites it on installHooks", async () => {
    const dataDir = join(base, 'it\'s a "data" dir $HOME `x`');
    const fakeBin = join(base, "bin with 'quotes'.mjs");
    // The hook's CLI here records what it was started with.
    await writeFile(
      fakeBin,
      `import { writeFileSync } from "node:fs";
writeFileSync(process.env.EQUINOX_DATA + "/ran.json", JSON.stringify({ argv: process.argv.slice(2), data: process.env.EQUINOX_DATA }));`,
    );
    const repos = new RepoFiles(dataDir, { equinoxBin: fakeBin });
    expect(await repos.create("g/r")).toMatchObject({ ok: true });
    const hook = join(repos.path("g/r"), "hooks", "post-receive");
    expect(await readFile(hook, "utf8")).toBe(repos.hookScript());
    await new Promise<void>((resolve, reject) =>
      execFile(hook, [], { cwd: repos.path("g/r") }, (err) => (err ? reject(err) : resolve())),
    );
    expect(JSON.parse(await readFile(join(dataDir, "ran.json"), "utf8"))).toEqual({
      argv: ["hook", "post-receive"],
      data: dataDir,
    });

    await writeFile(hook, "#!/bin/sh\nexit 1\n");
    const moved = new RepoFiles(dataDir, { equinoxBin: noop, node: "/opt/node/bin/node" });
    expect(await moved.installHooks()).toEqual(["g/r"]);
    const script = await readFile(hook, "utf8");
    expect(script).toContain(`exec '/opt/node/bin/node' ${shellQuote(noop)} hook post-receive`);
    expect((await stat(hook)).mode & 0o777).toBe(0o755);
  });

  it("quotes for the shell", () => {
    expect(shellQuote("plain")).toBe("'plain'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it("finds bin/equinox from its own location", () => {
    expect(findEquinoxBin()).toBe(join(import.meta.dirname, "../../../bin/equinox"));
  });
});

describe("RepoFiles: reading a repository", () => {
  const repos = () => new RepoFiles(join(base, "reads"), { equinoxBin: noop });
  let work: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    await repos().create("acme/app");
    work = join(base, "work");
    await mkdir(work);
    await runGit(work, ["init", "-q", "--initial-branch=main"]);
    await writeFiles(work, {
      ".github/workflows/ci.yml": "on: push\n",
      ".github/workflows/nested/deep.yml": "on: push\n",
      ".gitattributes": ".github export-ignore\n.equinox export-ignore\n",
      "old-name.txt": "rename me\n",
      "src/main.ts": "export {};\n",
      ".equinox/ci.ts": "// pipeline\n",
      ".equinox/run.sh": "#!/bin/sh\necho hi\n",
    });
    await symlink("/etc/passwd", join(work, ".github/workflows/leak.yml"));
    await chmod(join(work, ".equinox/run.sh"), 0o755);
    first = await commitAll(work, "first\n\nwith a body");
    await runGit(work, ["mv", "old-name.txt", "new-name.txt"]);
    await writeFiles(work, { "src/main.ts": "export const x = 1;\n" });
    second = await commitAll(work, "second");
    await runGit(work, ["push", "-q", repos().path("acme/app"), "main"]);
  });

  it("resolves refs", async () => {
    const r = repos();
    expect(await r.resolveRef("acme/app", "main")).toBe(second);
    expect(await r.resolveRef("acme/app", "refs/heads/main")).toBe(second);
    expect(await r.resolveRef("acme/app", first)).toBe(first);
    expect(await r.resolveRef("acme/app", "main~1")).toBe(first);
    expect(await r.resolveRef("acme/app", "nope")).toBeNull();
    expect(await r.resolveRef("acme/app", "--output=/tmp/x")).toBeNull();
    expect(await r.resolveRef("acme/app", "")).toBeNull();
    expect(await r.resolveRef("acme/none", "main")).toBeNull();
    expect(await r.resolveRef("../x", "main")).toBeNull();
  });

  it("knows the default branch", async () => {
    expect(await repos().defaultBranch("acme/app")).toBe("main");
    expect(await repos().defaultBranch("acme/none")).toBeNull();
  });

  it("lists changed files", async () => {
    const r = repos();
    expect((await r.changedFiles("acme/app", first, second))?.sort()).toEqual([
      "new-name.txt",
      "old-name.txt",
      "src/main.ts",
    ]);
    expect(await r.changedFiles("acme/app", "0".repeat(40), second)).toBeNull();
    expect(await r.changedFiles("acme/app", "1".repeat(40), second)).toBeNull();
    expect(await r.changedFiles("acme/app", "main", second)).toBeNull();
  });

  it("extracts only the paths a commit has, regular files only, export-ignore or not", async () => {
    const dest = join(base, "extract");
    const written = await repos().extractPaths(
      "acme/app",
      first,
      [".github/workflows", ".forgejo/workflows", ".equinox/", "missing.yml"],
      dest,
    );
    expect(written.sort()).toEqual([
      ".equinox/ci.ts",
      ".equinox/run.sh",
      ".github/workflows/ci.yml",
      ".github/workflows/nested/deep.yml",
    ]);
    expect(await readFile(join(dest, ".github/workflows/ci.yml"), "utf8")).toBe("on: push\n");
    expect(await readFile(join(dest, ".github/workflows/nested/deep.yml"), "utf8")).toBe(
      "on: push\n",
    );
    expect((await stat(join(dest, ".equinox/run.sh"))).mode & 0o777).toBe(0o755);
    await expect(lstat(join(dest, ".github/workflows/leak.yml"))).rejects.toThrow(/ENOENT/);
    await expect(lstat(join(dest, "src"))).rejects.toThrow(/ENOENT/);
    expect(await repos().extractPaths("acme/app", first, [".forgejo"], join(base, "e2"))).toEqual(
      [],
    );
    await expect(repos().extractPaths("acme/app", first, ["../x"], dest)).rejects.toThrow(
      "refusing to extract path '../x'",
    );
    await expect(
      repos().extractPaths("acme/app", "f".repeat(40), [".github"], dest),
    ).rejects.toThrow(`cannot read commit ${"f".repeat(40)}`);
    await expect(repos().extractPaths("acme/none", first, [".github"], dest)).rejects.toThrow(
      "repository 'acme/none' does not exist",
    );
  });

  it("reads a commit's author and message", async () => {
    expect(await repos().commitInfo("acme/app", first)).toEqual({
      author: { name: "Ada Lovelace", email: "ada@example.com" },
      message: "first\n\nwith a body",
    });
    expect(await repos().commitInfo("acme/app", "f".repeat(40))).toBeNull();
  });
});
