/**
 * The shipped declarations of `equinox/pipeline` (types/pipeline.d.ts) resolve through the
 * package's `exports` and describe the API a pipeline uses; `tsc` checks this file.
 */

import type { JobContext, job, PushSource, ShResult } from "equinox/pipeline";
import { describe, expect, it } from "vitest";

type Job = typeof job;

// Compile-time checks: a Quire-style pipeline type-checks against the declarations.
const example = (define: Job) => {
  define("build", ["push"], async ({ sh, secret }: JobContext) => {
    const r: ShResult = await sh("make", { env: { TOKEN: secret("TOKEN") }, cwd: "." });
    if (r.exit !== 0) throw new Error("build failed");
    await sh(["ls", "-l"]);
    return { artifact: "app.tar", size: 3 };
  });
  define(
    "deploy",
    ["build"],
    async ({ jobs }) => {
      const push: PushSource = jobs("push");
      if (push.ref !== "refs/heads/main") return null;
      const artifact: string | undefined = jobs("build").artifact;
      return { artifact };
    },
    { allowFailure: true },
  );
};

describe("equinox/pipeline declarations", () => {
  it("type-check a pipeline (checked by tsc)", () => {
    const calls: string[] = [];
    example(((id: string) => {
      calls.push(id);
    }) as Job);
    expect(calls).toEqual(["build", "deploy"]);
  });
});
