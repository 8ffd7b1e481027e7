/**
 * `uses: docker://image` steps and Docker actions, end to end through `equinox run`, on
 * every executor: the executor runs them in containers next to the job, with the job's
 * directories at their own paths, so files, outputs and workflow commands work as they
 * do for a `run:` step.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { bwrapProblem } from "../bwrap.ts";
import { describeDocker, leftovers, SLIM_IMAGE } from "../docker.ts";
import { makeRepo, parseRunJson, runCli } from "../helpers.ts";

const WORKFLOW = `on: push
jobs:
  sc-step-containers:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "written by the job" > shared.txt
      - id: image
        uses: docker://${SLIM_IMAGE}
        env:
          GREETING: hi
        with:
          entryPoint: bash
          args: >-
            -c "cat shared.txt; echo \\"greeting=$GREETING entrypoint-input=$INPUT_ENTRYPOINT from-cli=$FROM_CLI\\"; echo result=from-image >> \\"$GITHUB_OUTPUT\\"; echo '::notice title=img::hello from a step container'; echo made > made-in-container.txt"
      - run: |
          echo "image output: \${{ steps.image.outputs.result }}"
          cat made-in-container.txt
      - id: action
        uses: ./.github/actions/hello
        env:
          LEVEL: set by the step
        with:
          who: world
      - uses: ./.github/actions/echo-args
        with:
          args: one "two three"
      - run: |
          echo "action output: \${{ steps.action.outputs.said }}"
      - id: failing
        continue-on-error: true
        uses: docker://${SLIM_IMAGE}
        with:
          entrypoint: sh
          args: -c "exit 3"
      - run: echo "failing step outcome \${{ steps.failing.outcome }}"
`;

const ACTION = {
  ".github/actions/hello/action.yml": `name: hello
inputs:
  who: { required: true }
  punctuation: { default: "!" }
outputs:
  said: { description: what it said }
runs:
  using: docker
  image: docker/Dockerfile
  args: ["\${{ inputs.who }}"]
  pre-entrypoint: /pre.sh
  post-entrypoint: /post.sh
  env:
    FROM_ACTION_YML: set by runs.env
    LEVEL: set by runs.env
`,
  ".github/actions/hello/docker/Dockerfile": `FROM ${SLIM_IMAGE}
COPY *.sh /
RUN chmod +x /*.sh
ENTRYPOINT ["/entrypoint.sh"]
`,
  ".github/actions/hello/docker/pre.sh": `#!/bin/sh
echo "pre-entrypoint for $1"
echo "from_pre=saved by pre" >> "$GITHUB_STATE"
`,
  ".github/actions/hello/docker/entrypoint.sh": `#!/bin/sh
echo "hello $1$INPUT_PUNCTUATION (INPUT_WHO=$INPUT_WHO, $FROM_ACTION_YML, level $LEVEL, main sees $STATE_from_pre)"
echo "said=hello $1" >> "$GITHUB_OUTPUT"
echo "greeted=$1" >> "$GITHUB_STATE"
`,
  ".github/actions/hello/docker/post.sh": `#!/bin/sh
echo "post-entrypoint: greeted $STATE_greeted, $STATE_from_pre"
`,
  ".github/actions/echo-args/action.yml":
    "name: echo-args\nruns: { using: docker, image: Dockerfile }\n",
  ".github/actions/echo-args/Dockerfile": `FROM ${SLIM_IMAGE}\nENTRYPOINT ["echo", "args:"]\n`,
};

const labels = join(mkdtempSync(join(tmpdir(), "equinox-step-labels-")), "labels.yml");
writeFileSync(
  labels,
  `docker-image: ${SLIM_IMAGE}\nlabels:\n  offline: { executor: bwrap, network: false }\n`,
);

function run(repo: string, executor?: string, ...more: string[]) {
  const args = ["run", repo, "--json", ...(executor ? ["--executor", executor] : []), ...more];
  return runCli(args, {
    env: { EQUINOX_LABELS: labels },
    timeoutMs: 180_000,
  });
}

await describeDocker("step containers", () => {
  const executors = ["host", "docker", ...(bwrapProblem() ? [] : ["bwrap"])];

  it.each(executors)(
    "run docker:// steps and a Dockerfile action under --executor %s",
    async (executor) => {
      // A nonce in the action makes its image new to this engine, so the build is exercised.
      const repo = await makeRepo({
        ".github/workflows/ci.yml": WORKFLOW,
        ...ACTION,
        ".github/actions/hello/docker/nonce.txt": randomUUID(),
      });
      const res = await run(repo, executor, "--env", "FROM_CLI=yes");
      expect(res.code, res.stderr).toBe(0);
      const job = parseRunJson(res.stdout).jobs[0]!;
      expect(job.result, job.log).toBe("success");
      expect(job.log).toContain("written by the job");
      // with.entryPoint in Actions' spelling, kept as INPUT_ENTRYPOINT; --env reaches it.
      expect(job.log).toContain("greeting=hi entrypoint-input=bash from-cli=yes");
      expect(job.log).toContain("image output: from-image");
      expect(job.log).toContain("made\n");
      expect(job.log).toContain("Building the action's Dockerfile");
      // runs.env does not override the step's own env; main sees what pre saved.
      expect(job.log).toContain(
        "hello world! (INPUT_WHO=world, set by runs.env, level set by the step, main sees saved by pre)",
      );
      // An action without runs.args takes the args input, split like a shell would.
      expect(job.log).toContain("args: one two three");
      expect(job.log).toContain("action output: hello world");
      // pre-entrypoint before the entrypoint; post-entrypoint after the job's steps, with the state.
      expect(job.log.indexOf("pre-entrypoint for world")).toBeGreaterThan(-1);
      expect(job.log.indexOf("pre-entrypoint for world")).toBeLessThan(
        job.log.indexOf("hello world!"),
      );
      expect(job.log.indexOf("post-entrypoint: greeted world, saved by pre")).toBeGreaterThan(
        job.log.indexOf("failing step outcome failure"),
      );
      expect(job.log).toContain("failing step outcome failure");
      expect(res.stderr).toContain("hello from a step container");
      expect(leftovers("sc-")).toEqual([]);
    },
  );

  it.skipIf(bwrapProblem() !== null)(
    "gives the step containers of a sandbox without network no network either",
    async () => {
      const repo = await makeRepo({
        ".github/workflows/ci.yml": `on: push
jobs:
  sc-offline:
    runs-on: offline
    steps:
      - uses: docker://${SLIM_IMAGE}
        with:
          entrypoint: bash
          args: -c "echo interfaces $(ls /sys/class/net)"
`,
      });
      const res = await run(repo);
      expect(res.code, res.stderr).toBe(0);
      expect(parseRunJson(res.stdout).jobs[0]!.log).toMatch(/^interfaces lo$/m);
    },
  );

  it("passes a step container's large output on whole, in order, masked", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  sc-loud:
    runs-on: ubuntu-latest
    steps:
      - uses: docker://${SLIM_IMAGE}
        env:
          TOKEN: \${{ secrets.TOKEN }}
        with:
          entrypoint: bash
          args: -c "seq 1 400000; echo token=$TOKEN"
`,
    });
    const res = await run(repo, "host", "-s", "TOKEN=hush-4711");
    expect(res.code, res.stderr).toBe(0);
    const lines = parseRunJson(res.stdout).jobs[0]!.log.split("\n");
    const numbers = lines.filter((l) => /^\d+$/.test(l)).map(Number);
    expect(numbers).toHaveLength(400_000);
    expect(numbers.every((n, i) => n === i + 1)).toBe(true);
    expect(lines).toContain("token=***");
  });

  it("fails a step whose image does not exist, naming it", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  sc-no-image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker://equinox-test/no-such-image:never
      - run: echo never
`,
    });
    const res = await run(repo, "host");
    expect(res.code).toBe(1);
    const job = parseRunJson(res.stdout).jobs[0]!;
    expect(job.log).toContain("equinox-test/no-such-image:never");
    expect(job.log).not.toContain("never\n");
  });

  it("stops a step container when the job is cancelled by its timeout", async () => {
    const repo = await makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  sc-slow-step:
    runs-on: ubuntu-latest
    timeout-minutes: 0.05
    steps:
      - uses: docker://${SLIM_IMAGE}
        with:
          entrypoint: sleep
          args: "300"
`,
    });
    const started = Date.now();
    const res = await run(repo, "host");
    expect(res.code).toBe(1);
    // The container's process gets the stop signal (an init forwards it): no grace period spent.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(parseRunJson(res.stdout).jobs[0]!.result).toBe("cancelled");
    expect(leftovers("sc-")).toEqual([]);
  });
});
