import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../server/server-helpers.ts";

describe("equinox token against equinox serve", () => {
  let t: TestServer;
  let env: NodeJS.ProcessEnv;
  /** The token `token create ci` printed. */
  let ci = { id: "", token: "" };
  beforeAll(async () => {
    t = await startTestServer();
    env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };
  });
  afterAll(() => t.close());

  it("creates a token, prints it alone on stdout, and the token works with its scope", async () => {
    const made = await runCli(["token", "create", "ci", "--scope", "write"], { env });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^eqx_[A-Za-z0-9_-]{43}\n$/);
    const announced = /^Token (\d+) 'ci' \(write\); it is shown only this once:\n$/.exec(
      made.stderr,
    );
    expect(announced, made.stderr).not.toBeNull();
    ci = { id: announced![1]!, token: made.stdout.trim() };

    const asCi = await runCli(["repo", "list", "--token", ci.token], { env });
    expect(asCi).toMatchObject({ code: 0, stdout: "" });
    expect(await runCli(["token", "ls", "--token", ci.token], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: this needs a token with 'admin' scope; yours has 'write' (HTTP 403)\n",
    });
  });

  it("lists tokens without their values, and deletes one by id", async () => {
    expect((await t.api("POST", "/tokens", { name: "idle", scope: "read" })).status).toBe(201);
    const { code, stdout } = await runCli(["token", "ls"], { env });
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^ID +NAME +SCOPE +CREATED +LAST USED$/),
      expect.stringMatching(/^1 +admin +admin +\S+Z +\S+Z$/),
      expect.stringMatching(new RegExp(`^${ci.id} +ci +write +\\S+Z +\\S+Z$`)),
      expect.stringMatching(/^\d+ +idle +read +\S+Z +never$/),
    ]);
    expect(stdout).not.toContain(ci.token);
    expect(stdout).not.toContain(ADMIN_TOKEN);

    expect(await runCli(["token", "rm", ci.id], { env })).toEqual({
      code: 0,
      stdout: `Deleted token ${ci.id}.\n`,
      stderr: "",
    });
    expect(await runCli(["token", "rm", ci.id], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: `equinox: no token ${ci.id} (HTTP 404)\n`,
    });
    const revoked = await runCli(["repo", "list", "--token", ci.token], { env });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(
      /^equinox: the token is not valid \(unknown or deleted\) \(HTTP 401\)\n$/,
    );
  });

  it("exits 2 for a missing or unknown scope and a bad id", async () => {
    const noScope = await runCli(["token", "create", "x"], { env });
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain("token create needs --scope read|write|admin");
    const badScope = await runCli(["token", "create", "x", "--scope", "root"], { env });
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("--scope 'root': expected read, write or admin");
    expect((await runCli(["token", "rm", "first"], { env })).code).toBe(2);
    expect(await runCli(["token", "--help"])).toMatchObject({ code: 0 });
    expect((await t.api<{ tokens: { name: string }[] }>("GET", "/tokens")).body.tokens).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "x" })]),
    );
  });
});
