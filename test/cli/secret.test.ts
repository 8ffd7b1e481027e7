import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../server/server-helpers.ts";
import { startCli } from "./cli-helpers.ts";

describe("equinox secret against equinox serve", () => {
  let t: TestServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await startTestServer();
    expect((await t.api("POST", "/repos", { name: "acme/widget" })).status).toBe(201);
    expect((await t.api("POST", "/repos", { name: "other" })).status).toBe(201);
    env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };
  });
  afterAll(() => t.close());

  /** The values a job of `repo` would get, decrypted from the server's store (no API reads them). */
  async function secretsOf(repo: string): Promise<Record<string, string>> {
    const res = await t.server.context.secrets.secretsFor(repo);
    if (!res.ok) throw new Error(res.error);
    return res.value;
  }

  it("sets a global secret from --value and a repository's from stdin, dropping one newline", async () => {
    expect(await runCli(["secret", "set", "API_KEY", "--value", "v1"], { env })).toEqual({
      code: 0,
      stdout: "Set global secret API_KEY.\n",
      stderr: "",
    });
    const piped = await startCli(["secret", "set", "API_KEY", "--repo", "acme/widget"], {
      env,
      input: "line one\nline two\n\n",
    }).done;
    expect(piped).toEqual({
      code: 0,
      stdout: "Set repository acme/widget secret API_KEY.\n",
      stderr: "",
    });
    expect(await secretsOf("other")).toEqual({ API_KEY: "v1" });
    expect(await secretsOf("acme/widget")).toEqual({ API_KEY: "line one\nline two\n" });
  });

  it("refuses an empty value", async () => {
    const res = await startCli(["secret", "set", "EMPTY"], { env, input: "\n" }).done;
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("secret EMPTY: the value is empty");
    expect(await secretsOf("other")).not.toHaveProperty("EMPTY");
  });

  it("lists names and update times, never values", async () => {
    const repo = await runCli(["secret", "ls", "--repo", "acme/widget"], { env });
    expect(repo.code).toBe(0);
    expect(repo.stdout).toMatch(/^NAME {5}UPDATED\nAPI_KEY {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    const global = await runCli(["secret", "ls"], { env });
    expect(global.stdout).toMatch(/^NAME {5}UPDATED\nAPI_KEY {2}\S+Z\n$/);
    expect(repo.stdout + repo.stderr + global.stdout + global.stderr).not.toMatch(/line one|v1/);
  });

  it("deletes a secret; deleting a missing one is a 404", async () => {
    expect(await runCli(["secret", "rm", "API_KEY"], { env })).toEqual({
      code: 0,
      stdout: "Deleted global secret API_KEY.\n",
      stderr: "",
    });
    expect(await secretsOf("other")).toEqual({});
    expect(await secretsOf("acme/widget")).toEqual({ API_KEY: "line one\nline two\n" });
    expect(await runCli(["secret", "rm", "API_KEY"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: no secret API_KEY (HTTP 404)\n",
    });
    expect(await runCli(["secret", "ls"], { env })).toEqual({
      code: 0,
      stdout: "",
      stderr: "No global secrets.\n",
    });
    expect(
      await runCli(["secret", "rm", "API_KEY", "--repo", "acme/widget"], { env }),
    ).toMatchObject({ code: 0 });
    expect(await runCli(["secret", "rm", "API_KEY", "--repo", "acme/widget"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: no secret API_KEY in acme/widget (HTTP 404)\n",
    });
    expect(await runCli(["secret", "ls", "--repo", "nope"], { env })).toMatchObject({
      code: 1,
      stderr: "equinox: no repository 'nope' (HTTP 404)\n",
    });
  });

  it("reports the server's refusal of a name, and usage mistakes with exit 2", async () => {
    expect(await runCli(["secret", "set", "GITHUB_X", "--value", "v"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "equinox: secret name 'GITHUB_X': names starting with GITHUB_ are reserved (HTTP 400)\n",
    });
    expect((await runCli(["secret", "ls", "--value", "x"], { env })).code).toBe(2);
    expect((await runCli(["secret", "set"], { env })).code).toBe(2);
    expect((await runCli(["secret", "get", "X"], { env })).code).toBe(2);
    expect(await runCli(["secret", "-h"])).toMatchObject({ code: 0 });
  });
});
