import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../../src/core/events.ts";
import { linesOf } from "../../src/core/log-block.ts";
import { HostExecutor } from "../../src/engine/executors/host.ts";
import { jobSpec } from "../job-spec.ts";

describe("host executor", () => {
  it("a cancel sent the moment the runtime starts cancels the job; always() steps still run", async () => {
    const root = mkdtempSync(join(tmpdir(), "equinox-host-exec-"));
    const executor = new HostExecutor({ root, toolCache: join(root, "cache") });
    const session = await executor.prepare({ jobKey: "cancel-early" });
    const events: RuntimeEvent[] = [];
    const running = session.start(
      {
        ...jobSpec([
          { run: "sleep 30" },
          { name: "always", if: "always()", run: "echo cleanup-ran" },
        ]),
        paths: session.paths,
      },
      { onEvent: (e) => events.push(e), onDiagnostic: () => {} },
    );
    // Node has not even loaded the runtime yet: a plain SIGTERM now would kill it.
    running.cancel();
    const exit = await running.exited;
    await session.cleanup();
    expect(exit).toEqual({ kind: "exited", code: 0 });
    expect(events.at(-1)).toMatchObject({ type: "job.finished", result: "cancelled" });
    expect(events.flatMap((e) => (e.type === "log" ? linesOf(e.data) : []))).toContain(
      "cleanup-ran",
    );
  });
});
