import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import type { CheckoutSource } from "../../core/job-spec.ts";
import { docker, dockerCommand } from "./cli.ts";

/** The build context: the repository's `.equinox/` directory (`COPY x` takes `.equinox/x`). */
const CONTEXT = ".equinox";
const DOCKERFILE = ".equinox/Dockerfile";

const run = promisify(execFile);

/**
 * The image for a repository's docker jobs when it has `.equinox/Dockerfile`: built
 * from its `.equinox/` directory at the job's commit (or, for `equinox run` on a tree
 * with changes, as it is on disk), tagged by that directory's content hash, so it is
 * built once and reused while the directory is unchanged. Null without a Dockerfile.
 * Build output goes to `log`; a failed build is an error with its last lines. When
 * `signal` fires the build is stopped (its client killed, which ends it in the engine).
 */
export async function repositoryImage(
  source: CheckoutSource | undefined,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<string | null> {
  const context = source ? await contextOf(source) : null;
  if (!context) return null;
  const tag = `equinox-dockerfile:${context.hash.slice(0, 32)}`;
  if ((await docker(["image", "inspect", "--format", "{{.Id}}", tag])).code === 0) return tag;
  log(`Building ${DOCKERFILE} (${tag})`);
  await build(tag, "Dockerfile", context.tar, log, DOCKERFILE, signal);
  return tag;
}

/**
 * The image of a Docker action's Dockerfile (`dockerfile` in `dir`): built with `dir`
 * as the context, tagged by its content hash, reused while `dir` is unchanged.
 */
export async function actionImage(
  dir: string,
  dockerfile: string,
  log: (line: string) => void,
): Promise<string> {
  const tag = `equinox-action:${(await hashDirectory(dir)).slice(0, 32)}`;
  if ((await docker(["image", "inspect", "--format", "{{.Id}}", tag])).code === 0) return tag;
  log(`Building the action's ${dockerfile} (${tag})`);
  const tar = () => spawn("tar", ["-C", dir, "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
  await build(tag, dockerfile, tar, log, dockerfile);
  return tag;
}

interface Context {
  /** Content hash of the `.equinox` directory. */
  hash: string;
  /** Starts a process whose stdout is the context as a tar stream. */
  tar(): ReturnType<typeof spawn>;
}

async function contextOf(source: CheckoutSource): Promise<Context | null> {
  if (source.kind === "none") return null;
  if (source.kind === "dir") return diskContext(source.path);
  // The files on disk when the tree has changes the commit does not.
  if (source.overlayFrom) return diskContext(source.overlayFrom);
  const git = (args: string[]) => run("git", ["-C", source.url, ...args], { maxBuffer: 1 << 20 });
  try {
    await git(["cat-file", "-e", `${source.sha}:${DOCKERFILE}`]);
  } catch {
    return null;
  }
  // The tree id is a content hash of the directory, for free.
  const tree = (await git(["rev-parse", `${source.sha}:${CONTEXT}`])).stdout.trim();
  return {
    hash: tree,
    tar: () =>
      spawn("git", ["-C", source.url, "archive", "--format=tar", `${source.sha}:${CONTEXT}`], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
  };
}

async function diskContext(root: string): Promise<Context | null> {
  if (!existsSync(join(root, DOCKERFILE))) return null;
  return {
    hash: await hashDirectory(join(root, CONTEXT)),
    tar: () =>
      spawn("tar", ["-C", join(root, CONTEXT), "-c", "."], { stdio: ["ignore", "pipe", "pipe"] }),
  };
}

async function hashDirectory(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (path: string) => {
    for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(path, entry.name);
      hash.update(`${relative(dir, full)}\0`);
      if (entry.isDirectory()) await visit(full);
      else if (entry.isFile()) hash.update(await readFile(full));
    }
  };
  await visit(dir);
  return hash.digest("hex");
}

/**
 * `docker build` with the context tar on stdin; its output to `log`, line by line.
 * `signal` kills both processes: the CLI going away cancels the build in the engine.
 */
function build(
  tag: string,
  dockerfile: string,
  tar: () => ReturnType<typeof spawn>,
  log: (line: string) => void,
  what: string,
  signal?: AbortSignal,
) {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error(`building ${what} was stopped`));
    const source = tar();
    const builder = spawn(
      dockerCommand(),
      // --force-rm: a failed or stopped build leaves no intermediate container behind.
      ["build", "--force-rm", "--label", "equinox.dockerfile=1", "-f", dockerfile, "-t", tag, "-"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    source.stdout!.pipe(builder.stdin);
    builder.stdin.on("error", () => {});
    const tail: string[] = [];
    let rest = "";
    const onOutput = (chunk: Buffer) => {
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        log(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    builder.stdout.on("data", onOutput);
    builder.stderr.on("data", onOutput);
    let sourceError = "";
    source.stderr!.on("data", (d: Buffer) => {
      sourceError += d.toString("utf8");
    });
    const stop = () => {
      source.kill("SIGKILL");
      builder.kill("SIGTERM");
    };
    signal?.addEventListener("abort", stop, { once: true });
    builder.once("error", reject);
    builder.once("close", (code) => {
      signal?.removeEventListener("abort", stop);
      if (rest) log(rest);
      if (signal?.aborted) reject(new Error(`building ${what} was stopped`));
      else if (code === 0) resolve();
      else
        reject(
          new Error(
            `building ${what} failed (exit ${code})${sourceError ? `: ${sourceError.trim()}` : ""}:\n${[...tail, rest].filter(Boolean).join("\n")}`,
          ),
        );
    });
  });
}
