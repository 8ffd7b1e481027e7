import { randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { connect } from "node:net";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
// Only the push protocol and the spool: this runs inside every `git push`, so it must
// start fast (no workflow parser, no store).
import { validateRepoName } from "../../server/git/repo-name.ts";
import {
  type PushEvent,
  type PushedRef,
  type PushReply,
  parsePushReply,
  ZERO_SHA,
} from "../../server/push/push-event.ts";
import { writeSpool } from "../../server/push/spool.ts";
import { UsageError } from "../usage-error.ts";

export const HOOK_USAGE = `Usage: equinox hook post-receive

Run by git in a repository of 'equinox serve' (the server installs it): reads the
pushed refs from stdin, hands them to the server over DATA/equinox.sock and prints
the runs started; when the server does not answer, queues the push in DATA/spool/.
Needs EQUINOX_DATA. Always exits 0, so a push never fails because of it.
`;

export interface HookIo {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The hook's stdin: `<old> <new> <ref>` lines. */
  stdin?: string | AsyncIterable<Buffer | string>;
  /** Where messages go; git shows them to the pusher as `remote:` lines. */
  write?: (text: string) => void;
  /** How long to wait for the server's reply. */
  timeoutMs?: number;
}

const REPLY_TIMEOUT_MS = 10_000;
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export async function hookCommand(argv: string[], io: HookIo = {}): Promise<number> {
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(HOOK_USAGE);
    return 0;
  }
  if (argv[0] !== "post-receive" || argv.length !== 1) {
    throw new UsageError(`unknown hook '${argv.join(" ")}' (expected post-receive)`);
  }
  const write = io.write ?? ((text: string) => void process.stderr.write(text));
  try {
    await postReceive(io, write);
  } catch (err) {
    write(`equinox: internal error in the post-receive hook: ${(err as Error).message}\n`);
  }
  return 0;
}

async function postReceive(io: HookIo, write: (text: string) => void): Promise<void> {
  const env = io.env ?? process.env;
  const dataDir = env.EQUINOX_DATA;
  if (!dataDir) {
    write("equinox: EQUINOX_DATA is not set; the push was not handed to the server\n");
    return;
  }
  const repo = repoName(dataDir, resolve(io.cwd ?? process.cwd(), env.GIT_DIR ?? "."));
  if (!repo.ok) {
    write(`equinox: ${repo.error}; the push was not handed to the server\n`);
    return;
  }
  const refs = parseRefLines(await readAll(io.stdin ?? process.stdin), write);
  if (refs.length === 0) return;
  const event: PushEvent = {
    type: "push",
    id: randomUUID(),
    repo: repo.name,
    pushed_at: new Date().toISOString(),
    pusher: env.REMOTE_USER || null,
    refs,
  };
  const answer = await ask(
    join(dataDir, "equinox.sock"),
    JSON.stringify(event),
    io.timeoutMs ?? REPLY_TIMEOUT_MS,
  );
  const reply = answer.ok ? answer.reply : { ok: false as const, error: answer.reason };
  if (reply.ok) {
    for (const run of reply.runs) {
      write(`equinox: run #${run.number} ${run.workflow} (${run.ref}): ${run.url}\n`);
    }
    if (reply.runs.length === 0 && refs.some((r) => r.new_sha !== ZERO_SHA)) {
      write("equinox: no workflow runs for this push\n");
    }
    return;
  }
  const why = answer.ok ? `the server did not take the push: ${reply.error}` : reply.error;
  try {
    await writeSpool(join(dataDir, "spool"), event);
    write(`equinox: ${why}\nequinox: push queued; its runs start when the server (re)starts\n`);
  } catch (err) {
    write(`equinox: ${why}\nequinox: could not queue the push either: ${(err as Error).message}\n`);
  }
}

function repoName(
  dataDir: string,
  gitDir: string,
): { ok: true; name: string } | { ok: false; error: string } {
  let root: string;
  let dir: string;
  try {
    // Real paths: the data folder may be reached through a symlink git has resolved.
    root = realpathSync(join(dataDir, "repos"));
    dir = realpathSync(gitDir);
  } catch (err) {
    return { ok: false, error: `cannot locate the repository: ${(err as Error).message}` };
  }
  const rel = relative(root, dir);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || !rel.endsWith(".git")) {
    return { ok: false, error: `${dir} is not a repository under ${root}` };
  }
  const valid = validateRepoName(rel.slice(0, -4).split(sep).join("/"));
  return valid.ok ? valid : { ok: false, error: valid.error };
}

function parseRefLines(input: string, write: (text: string) => void): PushedRef[] {
  const refs: PushedRef[] = [];
  for (const line of input.split("\n")) {
    if (line.trim() === "") continue;
    const match = /^([0-9a-f]{40}) ([0-9a-f]{40}) (refs\/\S+)$/.exec(line.trim());
    if (!match) {
      write(`equinox: ignoring an unexpected hook input line: ${JSON.stringify(line)}\n`);
      continue;
    }
    refs.push({ ref: match[3]!, old_sha: match[1]!, new_sha: match[2]! });
  }
  return refs;
}

async function readAll(input: string | AsyncIterable<Buffer | string>): Promise<string> {
  if (typeof input === "string") return input;
  let text = "";
  for await (const chunk of input) text += chunk.toString();
  return text;
}

type Answer = { ok: true; reply: PushReply } | { ok: false; reason: string };

/** Sends one line to the server's socket and waits for its one-line reply. */
function ask(path: string, line: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolvePromise) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(answer);
    };
    const timer = setTimeout(
      () => settle({ ok: false, reason: `the server did not answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    const finish = () => {
      const text = Buffer.concat(chunks).toString("utf8").split("\n")[0] ?? "";
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        settle({ ok: false, reason: "the server's reply was not JSON" });
        return;
      }
      const reply = parsePushReply(value);
      settle(reply.ok ? { ok: true, reply: reply.value } : { ok: false, reason: reply.error });
    };
    socket.on("connect", () => socket.write(`${line}\n`));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(0x0a)) finish();
      else if (size > MAX_REPLY_BYTES)
        settle({ ok: false, reason: "the server's reply was too long" });
    });
    socket.on("end", finish);
    socket.on("error", (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === "ENOENT" || err.code === "ECONNREFUSED"
          ? "the server is not running"
          : `cannot reach the server: ${err.message}`;
      settle({ ok: false, reason });
    });
  });
}
