import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ContainerReply, ContainerRun } from "../../core/events.ts";
import { stepContainers } from "./step-containers.ts";

describe("StepContainers", () => {
  // The requests come from the job's runtime, which the job's code can impersonate.
  async function answer(request: Omit<ContainerRun, "type" | "at" | "id">) {
    const jobDir = await mkdtemp(join(tmpdir(), "equinox-steps-"));
    const steps = stepContainers({ jobKey: "forged" }, jobDir, join(jobDir, "cache"));
    const replies: ContainerReply[] = [];
    steps.handle({ type: "container.run", at: "", id: 1, ...request }, (r) => {
      replies.push(r);
      return true;
    });
    await new Promise((r) => setTimeout(r, 200));
    return replies;
  }
  const base = { entrypoint: null, args: [], env: {}, workdir: "/" };

  it("refuses to build an image from a directory outside the job's", async () => {
    expect(await answer({ ...base, image: { build: "/etc", dockerfile: "hostname" } })).toEqual([
      {
        type: "container.failed",
        id: 1,
        message: "the action's directory /etc is not in the job's directories",
      },
    ]);
  });

  it("refuses a Dockerfile path that leaves the action, and an image name that is an option", async () => {
    const jobDir = await mkdtemp(join(tmpdir(), "equinox-steps-"));
    const steps = stepContainers({ jobKey: "forged" }, jobDir, join(jobDir, "cache"));
    const replies: ContainerReply[] = [];
    const reply = (r: ContainerReply) => replies.push(r) > 0;
    steps.handle(
      {
        type: "container.run",
        at: "",
        id: 1,
        ...base,
        image: { build: jobDir, dockerfile: "../../etc/passwd" },
      },
      reply,
    );
    steps.handle(
      { type: "container.run", at: "", id: 2, ...base, image: { name: "--privileged" } },
      reply,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(replies).toEqual([
      {
        type: "container.failed",
        id: 1,
        message: "the action's Dockerfile '../../etc/passwd' must be a path inside the action",
      },
      { type: "container.failed", id: 2, message: "'--privileged' is not an image name" },
    ]);
  });
});
