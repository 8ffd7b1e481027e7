import { describe, expect, it } from "vitest";
import { containerVariables } from "./step-containers.ts";

describe("containerVariables", () => {
  it("passes step variables by name, keeping the CLI's own environment", () => {
    const { args, env } = containerVariables(
      { TOKEN: "s3cret", CI: "true" },
      { PATH: "/usr/bin", DOCKER_HOST: "unix:///run/podman.sock" },
    );
    expect(args).toEqual(["-e", "TOKEN", "-e", "CI"]);
    expect(env).toEqual({
      PATH: "/usr/bin",
      DOCKER_HOST: "unix:///run/podman.sock",
      TOKEN: "s3cret",
      CI: "true",
    });
  });

  it("puts a variable that would change the CLI's own on its command line instead", () => {
    const { args, env } = containerVariables(
      { PATH: "/opt/tool/bin:/usr/bin", HOME: "/root" },
      { PATH: "/usr/bin", HOME: "/root" },
    );
    expect(args).toEqual(["-e", "PATH=/opt/tool/bin:/usr/bin", "-e", "HOME"]);
    expect(env.PATH).toBe("/usr/bin");
  });
});
