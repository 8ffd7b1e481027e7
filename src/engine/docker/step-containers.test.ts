import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ContainerReply, ContainerRun } from "../../core/events.ts";
import { containerVariables, stepContainers } from "./step-containers.ts";

describe("containerVariables", () => {
  it("passes step variables by name; the CLI keeps only its own variables", async () => {
    const vars = await containerVariables(
      { TOKEN: "s3cret", CI: "true" },
      { PATH: "/usr/bin", DOCKER_HOST: "unix:///run/podman.sock", AWS_SECRET: "server's" },
    );
    expect(vars.args).toEqual(["-e", "TOKEN", "-e", "CI"]);
    expect(vars.env).toEqual({
      PATH: "/usr/bin",
      DOCKER_HOST: "unix:///run/podman.sock",
      TOKEN: "s3cret",
      CI: "true",
    });
    await vars.remove();
  });

  it("puts a variable the CLI reads itself in a private env file, never on the command line", async () => {
    const vars = await containerVariables(
      { PATH: "/opt/tool/bin:/usr/bin", DOCKER_HOST: "tcp://attacker:2375", KEY: "v" },
      { PATH: "/usr/bin" },
    );
    expect(vars.args[0]).toBe("--env-file");
    const file = vars.args[1]!;
    expect(await readFile(file, "utf8")).toBe(
      "PATH=/opt/tool/bin:/usr/bin\nDOCKER_HOST=tcp://attacker:2375\n",
    );
    expect(vars.args.slice(2)).toEqual(["-e", "KEY"]);
    expect(vars.env).toEqual({ PATH: "/usr/bin", KEY: "v" });
    expect(vars.args.join(" ")).not.toContain("attacker");
    await vars.remove();
    await expect(readFile(file)).rejects.toThrow();
  });

  it("refuses a line break in such a variable rather than cutting it", async () => {
    await expect(containerVariables({ HOME: "a\nb" }, {})).rejects.toThrow(/HOME.*line break/);
  });
});

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
