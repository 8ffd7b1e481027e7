import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PushEvent, PushReply } from "./push-event.ts";
import { listenPushSocket, MAX_LINE_BYTES, type PushSocket } from "./push-socket.ts";

const event: PushEvent = {
  type: "push",
  id: "3f1c2b7e-8a4d-4c5e-9f60-1a2b3c4d5e6f",
  repo: "demo",
  pushed_at: "2026-11-23T10:00:00.000Z",
  pusher: "alice",
  refs: [{ ref: "refs/heads/main", old_sha: "0".repeat(40), new_sha: "c".repeat(40) }],
};

/** Sends raw bytes (optionally half-closing), returns everything the server answers. */
function exchange(path: string, data: string | Buffer, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = "";
    socket.on("connect", () => {
      socket.write(data);
      if (end) socket.end();
    });
    socket.on("data", (d) => {
      text += d;
    });
    socket.on("close", () => resolve(text));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // The server may close before it read everything we sent: its reply still counts.
      if (err.code === "EPIPE" || err.code === "ECONNRESET") return;
      reject(err);
    });
  });
}

describe("listenPushSocket", () => {
  let dir: string;
  let path: string;
  let socket: PushSocket | null;
  const seen: PushEvent[] = [];
  let reply: (e: PushEvent) => Promise<PushReply>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "equinox-sock-"));
    path = join(dir, "equinox.sock");
    seen.length = 0;
    reply = async () => ({ ok: true, runs: [] });
    socket = await listenPushSocket(path, (e) => {
      seen.push(e);
      return reply(e);
    });
  });
  afterEach(async () => {
    await socket?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("hands a valid event to the handler and answers its reply", async () => {
    const runs = [{ id: 1, number: 1, workflow: "ci.yml", ref: "refs/heads/main", url: "u" }];
    reply = async () => ({ ok: true, runs });
    expect(JSON.parse(await exchange(path, `${JSON.stringify(event)}\n`))).toEqual({
      ok: true,
      runs,
    });
    expect(seen).toEqual([event]);
    // A line without its newline counts once the client half-closes.
    expect(JSON.parse(await exchange(path, JSON.stringify(event), true))).toEqual({
      ok: true,
      runs,
    });
  });

  it("is private to its user", async () => {
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("survives garbage, invalid events, a throwing handler and oversized lines", async () => {
    expect(JSON.parse(await exchange(path, "hello\n"))).toEqual({
      ok: false,
      error: expect.stringMatching(/^push event is not JSON: /),
    });
    expect(JSON.parse(await exchange(path, Buffer.from([0xff, 0xfe, 0x00, 0x0a])))).toMatchObject({
      ok: false,
    });
    expect(
      JSON.parse(await exchange(path, `${JSON.stringify({ ...event, repo: "a/b/c" })}\n`)),
    ).toEqual({
      ok: false,
      error: "push event: repository name 'a/b/c': at most one group level (group/name)",
    });
    reply = async () => {
      throw new Error("database is locked");
    };
    expect(JSON.parse(await exchange(path, `${JSON.stringify(event)}\n`))).toEqual({
      ok: false,
      error: `push event ${event.id}: database is locked`,
    });
    expect(JSON.parse(await exchange(path, Buffer.alloc(MAX_LINE_BYTES + 10, "x")))).toEqual({
      ok: false,
      error: `push event line is longer than ${MAX_LINE_BYTES} bytes`,
    });
    // A client that connects and leaves, and one that says nothing, change nothing.
    expect(await exchange(path, "", true)).toBe("");
    reply = async () => ({ ok: true, runs: [] });
    expect(JSON.parse(await exchange(path, `${JSON.stringify(event)}\n`))).toEqual({
      ok: true,
      runs: [],
    });
  });

  it("replaces a stale socket file but not a live server or another file", async () => {
    await socket!.close();
    socket = null;
    // A socket file left by a server that died: nothing answers on it.
    const dead = spawn(
      process.execPath,
      [
        "-e",
        `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise((r) => dead.stdout.once("data", r));
    dead.kill("SIGKILL");
    await new Promise((r) => dead.once("exit", r));
    expect((await stat(path)).isSocket()).toBe(true);
    socket = await listenPushSocket(path, async () => ({ ok: true, runs: [] }));
    await expect(listenPushSocket(path, async () => ({ ok: true, runs: [] }))).rejects.toThrow(
      `another equinox server is using ${path}`,
    );
    const file = join(dir, "plain");
    await writeFile(file, "x");
    await expect(listenPushSocket(file, async () => ({ ok: true, runs: [] }))).rejects.toThrow(
      "exists and is not a socket",
    );
  });

  it("removes its socket file on close", async () => {
    await socket!.close();
    socket = null;
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});
