import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PushEvent, PushReply } from "../push/push-event.ts";
import { listenPushSocket } from "../push/push-socket.ts";
import { readSpool } from "../push/spool.ts";
import { RepoFiles } from "./repo-files.ts";
import { matchGitRequest, serveGit } from "./smart-http.ts";
import { commitAll, runGit, writeFiles } from "./test-support.ts";

describe("matchGitRequest", () => {
  it.each<[string, string, string, ReturnType<typeof matchGitRequest>]>([
    [
      "GET",
      "/demo.git/info/refs",
      "?service=git-upload-pack",
      { repo: "demo", service: "upload-pack", needs: "read" },
    ],
    [
      "GET",
      "/acme/app.git/info/refs",
      "?service=git-receive-pack",
      { repo: "acme/app", service: "receive-pack", needs: "write" },
    ],
    [
      "POST",
      "/acme/app.git/git-upload-pack",
      "",
      { repo: "acme/app", service: "upload-pack", needs: "read" },
    ],
    [
      "POST",
      "/demo.git/git-receive-pack",
      "",
      { repo: "demo", service: "receive-pack", needs: "write" },
    ],
    ["GET", "/demo.git/info/refs", "", null], // the dumb protocol
    ["GET", "/demo.git/info/refs", "?service=git-upload-archive", null],
    ["GET", "/demo.git/HEAD", "", null],
    ["GET", "/demo.git/objects/info/packs", "", null],
    ["POST", "/demo.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/demo.git/git-upload-pack", "", null],
    ["GET", "/a/b/c.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/../etc.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/%2e%2e/etc.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/x.git.git/info/refs", "?service=git-upload-pack", null],
    ["GET", "/api/v1/repos", "", null],
  ])("%s %s%s", (method, path, search, expected) => {
    expect(matchGitRequest(method, path, search)).toEqual(expected);
  });
});

const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "bin", "equinox");
const WRITE_TOKEN = "write-token-1234";
const READ_TOKEN = "read-token-5678";

/** The real CLI runs the hook: build it unless the bundle already has the hook command. */
async function ensureBuilt(): Promise<void> {
  const meta = join(ROOT, "dist", "equinox.meta.json");
  if (existsSync(meta) && readFileSync(meta, "utf8").includes("src/cli/commands/hook.ts")) return;
  await new Promise<void>((done, fail) =>
    execFile(process.execPath, ["scripts/build.mjs"], { cwd: ROOT }, (err, _out, stderr) =>
      err ? fail(new Error(`npm run build failed:\n${stderr}`)) : done(),
    ),
  );
}

/** A stand-in for the server's git route: Basic auth with a token as the password. */
function gitServer(repos: RepoFiles): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const git = matchGitRequest(req.method ?? "GET", url.pathname, url.search);
    if (!git) {
      res.writeHead(404).end("not found\n");
      return;
    }
    const [scheme, encoded] = (req.headers.authorization ?? "").split(" ");
    const [user, token] = Buffer.from(encoded ?? "", "base64")
      .toString()
      .split(":");
    if (scheme !== "Basic" || !user || (token !== WRITE_TOKEN && token !== READ_TOKEN)) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="equinox"' }).end("token required\n");
      return;
    }
    if (git.needs === "write" && token !== WRITE_TOKEN) {
      res.writeHead(403).end("pushing needs a write token\n");
      return;
    }
    serveGit(req, res, { projectRoot: repos.root, pathInfo: url.pathname, remoteUser: user });
  });
}

/** Runs git to completion; resolves with its exit code and stderr (where push output goes). */
function gitProcess(
  cwd: string,
  args: string[],
): Promise<{ code: number; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn("git", args, {
      cwd,
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_AUTHOR_NAME: "Ada",
        GIT_AUTHOR_EMAIL: "ada@example.com",
        GIT_COMMITTER_NAME: "Ada",
        GIT_COMMITTER_EMAIL: "ada@example.com",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) =>
      done({ code: code ?? -1, stderr, ms: performance.now() - started }),
    );
  });
}

describe("git over HTTP with the push hook (real git, the real CLI)", () => {
  let base: string;
  let repos: RepoFiles;
  let http: Server;
  let origin: string;
  let work: string;
  const url = (token: string, repo = "acme/app") =>
    `http://alice:${token}@127.0.0.1:${(http.address() as AddressInfo).port}/${repo}.git`;

  beforeAll(async () => {
    await ensureBuilt();
    base = await mkdtemp(join(tmpdir(), "equinox-smart-http-"));
    repos = new RepoFiles(join(base, "data"), { equinoxBin: BIN });
    expect(await repos.create("acme/app")).toMatchObject({ ok: true });
    http = gitServer(repos);
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    origin = url(WRITE_TOKEN);
    work = join(base, "work");
    const cloned = await gitProcess(base, ["clone", origin, work]);
    expect(cloned.stderr).toContain("cloned an empty repository");
    expect(cloned.code).toBe(0);
  });
  afterAll(async () => {
    http?.close();
    await rm(base, { recursive: true, force: true });
  });

  it("(a) hands the push to the socket and shows the server's reply as remote: lines", async () => {
    await writeFiles(work, { ".forgejo/workflows/ci.yml": "on: push\n", "README.md": "hi\n" });
    const sha = await commitAll(work, "first");
    const events: { event: PushEvent; at: number }[] = [];
    const socket = await listenPushSocket(join(repos.dataDir, "equinox.sock"), async (event) => {
      events.push({ event, at: performance.now() });
      const reply: PushReply = {
        ok: true,
        runs: [
          {
            id: 17,
            number: 1,
            workflow: ".forgejo/workflows/ci.yml",
            ref: event.refs[0]!.ref,
            url: "http://ci/acme/app/runs/1",
          },
        ],
      };
      return reply;
    });
    try {
      const started = performance.now();
      const pushed = await gitProcess(work, ["push", "origin", "main"]);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toContain(
        "remote: equinox: run #1 .forgejo/workflows/ci.yml (refs/heads/main): http://ci/acme/app/runs/1",
      );
      expect(events.map((e) => e.event)).toEqual([
        {
          type: "push",
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          repo: "acme/app",
          pushed_at: expect.any(String),
          pusher: "alice",
          refs: [{ ref: "refs/heads/main", old_sha: "0".repeat(40), new_sha: sha }],
        },
      ]);
      console.log(
        `push → handler: ${(events[0]!.at - started).toFixed(0)} ms; whole git push: ${pushed.ms.toFixed(0)} ms`,
      );
      // The hook alone: process start to the server's handler.
      const hookStart = performance.now();
      const hook = spawn(process.execPath, [BIN, "hook", "post-receive"], {
        cwd: repos.path("acme/app"),
        env: { ...process.env, EQUINOX_DATA: repos.dataDir, GIT_DIR: ".", REMOTE_USER: "alice" },
        stdio: ["pipe", "ignore", "ignore"],
      });
      hook.stdin.end(`${"0".repeat(40)} ${sha} refs/heads/main\n`);
      const exit = await new Promise((r) => hook.on("close", r));
      expect(exit).toBe(0);
      console.log(
        `hook start → handler: ${(events[1]!.at - hookStart).toFixed(0)} ms; hook exits after ${(performance.now() - hookStart).toFixed(0)} ms`,
      );
    } finally {
      await socket.close();
    }
    expect((await readSpool(join(repos.dataDir, "spool"))).events).toEqual([]);
  });

  it("(b) spools the push when no server listens, and the push still succeeds", async () => {
    // Over 1 MiB, so git streams the pack chunked (no Content-Length).
    await writeFile(join(work, "blob.bin"), randomBytes(3 * 1024 * 1024));
    const sha = await commitAll(work, "second");
    const before = (await runGit(work, ["rev-parse", "HEAD~1"])).stdout.trim();
    const pushed = await gitProcess(work, ["push", "origin", "main"]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain("remote: equinox: the server is not running");
    expect(pushed.stderr).toContain("remote: equinox: push queued");
    const { events, problems } = await readSpool(join(repos.dataDir, "spool"));
    expect(problems).toEqual([]);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        repo: "acme/app",
        pusher: "alice",
        refs: [{ ref: "refs/heads/main", old_sha: before, new_sha: sha }],
      }),
    ]);
    expect(await repos.resolveRef("acme/app", "main")).toBe(sha);
  });

  it("(c) refuses a push with a read token or a wrong one", async () => {
    await writeFiles(work, { "third.txt": "3\n" });
    await commitAll(work, "third");
    const readOnly = await gitProcess(work, ["push", url(READ_TOKEN), "main"]);
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toContain("403");
    const wrong = await gitProcess(work, ["push", url("nope"), "main"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/);
    const anonymous = await gitProcess(work, [
      "push",
      `http://127.0.0.1:${(http.address() as AddressInfo).port}/acme/app.git`,
      "main",
    ]);
    expect(anonymous.code).not.toBe(0);
    expect(await repos.resolveRef("acme/app", "main")).toBe(
      (await runGit(work, ["rev-parse", "HEAD~1"])).stdout.trim(),
    );
  });

  it("(d) clones and fetches the pushed commits with a read token", async () => {
    const pushedSha = await repos.resolveRef("acme/app", "main");
    const clone = join(base, "clone");
    const cloned = await gitProcess(base, ["clone", url(READ_TOKEN), clone]);
    expect(cloned.code, cloned.stderr).toBe(0);
    expect((await runGit(clone, ["rev-parse", "HEAD"])).stdout.trim()).toBe(pushedSha);
    const fetched = await gitProcess(work, ["fetch", url(READ_TOKEN), "main"]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect((await runGit(work, ["rev-parse", "FETCH_HEAD"])).stdout.trim()).toBe(pushedSha);
    // Protocol v1 too (no Git-Protocol header).
    const v1 = await gitProcess(base, [
      "-c",
      "protocol.version=1",
      "clone",
      url(READ_TOKEN),
      join(base, "v1"),
    ]);
    expect(v1.code, v1.stderr).toBe(0);
  });

  it("passes git's own status through (an unknown repository is a 404)", async () => {
    const port = (http.address() as AddressInfo).port;
    const res = await fetch(
      `http://127.0.0.1:${port}/acme/none.git/info/refs?service=git-upload-pack`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(`alice:${READ_TOKEN}`).toString("base64")}`,
        },
      },
    );
    expect(res.status).toBe(404);
    const ok = await fetch(
      `http://127.0.0.1:${port}/acme/app.git/info/refs?service=git-upload-pack`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(`alice:${READ_TOKEN}`).toString("base64")}`,
        },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    expect(await ok.text()).toMatch(/^001e# service=git-upload-pack\n0000/);
  });
});
