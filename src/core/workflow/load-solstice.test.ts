import { describe, expect, it } from "vitest";
import type { StepSpec } from "../job-spec.ts";
import { loadSolsticeWorkflow, solsticeJobScript } from "./load-solstice.ts";
import { formatWorkflowError, type Workflow } from "./model.ts";

const FILE = ".solstice/workflow.kdl";

function load(text: string): Workflow {
  const r = loadSolsticeWorkflow(FILE, text);
  expect(r.errors.map(formatWorkflowError)).toEqual([]);
  return r.value!;
}

/** Every error as `line:col message`, in order. */
function errors(text: string): string[] {
  const r = loadSolsticeWorkflow(FILE, text);
  expect(r.value).toBeNull();
  return r.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
}

/** A step as a compact string: what runs and under which name. */
function brief(s: StepSpec): string {
  if (s.kind === "uses") return `${s.name}: uses ${s.uses}`;
  return s.kind === "run" ? `${s.name ?? "-"}: ${s.run}` : `${s.name ?? "-"}: ${s.kind}`;
}

describe("loadSolsticeWorkflow: the mapping onto the job model", () => {
  it("maps workflow, job, setup and steps: checkout, then setup, then the steps in order", () => {
    const w = load(`workflow name="CI" {
  job id="build" runs_on="ubuntu-22.04" {
    step name="Build" run="make"
    setup path=".solstice/setup.sh"
    step name="Test" run="make test"
  }
}
`);
    expect(w).toMatchObject({
      format: "solstice-kdl",
      file: FILE,
      name: "CI",
      on: { push: {}, pull_request: {}, workflow_dispatch: {} },
    });
    expect(w.jobs).toHaveLength(1);
    const job = w.jobs[0]!;
    expect(job).toMatchObject({
      id: "build",
      name: null,
      needs: [],
      runsOn: "ubuntu-22.04",
      timeoutMinutes: 360,
      line: 2,
    });
    expect(job.steps.map(brief)).toEqual([
      "Checkout: uses actions/checkout@v4",
      "Setup (.solstice/setup.sh): if [ -x ./.solstice/setup.sh ]; then ./.solstice/setup.sh; else bash ./.solstice/setup.sh; fi",
      "Build: make",
      "Test: make test",
    ]);
  });

  it.each<[string, string, Partial<Record<string, unknown>>]>([
    ["no name: the file path", `workflow { job id="a" { step run="x" } }`, { name: FILE }],
    [
      "env as properties at every level",
      `workflow { env A="w" N=1 B=#true; job id="a" { env A="j"; step run="x" { env A="s" } } }`,
      {
        env: { A: "w", N: "1", B: "true" },
        jobs: [{ env: { A: "j" }, steps: [{}, { env: { A: "s" } }] }],
      },
    ],
    [
      "env as a block; later env nodes win",
      `workflow { env { A "1"; B "2" }; env B="3"; job id="a" { step run="x" } }`,
      { env: { A: "1", B: "3" } },
    ],
    [
      "needs as a property and as a node, without duplicates",
      `workflow {
  job id="a" { step run="x" }
  job id="b" { step run="x" }
  job id="c" needs="a" { needs "a" "b"; step run="x" }
}`,
      { jobs: [{ needs: [] }, { needs: [] }, { needs: ["a", "b"] }] },
    ],
    [
      "timeout on job and step, fractions allowed",
      `workflow { job id="a" timeout=0.5 { step run="x" timeout=2 } }`,
      { jobs: [{ timeoutMinutes: 0.5, steps: [{}, { timeoutMinutes: 2 }] }] },
    ],
    [
      "no runs_on: null, the default label",
      `workflow { job id="a" { step run="x" } }`,
      { jobs: [{ runsOn: null }] },
    ],
    [
      "script attribute: checkout, then the script as the single step",
      `workflow { job id="a" script="ci/run tests.sh" }`,
      {
        jobs: [
          {
            steps: [
              { kind: "uses", name: "Checkout" },
              {
                kind: "run",
                name: "Run ci/run tests.sh",
                run: "if [ -x './ci/run tests.sh' ]; then './ci/run tests.sh'; else bash './ci/run tests.sh'; fi",
              },
            ],
          },
        ],
      },
    ],
    [
      "setup with script: setup first",
      `workflow { job id="a" script="/opt/ci.sh" { setup path="s.sh" } }`,
      {
        jobs: [
          {
            steps: [
              { name: "Checkout" },
              { name: "Setup (s.sh)" },
              { name: "Run /opt/ci.sh", run: expect.stringContaining("bash /opt/ci.sh") },
            ],
          },
        ],
      },
    ],
    [
      "a step without a name has a null name (shown by its command)",
      `workflow { job id="a" { step run="make" } }`,
      { jobs: [{ steps: [{}, { name: null, run: "make" }] }] },
    ],
  ])("%s", (_title, text, want) => {
    expect(load(text)).toMatchObject(want);
  });

  it("reads KDL v1, as Solstice writes it (raw strings, bare keywords, multi-line strings)", () => {
    const w = load(`// Solstice workflow, KDL v1
workflow name="v1" {
  job id="a" runs_on="illumos-latest" {
    env DEBUG=true
    step name="quoted" run=r#"echo "hi""#
    step name="lines" run="echo one
echo two"
  }
}
`);
    const job = w.jobs[0]!;
    expect(job.env).toEqual({ DEBUG: "true" });
    expect(job.steps.map(brief).slice(1)).toEqual([
      'quoted: echo "hi"',
      "lines: echo one\necho two",
    ]);
  });

  it("reads KDL v2 (bare identifier strings, #keywords, multi-line strings)", () => {
    const w = load(`workflow name=v2 {
  job id=a runs_on=ubuntu-22.04 {
    env DEBUG=#false
    step name=lines run="""
      echo one
      echo two
      """
  }
}
`);
    const job = w.jobs[0]!;
    expect(job.runsOn).toBe("ubuntu-22.04");
    expect(job.env).toEqual({ DEBUG: "false" });
    expect(job.steps.map(brief).slice(1)).toEqual(["lines: echo one\necho two"]);
  });
});

describe("loadSolsticeWorkflow: errors carry line and column, all of them", () => {
  it.each<[string, string, string[]]>([
    [
      "syntax error: an unterminated string",
      `workflow {\n  job id="a" {\n    step name="x run="y"\n  }\n}\n`,
      [
        "3:23 KDL syntax error: Missing node terminator",
        "6:1 KDL syntax error: Unexpected EOF inside string",
      ],
    ],
    [
      "syntax error: a property without a value",
      `workflow {\n  job id= {\n  }\n}\n`,
      ["2:11 KDL syntax error: Expected a value"],
    ],
    [
      "an empty file",
      "",
      ['1:1 No \'workflow\' node: expected workflow name="…" { job id="…" { … } }'],
    ],
    [
      "unknown nodes and properties",
      `workflow name="x" on="push" {\n  jobs id="a"\n  job id="b" runs-on="u" {\n    step run="x" shell="sh"\n    cache path="x"\n  }\n}\npipeline\n`,
      [
        "1:19 Unknown property 'on' on 'workflow' (expected name)",
        "2:3 Unknown node 'jobs' in 'workflow' (expected env, job)",
        "3:14 Unknown property 'runs-on' on 'job' (expected id, runs_on, needs, timeout, script)",
        "4:18 Unknown property 'shell' on 'step' (expected name, run, timeout)",
        "5:5 Unknown node 'cache' in 'job' (expected env, needs, setup, step)",
        "8:1 Unknown node 'pipeline' at the top level (expected 'workflow')",
      ],
    ],
    [
      "missing required attributes",
      `workflow {\n  job runs_on="u" { step run="x" }\n  job id="b" {\n    setup\n    step name="no run"\n  }\n}\n`,
      [
        "2:3 Missing required property 'id' on 'job'",
        "4:5 Missing required property 'path' on 'setup'",
        "5:5 Missing required property 'run' on 'step'",
      ],
    ],
    [
      "arguments instead of properties",
      `workflow "CI" {\n  job "a" { step run="x" }\n}\n`,
      [
        `1:10 'workflow' takes no arguments, found "CI"`,
        `2:3 Missing required property 'id' on 'job'`,
        `2:7 'job' takes no arguments, found "a" (write id="a")`,
      ],
    ],
    [
      "wrong value types",
      `workflow {\n  job id=1 timeout="10" { step run=#true timeout=0 }\n}\n`,
      [
        "2:7 'job' property 'id' must be a string, found 1",
        `2:12 'job' property 'timeout' must be a positive number of minutes, found "10"`,
        "2:32 'step' property 'run' must be a string, found true",
        "2:42 'step' property 'timeout' must be a positive number of minutes, found 0",
      ],
    ],
    [
      "a bad job id",
      `workflow {\n  job id="build it" { step run="x" }\n}\n`,
      [
        "2:7 Job id 'build it' must start with a letter or '_' and contain only letters, digits, '-' and '_'",
      ],
    ],
    [
      "duplicate job ids",
      `workflow {\n  job id="a" { step run="x" }\n  job id="a" { step run="y" }\n}\n`,
      ["3:7 Duplicate job id 'a' (first defined on line 2)"],
    ],
    [
      "unknown needs, as a property and as a node",
      `workflow {\n  job id="a" needs="nope" { step run="x" }\n  job id="b" {\n    needs "a" "gone"\n    step run="x"\n  }\n}\n`,
      ["2:14 Job 'a' depends on unknown job 'nope'", "4:15 Job 'b' depends on unknown job 'gone'"],
    ],
    [
      "a needs cycle",
      `workflow {\n  job id="a" needs="c" { step run="x" }\n  job id="b" needs="a" { step run="x" }\n  job id="c" needs="b" { step run="x" }\n  job id="free" { step run="x" }\n}\n`,
      ["2:14 Job 'a' is part of a needs cycle: a -> c -> b -> a"],
    ],
    [
      "a job needing itself",
      `workflow {\n  job id="a" { needs "a"; step run="x" }\n}\n`,
      ["2:22 Job 'a' is part of a needs cycle: a -> a"],
    ],
    [
      "jobs without steps, script with steps, two setups",
      `workflow {\n  job id="a"\n  job id="b" script="x.sh" { step run="y" }\n  job id="c" { setup path="1"; setup path="2"; step run="z" }\n}\n`,
      [
        "2:3 Job 'a' has no steps: add 'step' nodes or a script attribute",
        "3:14 Job 'b' has both a script attribute and 'step' nodes; use one or the other",
        "4:32 Only one 'setup' node is allowed per job",
      ],
    ],
    [
      "a workflow without jobs, and two workflows",
      `workflow name="a"\nworkflow name="b" { job id="x" { step run="x" } }\n`,
      ["1:1 The workflow has no jobs", "2:1 Only one 'workflow' node is allowed per file"],
    ],
    [
      "bad env entries",
      `workflow {\n  env "A"\n  env { B; C "1" "2"; D "ok" }\n  env E=#null\n  job id="a" { step run="x" }\n}\n`,
      [
        `2:7 'env' takes KEY="value" properties, found "A"`,
        `3:9 env block entries are KEY "value", found 'B'`,
        `3:12 env block entries are KEY "value", found 'C'`,
        "4:7 env 'E' must be a string, found null",
      ],
    ],
    [
      "children where none are allowed",
      `workflow {\n  job id="a" {\n    setup path="s" { step run="x" }\n    step run="x"\n  }\n}\n`,
      ["3:22 'setup' takes no children, found 'step'"],
    ],
  ])("%s", (_title, text, want) => {
    expect(errors(text)).toEqual(want);
  });

  it("formats errors as `file (Line: n, Col: m): message`", () => {
    const r = loadSolsticeWorkflow(FILE, `workflow {\n  job id="a" bogus=1 { step run="x" }\n}\n`);
    expect(r.errors.map(formatWorkflowError)).toEqual([
      ".solstice/workflow.kdl (Line: 2, Col: 14): Unknown property 'bogus' on 'job' (expected id, runs_on, needs, timeout, script)",
    ]);
  });
});

describe("solsticeJobScript", () => {
  it("is one job `job` on the default label: checkout, then the script", () => {
    const w = solsticeJobScript(".solstice/job.sh");
    expect(w).toMatchObject({
      format: "solstice-script",
      file: ".solstice/job.sh",
      name: ".solstice/job.sh",
      on: { push: {}, pull_request: {}, workflow_dispatch: {} },
    });
    expect(w.jobs.map((j) => [j.id, j.runsOn, j.needs])).toEqual([["job", null, []]]);
    expect(w.jobs[0]!.steps.map(brief)).toEqual([
      "Checkout: uses actions/checkout@v4",
      "Run .solstice/job.sh: if [ -x ./.solstice/job.sh ]; then ./.solstice/job.sh; else bash ./.solstice/job.sh; fi",
    ]);
  });
});
