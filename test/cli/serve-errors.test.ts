/**
 * `equinox serve` given something it cannot use says what, in one line, and exits:
 * never a stack trace, and never after touching the data directory.
 */
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.ts";
import { startTestServer } from "../server/server-helpers.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "equinox-serve-errors-"));
});

/** Runs `equinox serve` with a data directory of its own; fails the test if it starts. */
async function serve(args: string[]) {
  const data = join(dir, `data-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(["serve", "--data", data, ...args], { timeoutMs: 20_000 });
  expect(r.stdout).not.toContain("Equinox is serving");
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { ...r, dataCreated: existsSync(data) };
}

describe("equinox serve with input it cannot use", () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, "127.0.0.1", listening));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise((closed) => taken.close(closed)));

  it("a port in use: one line saying so, exit 1, data directory untouched", async () => {
    const r = await serve(["--port", String(port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `equinox: cannot listen on 127.0.0.1:${port}: the port is in use (by another server?); choose another with --port\n`,
    );
    expect(r.dataCreated).toBe(false);
  });

  it("a missing secrets file: exit 2 naming the file", async () => {
    const missing = join(dir, "no-such-secrets.yml");
    const r = await serve(["--port", "0", "--secrets-file", missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--secrets-file '${missing}': no such file`);
    expect(r.dataCreated).toBe(false);
  });

  it("a secrets file that is not valid: exit 2 naming the file and the line", async () => {
    const file = join(dir, "bad-secrets.yml");
    await writeFile(file, "GOOD: fine\nGITHUB_TOKEN: nope\n");
    const r = await serve(["--port", "0", "--secrets-file", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} (Line: 2, Col: 1): secret 'GITHUB_TOKEN'`);
  });

  it("a weak admin password: exit 2 saying why", async () => {
    const r = await serve(["--port", "0", "--admin-password", "short"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--admin-password (or EQUINOX_ADMIN_PASSWORD): the password is too short",
    );
    expect(r.dataCreated).toBe(false);
  });

  it("a host that does not resolve, or is not this machine's: exit 2 naming it", async () => {
    const unknown = await serve(["--port", "0", "--host", "no-such-host.invalid"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--host 'no-such-host.invalid': no such host");
    expect(unknown.dataCreated).toBe(false);
    // TEST-NET-1: never an address of this machine.
    const foreign = await serve(["--port", "8089", "--host", "192.0.2.1"]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain("--host '192.0.2.1': not an address of this machine");
    expect(foreign.dataCreated).toBe(false);
  });
});

describe("one server per data directory", () => {
  it("refuses a second server on a data directory in use, leaving the first alone; a dead server's lock is taken over", async () => {
    const data = join(dir, "shared-data");
    const first = await startTestServer({ dataDir: data });
    try {
      const second = await runCli(["serve", "--data", data, "--port", "0"], { timeoutMs: 20_000 });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `^equinox: another equinox serve \\(.+:${process.pid}:.+\\) is using the data directory ${data}; stop it first\\n$`,
        ),
      );
      // The first server still answers.
      expect((await fetch(`${first.url}/api/v1/repos`)).status).toBe(401);
    } finally {
      await first.close();
    }
    // A lock left by a process that is gone (a server killed outright) does not hold.
    await writeFile(join(data, "serve.lock"), `${hostname()}:999999:1\n`);
    const again = await startTestServer({ dataDir: data });
    await again.close();
    expect(existsSync(join(data, "serve.lock"))).toBe(false);
  });
});
