/** The example repositories in examples/ run as documented. */
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
});
