import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.ts";
import {
  ADMIN_TOKEN,
  ci,
  git,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "../server/server-helpers.ts";
import { deadServerUrl, Gates } from "./cli-helpers.ts";

describe("equinox repo against equinox serve", () => {
  let t: TestServer;
  /** A working directory whose ./.equinox is the server's data directory. */
  let home: string;
  let gates: Gates;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "equinox-repo-cli-"));
    t = await startTestServer({ dataDir: join(home, ".equinox") });
    gates = await Gates.create();
    env = { EQUINOX_SERVER: t.url, EQUINOX_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await t.close();
    await rm(home, { recursive: true, force: true });
    await gates.remove();
  });

  it("creates a repository and prints its clone URL; a taken or bad name is an API error", async () => {
    const made = await runCli(["repo", "create", "acme/widget"], { env });
    expect(made).toEqual({ code: 0, stdout: `${t.url}/acme/widget.git\n`, stderr: "" });
    expect(await runCli(["repo", "create", "acme/widget"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: repository 'acme/widget' already exists (HTTP 409)\n",
    });
    const bad = await runCli(["repo", "create", "no spaces"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^equinox: .*no spaces.* \(HTTP 400\)\n$/);
  });

  it("lists repositories by name with their last run", async () => {
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci(`      - run: ${gates.wait("widget")}`),
    });
    await git(dir, "push", "-q", pushUrl(t, "acme/widget"), "main");
    await waitForRuns(t, "acme/widget", (runs) => runs[0]?.status === "running");
    expect((await runCli(["repo", "create", "zeta"], { env })).code).toBe(0);
    const table = (lastRun: string) =>
      [
        "NAME         LAST RUN    CLONE URL",
        `acme/widget  ${lastRun}  ${t.url}/acme/widget.git`,
        `zeta         -           ${t.url}/zeta.git`,
        "",
      ].join("\n");
    expect(await runCli(["repo", "list"], { env })).toEqual({
      code: 0,
      stdout: table("running #1"),
      stderr: "",
    });
    await gates.open("widget");
    await waitForRuns(t, "acme/widget", (runs) => runs[0]?.status === "completed");
    expect((await runCli(["repo", "ls"], { env })).stdout).toBe(table("success #1"));
  });

  it("deletes a repository; a missing one is a 404", async () => {
    expect((await runCli(["repo", "create", "doomed"], { env })).code).toBe(0);
    expect(await runCli(["repo", "rm", "doomed"], { env })).toEqual({
      code: 0,
      stdout: "Deleted repository doomed.\n",
      stderr: "",
    });
    expect((await runCli(["repo", "list"], { env })).stdout).not.toContain("doomed");
    expect(await runCli(["repo", "rm", "doomed"], { env })).toEqual({
      code: 1,
      stdout: "",
      stderr: "equinox: no repository 'doomed' (HTTP 404)\n",
    });
  });

  it("finds the server by --server, then EQUINOX_SERVER, then the server.json of --data or ./.equinox", async () => {
    const dead = await deadServerUrl();
    const token = ["--token", ADMIN_TOKEN];
    // The server.json that `equinox serve` wrote into its data directory.
    const fromCwd = await runCli(["repo", "list", ...token], { cwd: home });
    expect(fromCwd.code, fromCwd.stderr).toBe(0);
    expect(fromCwd.stdout).toContain(`${t.url}/acme/widget.git`);
    const fromData = await runCli(["repo", "list", "--data", t.dataDir, ...token]);
    expect(fromData.code, fromData.stderr).toBe(0);
    expect(fromData.stdout).toBe(fromCwd.stdout);
    // The environment wins over server.json, and --server over the environment.
    const envFirst = await runCli(["repo", "list", ...token], {
      cwd: home,
      env: { EQUINOX_SERVER: dead },
    });
    expect(envFirst.code).toBe(1);
    expect(envFirst.stderr).toContain(`cannot reach the Equinox server at ${dead}`);
    const flagFirst = await runCli(["repo", "list", "--server", t.url, ...token], {
      env: { EQUINOX_SERVER: dead },
    });
    expect(flagFirst.stdout).toBe(fromCwd.stdout);
    // A token from the environment works as well as --token; --token wins.
    const envToken = await runCli(["repo", "list"], {
      cwd: home,
      env: { EQUINOX_TOKEN: ADMIN_TOKEN },
    });
    expect(envToken.stdout).toBe(fromCwd.stdout);
    const flagToken = await runCli(
      ["repo", "list", "--token", "eqx_not_a_real_token_at_all_0000"],
      {
        env,
      },
    );
    expect(flagToken.code).toBe(1);
    expect(flagToken.stderr).toContain("(HTTP 401)");
  });

  it("exits 2 on a usage mistake or a missing token, and 1 when the server is not there", async () => {
    expect(await runCli(["repo", "--help"])).toMatchObject({ code: 0 });
    const unknown = await runCli(["repo", "frob"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown repo command 'frob' (expected create, list or rm)");
    expect((await runCli(["repo", "create"], { env })).code).toBe(2);
    const noToken = await runCli(["repo", "list"], { env: { EQUINOX_SERVER: t.url } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("pass --token or set EQUINOX_TOKEN");
    const dead = await deadServerUrl();
    const down = await runCli(["repo", "list", "--server", dead], { env });
    expect(down).toMatchObject({ code: 1, stdout: "" });
    expect(down.stderr).toMatch(
      /^equinox: cannot reach the Equinox server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is `equinox serve` running\?/,
    );
  });
});
