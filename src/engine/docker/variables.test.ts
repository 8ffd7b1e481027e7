import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { containerVariables } from "./variables.ts";

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
