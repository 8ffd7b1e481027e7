/**
 * Where a TS pipeline is planned: its plan-time code is user code, so a server whose
 * label config sends jobs to bwrap plans there too, never on the host. And plans made
 * at the same time (two repositories pushed at once) do not share a job directory.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutorRouter } from "../../src/engine/executors/router.ts";
import {
  DEFAULT_DOCKER_IMAGE,
  defaultLabelConfig,
  type LabelConfig,
} from "../../src/engine/labels.ts";
import { planPipelineJob } from "../../src/engine/pipeline-plan.ts";
import { uniqueJobKey } from "../../src/engine/run-job.ts";
import type { RunEnvironment } from "../../src/engine/scheduler.ts";
import { bwrapProblem } from "../bwrap.ts";
import { describeUnless, makeRepo } from "../helpers.ts";
import {
  getRun,
  git,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "../server/server-helpers.ts";

/** Names its one job after whether the plan-time code could see `marker` (a host file). */
function probePipeline(marker: string): string {
  return `import { job } from "equinox/pipeline";
import { existsSync } from "node:fs";
job(existsSync(${JSON.stringify(marker)}) ? "planned-on-host" : "planned-in-sandbox", ["push"], async () => ({}));
`;
}

describeUnless(bwrapProblem(), "planning a TS pipeline on a server whose jobs run in bwrap", () => {
  let t: TestServer;
  let outside: string;
  let dataDir: string;
  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), "equinox-plan-host-"));
    await writeFile(join(outside, "marker"), "host only\n");
    const labels: LabelConfig = {
      ...defaultLabelConfig(),
      fallback: { executor: "bwrap", network: true, limits: {} },
    };
    // The sandbox's user must reach the server's job directories.
    dataDir = await mkdtemp(join(tmpdir(), "equinox-plan-serve-"));
    await chmod(dataDir, 0o755);
    t = await startTestServer({ labels, dataDir });
  });
  afterAll(async () => {
    await t.close();
    await rm(outside, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs the plan-time code in the sandbox, where host files are out of sight", async () => {
    expect((await t.api("POST", "/repos", { name: "sandboxed-plan" })).status).toBe(201);
    const dir = await workTree({ ".equinox/ci.ts": probePipeline(join(outside, "marker")) });
    await git(dir, "push", "-q", pushUrl(t, "sandboxed-plan"), "main");
    const [run] = await waitForRuns(
      t,
      "sandboxed-plan",
      (runs) => runs[0]?.status === "completed",
      60_000,
    );
    const full = await getRun(t, run!.id);
    expect(full.result, JSON.stringify(full)).toBe("success");
    expect(full.jobs?.map((j) => j.name)).toEqual(["planned-in-sandbox"]);
  });
});

describe("plans made at the same time", () => {
  let root: string;
  let executor: ExecutorRouter;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "equinox-plans-"));
    executor = new ExecutorRouter({
      root,
      toolCache: join(root, "tool-cache"),
      env: process.env,
      dockerImage: DEFAULT_DOCKER_IMAGE,
    });
  });
  afterAll(async () => {
    await executor.dispose();
    await rm(root, { recursive: true, force: true });
  });

  function envFor(dir: string): RunEnvironment {
    return {
      github: { event_name: "push", event: {}, sha: "0".repeat(40), ref: "refs/heads/main" },
      vars: {},
      secrets: {},
      runner: { os: "Linux" },
      checkout: { kind: "dir", path: dir },
      actionsUrl: null,
      debug: false,
    };
  }

  it("each plans its own repository", async () => {
    const repos = await Promise.all(
      ["alpha", "beta", "gamma"].map((name) =>
        makeRepo(
          {
            ".equinox/ci.ts": `import { job } from "equinox/pipeline";
job("${name}", ["push"], async () => ({}));
`,
          },
          { commit: false },
        ),
      ),
    );
    const plans = await Promise.all(
      repos.map((dir) => planPipelineJob(executor, envFor(dir), ".equinox/ci.ts")),
    );
    expect(plans.map((p) => (p.ok ? p.jobs.map((j) => j.id) : p.errors))).toEqual([
      ["alpha"],
      ["beta"],
      ["gamma"],
    ]);
  });

  it("job keys are distinct even when made in the same millisecond, and stay short and safe", () => {
    const keys = Array.from({ length: 1000 }, () => uniqueJobKey("pipeline-plan"));
    expect(new Set(keys).size).toBe(keys.length);
    const long = uniqueJobKey(`.github/workflows/${"very-long-name-".repeat(20)}.yml-build`);
    expect(long.length).toBeLessThanOrEqual(120);
    expect(long).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(long).toContain(".yml-build-");
  });
});
