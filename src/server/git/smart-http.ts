import { spawn } from "node:child_process";
import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { validateRepoName } from "./repo-name.ts";

export interface GitRequest {
  repo: string;
  service: "upload-pack" | "receive-pack";
  /** The token scope the request needs: fetching reads, pushing writes. */
  needs: "read" | "write";
}

const GIT_PATH = /^\/(.+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/**
 * Recognizes git's smart HTTP requests (`/<repo>.git/info/refs?service=…`, and the
 * two POSTs) for a valid repository name; null for anything else, including the
 * dumb protocol, which is not served.
 */
export function matchGitRequest(
  method: string,
  pathname: string,
  search: string,
): GitRequest | null {
  const match = GIT_PATH.exec(pathname);
  if (!match) return null;
  const repo = validateRepoName(match[1]);
  if (!repo.ok) return null;
  let service: string | null;
  if (match[2] === "info/refs") {
    if (method !== "GET") return null;
    service = new URLSearchParams(search).get("service");
  } else {
    if (method !== "POST") return null;
    service = match[2]!;
  }
  if (service === "git-upload-pack")
    return { repo: repo.name, service: "upload-pack", needs: "read" };
  if (service === "git-receive-pack")
    return { repo: repo.name, service: "receive-pack", needs: "write" };
  return null;
}

export interface ServeGitOptions {
  /** The folder repositories are found in (`RepoFiles.root`). */
  projectRoot: string;
  /** The request's path (`/group/name.git/info/refs`), resolved under `projectRoot`. */
  pathInfo: string;
  /** Who is pushing: the hook gets it as `REMOTE_USER` and reports it as the pusher. */
  remoteUser: string;
  /** The environment git starts from. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Told what went wrong when git fails (its stderr); default: nothing. */
  onError?: (message: string) => void;
}

const MAX_HEADER_BYTES = 64 * 1024;
/** Inherited variables that would point git at some other repository. */
const REDIRECTING =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|COMMON_DIR)$/;

/**
 * Answers one smart HTTP request with `git http-backend` run as a CGI program:
 * the request body streams to its stdin, and after its header block its stdout
 * streams back unbuffered (git's progress and the hook's messages arrive as the
 * push happens). A client that goes away kills git; a git that fails before
 * answering is a 500. Authentication and authorization are the caller's job.
 */
export function serveGit(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeGitOptions,
): void {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (!REDIRECTING.test(key)) env[key] = value;
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  Object.assign(env, {
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: options.pathInfo,
    REQUEST_METHOD: req.method ?? "GET",
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: options.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? "",
  });
  const optional: Record<string, string | undefined> = {
    CONTENT_LENGTH: req.headers["content-length"],
    HTTP_CONTENT_ENCODING: req.headers["content-encoding"],
    HTTP_GIT_PROTOCOL: header(req, "git-protocol"),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) env[key] = value;
    else delete env[key];
  }

  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    options.onError?.(message);
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("git failed; see the server log\n");
    } else res.destroy();
    child.kill();
  };

  child.on("error", (err) => fail(`git http-backend ${options.pathInfo}: ${err.message}`));
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 8192) stderr += chunk.toString();
  });
  // git may stop reading early (a refused request): the rest of the body goes nowhere.
  child.stdin.on("error", () => {});
  req.pipe(child.stdin);
  req.on("error", () => child.kill());
  res.on("close", () => {
    if (!res.writableFinished) child.kill();
  });

  let head: Buffer | null = Buffer.alloc(0);
  child.stdout.on("data", (chunk: Buffer) => {
    if (failed) return;
    if (head === null) {
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once("drain", () => child.stdout.resume());
      }
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end === null) {
      if (head.length > MAX_HEADER_BYTES)
        fail(`git http-backend ${options.pathInfo}: header block too long`);
      return;
    }
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.at).toString("latin1"));
    const body = head.subarray(end.at + end.length);
    head = null;
    res.writeHead(status.code, status.message, headers);
    if (body.length > 0) res.write(body);
    else res.flushHeaders();
  });
  child.on("close", (code, signal) => {
    if (failed) return;
    if (head !== null) {
      const why = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      fail(`git http-backend ${options.pathInfo} answered nothing: ${why}`);
      return;
    }
    if (code !== 0 && stderr.trim() !== "") {
      options.onError?.(`git http-backend ${options.pathInfo}: ${stderr.trim()}`);
    }
    res.end();
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function headerEnd(buffer: Buffer): { at: number; length: number } | null {
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf === -1 && lf === -1) return null;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

function parseCgiHeaders(block: string): {
  status: { code: number; message: string };
  headers: OutgoingHttpHeaders;
} {
  const status = { code: 200, message: "OK" };
  const headers: OutgoingHttpHeaders = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "status") {
      const match = /^(\d{3})\s*(.*)$/.exec(value);
      if (match) {
        status.code = Number(match[1]);
        status.message = match[2] || "";
      }
      continue;
    }
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  if (status.message === "") status.message = STATUS_CODES[status.code] ?? "Unknown";
  return { status, headers };
}
