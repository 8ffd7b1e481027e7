/** TS pipelines beyond the fixtures: `equinox pipeline check`, `--list`, `-W`, where planning runs. */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

const PIPELINE = `import { job } from "equinox/pipeline";

job("build", ["push"], async ({ sh }) => {
  await sh("echo building");
  return { artifact: "app.tar" };
});
job("test", ["build"], async () => ({}), { allowFailure: true });
job("release", ["manual"], async ({ jobs }) => ({ version: jobs("manual").version }));
`;

const KDL = `workflow name="KDL" {
  job id="kdl-build" runs_on="ubuntu-22.04" {
    step name="Say" run="echo kdl"
  }
}
`;

describe.concurrent("equinox pipeline check", () => {
  it("lists the jobs with their inputs and exits 0", async () => {
    const repo = await makeRepo({ ".equinox/ci.ts": PIPELINE });
    const res = await runCli(["pipeline", "check", repo]);
    expect(res.code, res.stderr).toBe(0);
    const rows = res.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ["JOB", "INPUTS", "OPTIONS"],
      ["build", "push"],
      ["test", "build", "allowFailure"],
      ["release", "manual"],
    ]);
    expect(res.stderr).toContain(".equinox/ci.ts: 3 job(s), no problems");
  });

  it("reports every problem with file and line and exits 2", async () => {
    const repo = await makeRepo({
      ".equinox/ci.ts": `import { job } from "equinox/pipeline";
job("a", [], async () => ({}));
job("a", ["push"], async () => ({}));
job("b", ["missing"], async () => ({}));
`,
    });
    const res = await runCli(["pipeline", "check", repo]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr.trim().split("\n")).toEqual([
      `error: .equinox/ci.ts (Line: 2, Col: 1): job 'a' has empty inputs (name a source such as "push", or other jobs)`,
      "error: .equinox/ci.ts (Line: 3, Col: 1): duplicate job id 'a' (first defined on line 2)",
      "error: .equinox/ci.ts (Line: 4, Col: 1): job 'b' has unknown input 'missing' (not a job id nor a source: push, schedule, manual)",
    ]);
  });

  it("finds .js and .mjs pipelines, and says so when there is none", async () => {
    const js = await makeRepo({
      ".equinox/ci.mjs": PIPELINE.replace(/, \{ allowFailure: true \}/, ""),
    });
    const ok = await runCli(["pipeline", "check", js]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(".equinox/ci.mjs: 3 job(s)");

    const none = await makeRepo({ "README.md": "nothing\n" });
    const res = await runCli(["pipeline", "check", none]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("no pipeline found");
  });

  it("rejects an unknown subcommand", async () => {
    const res = await runCli(["pipeline", "lint"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown pipeline command 'lint'");
  });
});

describe.concurrent("TS pipelines in equinox run", () => {
  it("--list shows the pipeline's jobs (format equinox-pipeline) beside other formats, per source", async () => {
    const repo = await makeRepo({ ".equinox/ci.ts": PIPELINE, ".solstice/workflow.kdl": KDL });
    const push = await runCli(["run", repo, "--list"]);
    expect(push.code, push.stderr).toBe(0);
    const rows = push.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s{2,}/).slice(0, 3));
    expect(rows).toEqual([
      ["WORKFLOW", "FORMAT", "JOB"],
      [".solstice/workflow.kdl", "solstice-kdl", "kdl-build"],
      [".equinox/ci.ts", "equinox-pipeline", "build"],
      [".equinox/ci.ts", "equinox-pipeline", "test"],
    ]);

    const manual = await runCli(["run", repo, "--list", "-e", "workflow_dispatch"]);
    expect(manual.code, manual.stderr).toBe(0);
    const manualRows = manual.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s{2,}/));
    // A KDL workflow runs for any event; the pipeline only has the manual source's jobs.
    expect(manualRows.map((r) => r.slice(0, 3))).toEqual([
      [".solstice/workflow.kdl", "solstice-kdl", "kdl-build"],
      [".equinox/ci.ts", "equinox-pipeline", "release"],
    ]);
  });

  it("-W runs only the pipeline file", async () => {
    const repo = await makeRepo({ ".equinox/ci.ts": PIPELINE, ".solstice/workflow.kdl": KDL });
    const res = await runCli(["run", repo, "--json", "-W", ".equinox/ci.ts"]);
    expect(res.code, res.stderr).toBe(0);
    const run = parseRunJson(res.stdout);
    expect(run.jobs.map((j) => [j.id, j.result])).toEqual([
      ["build", "success"],
      ["test", "success"],
    ]);
    expect(run.jobs[0]?.outputs).toEqual({ artifact: "app.tar" });
  });

  it("the pipeline is evaluated by the runtime, never in the CLI's process", async () => {
    const marker = join(await mkdtemp(join(tmpdir(), "equinox-where-")), "where");
    const repo = await makeRepo({
      ".equinox/ci.ts": `import { job } from "equinox/pipeline";
import { appendFileSync } from "node:fs";
appendFileSync(process.env.WHERE_MARKER!, process.argv[1] + "\\n");
job("one", ["push"], async () => ({}));
`,
    });
    const res = await runCli(["run", repo, "--json"], { env: { WHERE_MARKER: marker } });
    expect(res.code, res.stderr).toBe(0);
    const where = (await readFile(marker, "utf8")).trim().split("\n");
    // Once to plan, once to run the job: both times in dist/runtime.mjs.
    expect(where).toHaveLength(2);
    for (const w of where) expect(w).toMatch(/runtime\.mjs$/);
  });

  it("Ctrl-C cancels a pipeline job: every running sh() is killed, the job is cancelled", async () => {
    const repo = await makeRepo({
      ".equinox/ci.ts": `import { job } from "equinox/pipeline";
job("slow", ["push"], async ({ sh }) => {
  await Promise.all([sh("echo started-one; sleep 300"), sh("echo started-two; sleep 300")]);
  return { finished: "yes" };
});
`,
    });
    let seen = "";
    let interrupted = false;
    const started = Date.now();
    const res = await runCli(["run", repo, "--json"], {
      onStderr(chunk, child) {
        seen += chunk;
        if (!interrupted && seen.includes("started-one") && seen.includes("started-two")) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(res.code, res.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const run = parseRunJson(res.stdout);
    expect(run.jobs.map((j) => [j.id, j.result])).toEqual([["slow", "cancelled"]]);
  });
});
