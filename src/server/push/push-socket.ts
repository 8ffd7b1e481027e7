import { chmod, lstat, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { type PushEvent, type PushReply, parsePushEvent } from "./push-event.ts";

/**
 * The server's end of the post-receive hook: a Unix socket where each connection
 * sends one JSON line (a `PushEvent`) and gets one JSON line back (a `PushReply`),
 * then is closed. The handler's reply is the acknowledgement the hook waits for, so
 * it must come only once the push's runs are committed. Nothing a client sends can
 * crash the listener: bad input and a throwing handler become `{ok:false,error}`.
 */
export interface PushSocket {
  /** Stops accepting, lets replies in progress finish, removes the socket file. */
  close(): Promise<void>;
}

export const MAX_LINE_BYTES = 1024 * 1024;
/** A client that connects and says nothing is dropped after this long. */
const IDLE_MS = 30_000;

export async function listenPushSocket(
  path: string,
  handler: (event: PushEvent) => Promise<PushReply>,
): Promise<PushSocket> {
  await removeStaleSocket(path);
  const connections = new Set<Socket>();
  const idle = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    idle.add(socket);
    socket.on("close", () => {
      connections.delete(socket);
      idle.delete(socket);
    });
    socket.on("error", () => socket.destroy());
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    readOneLine(socket, (line) => {
      idle.delete(socket);
      void answer(line).then((reply) => {
        // Anything the client sends after its line is not read: close once the reply is out.
        if (!socket.destroyed) socket.end(`${JSON.stringify(reply)}\n`, () => socket.destroy());
      });
    });
  });

  async function answer(line: string | { error: string }): Promise<PushReply> {
    if (typeof line !== "string") return { ok: false, error: line.error };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return { ok: false, error: `push event is not JSON: ${(err as Error).message}` };
    }
    const parsed = parsePushEvent(value);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    try {
      return await handler(parsed.value);
    } catch (err) {
      return { ok: false, error: `push event ${parsed.value.id}: ${(err as Error).message}` };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // A failed accept (out of file descriptors) costs that one push its reply, which
  // the hook turns into a spool file; it must not take the server down.
  server.on("error", () => {});
  // Pushes are trusted to name their pusher: only this user may talk to the socket.
  await chmod(path, 0o600);

  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of idle) socket.destroy();
      }).then(() => rm(path, { force: true }));
      return closing;
    },
  };
}

/**
 * Calls `onLine` once with the first line (without its newline), or with an error
 * for a line over the limit; a client that half-closes without a newline has sent
 * its line too.
 */
function readOneLine(socket: Socket, onLine: (line: string | { error: string }) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (line: string | { error: string }) => {
    if (done) return;
    done = true;
    socket.off("data", onData);
    socket.pause();
    onLine(line);
  };
  const onData = (chunk: Buffer) => {
    const newline = chunk.indexOf(0x0a);
    const part = newline === -1 ? chunk : chunk.subarray(0, newline);
    size += part.length;
    if (size > MAX_LINE_BYTES) {
      finish({ error: `push event line is longer than ${MAX_LINE_BYTES} bytes` });
      return;
    }
    chunks.push(part);
    if (newline !== -1) finish(Buffer.concat(chunks).toString("utf8"));
  };
  socket.on("data", onData);
  socket.on("end", () => {
    if (size > 0) finish(Buffer.concat(chunks).toString("utf8"));
    else if (!done) {
      done = true;
      socket.end();
    }
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new Error(`another equinox server is using ${path}`);
  await rm(path, { force: true });
}
