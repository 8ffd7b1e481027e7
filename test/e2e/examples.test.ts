/** The example repositories in examples/ run as documented. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRunJson, ROOT, runCli } from "../helpers.ts";

describe("examples", () => {
  it("examples/solstice: per-OS setup scripts chosen by runs_on, and a step calling the legacy job.sh", async () => {
    // Inside the Equinox repository, a subdirectory runs as a plain directory (checkout copies it).
    const res = await runCli(["run", join(ROOT, "examples", "solstice"), "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const run = parseRunJson(res.stdout);
    expect(run.result).toBe("success");
    const jobs = Object.fromEntries(run.jobs.map((j) => [j.id, j]));
    expect(run.jobs.map((j) => [j.id, j.runsOn, j.result])).toEqual([
      ["ubuntu", "ubuntu-22.04", "success"],
      ["debian", "debian-12", "success"],
      ["package", "ubuntu-22.04", "success"],
    ]);
    expect(jobs.ubuntu?.steps.map((s) => s.name)).toEqual([
      "Checkout",
      "Setup (.solstice/setup-ubuntu.sh)",
      "Build",
      "Test",
    ]);
    expect(jobs.ubuntu?.log).toContain("Built build/greet for ubuntu");
    expect(jobs.debian?.log).toContain("Setting up Debian for greeter");
    expect(jobs.debian?.log).toContain("Built build/greet for debian");
    expect(jobs.package?.log).toContain("Legacy job for greeter (mode: release)");
    expect(jobs.package?.log).toContain("Packaged build/greeter.tar.gz");
  });

  it("examples/quire: build → test → deploy, outputs passed on, the secret masked, deploy only on main", async () => {
    const dir = await mkdtemp(join(tmpdir(), "equinox-quire-"));
    const event = async (ref: string) => {
      const file = join(dir, `${ref.replaceAll("/", "-")}.json`);
      await writeFile(file, JSON.stringify({ ref }));
      return file;
    };
    const token = "quire-deploy-token-77";
    const example = join(ROOT, "examples", "quire");
    const main = await runCli([
      "run",
      example,
      "--json",
      "--event-file",
      await event("refs/heads/main"),
      "-s",
      `DEPLOY_TOKEN=${token}`,
    ]);
    expect(main.code, main.stderr).toBe(0);
    expect(main.stdout + main.stderr).not.toContain(token);
    const run = parseRunJson(main.stdout);
    expect(run.jobs.map((j) => [j.id, j.result])).toEqual([
      ["build", "success"],
      ["test", "success"],
      ["deploy", "success"],
    ]);
    const jobs = Object.fromEntries(run.jobs.map((j) => [j.id, j]));
    expect(jobs.build?.outputs).toEqual({
      artifact: "build/greeter.tar.gz",
      version: "greeter 1.2.3",
    });
    expect(jobs.test?.outputs).toEqual({ passed: "true" });
    expect(jobs.deploy?.outputs.deployed).toBe("greeter 1.2.3");
    expect(jobs.deploy?.log).toContain("uploading build/greeter.tar.gz (greeter 1.2.3) with ***");

    const feature = await runCli([
      "run",
      example,
      "--json",
      "--event-file",
      await event("refs/heads/feature"),
      "-s",
      `DEPLOY_TOKEN=${token}`,
    ]);
    expect(feature.code, feature.stderr).toBe(0);
    expect(parseRunJson(feature.stdout).jobs.map((j) => [j.id, j.result])).toEqual([
      ["build", "success"],
      ["test", "success"],
      ["deploy", "skipped"],
    ]);
  });
});
