import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobSpec, StepSpec } from "../src/core/job-spec.ts";

/** A JobSpec for driving the runtime directly: `steps` default to `run: true`, in a fresh temp dir. */
export function jobSpec(steps: Partial<StepSpec>[], extra: Partial<JobSpec> = {}): JobSpec {
  const dir = mkdtempSync(join(tmpdir(), "equinox-rt-test-"));
  return {
    version: 1,
    jobId: "t",
    name: "t",
    paths: {
      workspace: join(dir, "w"),
      temp: join(dir, "tmp"),
      toolCache: join(dir, "cache"),
      files: join(dir, "f"),
    },
    contexts: {
      github: { sha: "abc" },
      vars: {},
      secrets: {},
      matrix: null,
      strategy: null,
      needs: {},
      inputs: {},
      runner: { os: "Linux" },
    },
    env: { workflow: {}, job: {} },
    defaults: {},
    steps: steps.map(
      (s) =>
        ({
          kind: "run",
          run: "true",
          id: null,
          name: null,
          if: null,
          env: {},
          continueOnError: false,
          timeoutMinutes: null,
          ...s,
        }) as StepSpec,
    ),
    outputs: {},
    inContainer: false,
    checkout: { kind: "none" },
    actionsUrl: null,
    mask: [],
    debug: false,
    ...extra,
  };
}
