import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PushEvent, PushReply } from "../../server/push/push-event.ts";
import { listenPushSocket, type PushSocket } from "../../server/push/push-socket.ts";
import { readSpool } from "../../server/push/spool.ts";
import { UsageError } from "../usage-error.ts";
import { hookCommand } from "./hook.ts";

const OLD = "1".repeat(40);
const NEW = "2".repeat(40);
const ZERO = "0".repeat(40);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("equinox hook post-receive", () => {
  let data: string;
  let socket: PushSocket | null = null;
  let output: string;

  beforeEach(async () => {
    data = await mkdtemp(join(tmpdir(), "equinox-hook-"));
    await mkdir(join(data, "repos", "acme", "app.git"), { recursive: true });
    output = "";
  });
  afterEach(async () => {
    await socket?.close();
    socket = null;
    await rm(data, { recursive: true, force: true });
  });

  const run = (stdin: string, env: NodeJS.ProcessEnv = {}, timeoutMs?: number) =>
    hookCommand(["post-receive"], {
      env: { EQUINOX_DATA: data, GIT_DIR: ".", REMOTE_USER: "alice", ...env },
      cwd: join(data, "repos", "acme", "app.git"),
      stdin,
      write: (text) => {
        output += text;
      },
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  const listen = async (handler: (e: PushEvent) => Promise<PushReply>) => {
    socket = await listenPushSocket(join(data, "equinox.sock"), handler);
  };

  it("hands the push to the server and prints the runs it started", async () => {
    const seen: PushEvent[] = [];
    await listen(async (event) => {
      seen.push(event);
      return {
        ok: true,
        runs: [
          {
            id: 9,
            number: 4,
            workflow: ".forgejo/workflows/ci.yml",
            ref: "refs/heads/main",
            url: "http://h/r/9",
          },
        ],
      };
    });
    const stdin = `${OLD} ${NEW} refs/heads/main\n${OLD} ${ZERO} refs/heads/old\n`;
    expect(await run(stdin)).toBe(0);
    expect(output).toBe(
      "equinox: run #4 .forgejo/workflows/ci.yml (refs/heads/main): http://h/r/9\n",
    );
    expect(seen).toEqual([
      {
        type: "push",
        id: expect.stringMatching(UUID),
        repo: "acme/app",
        pushed_at: expect.any(String),
        pusher: "alice",
        refs: [
          { ref: "refs/heads/main", old_sha: OLD, new_sha: NEW },
          { ref: "refs/heads/old", old_sha: OLD, new_sha: ZERO },
        ],
      },
    ]);
    expect((await readSpool(join(data, "spool"))).events).toEqual([]);
  });

  it("says so when a push starts nothing, except for deletions", async () => {
    await listen(async () => ({ ok: true, runs: [] }));
    await run(`${OLD} ${NEW} refs/tags/v1\n`);
    expect(output).toBe("equinox: no workflow runs for this push\n");
    output = "";
    await run(`${OLD} ${ZERO} refs/heads/gone\n`);
    expect(output).toBe("");
  });

  it("spools the push when no server is running", async () => {
    expect(await run(`${ZERO} ${NEW} refs/heads/main\n`, { REMOTE_USER: "" })).toBe(0);
    expect(output).toBe(
      "equinox: the server is not running\nequinox: push queued; its runs start when the server (re)starts\n",
    );
    const { events } = await readSpool(join(data, "spool"));
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        repo: "acme/app",
        pusher: null,
        refs: [{ ref: "refs/heads/main", old_sha: ZERO, new_sha: NEW }],
      }),
    ]);
  });

  it("spools the push when the server refuses it or does not answer in time", async () => {
    await listen(async () => ({ ok: false, error: "store unavailable" }));
    await run(`${OLD} ${NEW} refs/heads/main\n`);
    expect(output).toMatch(
      /^equinox: the server did not take the push: store unavailable\n.*queued/,
    );
    await socket!.close();

    output = "";
    await listen(() => new Promise(() => {}));
    const started = Date.now();
    await run(`${OLD} ${NEW} refs/heads/main\n`, {}, 300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(output).toMatch(/^equinox: the server did not answer within 0.3 s\n.*queued/);
    expect((await readSpool(join(data, "spool"))).events).toHaveLength(2);
  });

  it("finds the repository through a symlinked data folder", async () => {
    const link = join(data, "link");
    await symlink(data, link);
    expect(await run(`${OLD} ${NEW} refs/heads/main\n`, { EQUINOX_DATA: link })).toBe(0);
    expect((await readSpool(join(data, "spool"))).events[0]?.event.repo).toBe("acme/app");
  });

  it("never fails the push, whatever it is given", async () => {
    expect(await run(`${OLD} ${NEW} refs/heads/main\n`, { EQUINOX_DATA: "" })).toBe(0);
    expect(output).toBe(
      "equinox: EQUINOX_DATA is not set; the push was not handed to the server\n",
    );
    output = "";
    expect(await run(`${OLD} ${NEW} refs/heads/main\n`, { GIT_DIR: data })).toBe(0);
    expect(output).toMatch(
      /is not a repository under .*; the push was not handed to the server\n$/,
    );
    output = "";
    expect(await run("garbage\n\n")).toBe(0);
    expect(output).toBe('equinox: ignoring an unexpected hook input line: "garbage"\n');
    expect((await readSpool(join(data, "spool"))).events).toEqual([]);
  });

  it("knows only post-receive", async () => {
    await expect(hookCommand(["pre-receive"])).rejects.toThrow(UsageError);
  });
});
