import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { type DockerResult, docker, dockerCommand, isPodman } from "./cli.ts";

/** Images known to be present, so each is looked up once per process. */
const present = new Set<string>();

/**
 * Makes sure `image` is here: pulled when missing (after `docker login` to its
 * registry when credentials are given). The error says which image and why.
 * When `signal` fires the pull is stopped (its client killed; the engine then drops it).
 */
export async function ensureImage(
  image: string,
  credentials: { username: string; password: string } | null,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  if (present.has(image)) return;
  if ((await docker(["image", "inspect", "--format", "{{.Id}}", image])).code === 0) {
    present.add(image);
    return;
  }
  // Credentials go to a config of this pull's own, never to the server user's.
  const config = credentials ? await privateConfig() : null;
  let pull: DockerResult;
  try {
    if (credentials) {
      const registry = registryOf(image);
      const login = await docker(
        withConfig(
          [
            "login",
            "--username",
            credentials.username,
            "--password-stdin",
            ...(registry ? [registry] : []),
          ],
          config,
        ),
        { input: credentials.password },
      );
      if (login.code !== 0)
        throw new Error(`cannot log in to the registry of ${image}: ${login.stderr.trim()}`);
    }
    pull = await pullImage(withConfig(["pull", "--quiet", image], config), signal);
  } finally {
    if (config) await rm(config, { recursive: true, force: true });
  }
  if (signal?.aborted) throw new Error(`pulling ${image} was stopped`);
  if (pull.code !== 0)
    throw new Error(
      `image ${image} is not on this machine and could not be pulled: ${pull.stderr.trim() || `exit code ${pull.code}`}`,
    );
  present.add(image);
}

/** `docker pull` (`args`), whose client is killed when `signal` fires. */
function pullImage(args: string[], signal?: AbortSignal): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = spawn(dockerCommand(), args, {
      stdio: ["ignore", "ignore", "pipe"],
      ...(signal ? { signal } : {}),
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    // A failed spawn, or an abort (AbortError, before "close").
    child.once("error", (err) => {
      stderr ||= err.message;
    });
    child.once("close", (code) => resolve({ code: code ?? 1, stdout: "", stderr }));
  });
}

/**
 * A command (`login …`, `pull …`) with the private config `dir`: Docker's `--config`
 * (before the command), Podman's `--authfile` (after it).
 */
export function withConfig(command: string[], dir: string | null, podman = isPodman()): string[] {
  if (!dir) return command;
  return podman
    ? [command[0]!, "--authfile", join(dir, "auth.json"), ...command.slice(1)]
    : ["--config", dir, ...command];
}

/**
 * A new config directory (0700) for one pull. The server's current docker context
 * carries over — its name and the contexts it may name — so the pull goes to the same
 * engine; nothing else of its config does (credential helpers, stored logins).
 */
export async function privateConfig(
  own = process.env.DOCKER_CONFIG || join(homedir(), ".docker"),
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "equinox-docker-config-"));
  const current = await readFile(join(own, "config.json"), "utf8")
    .then((text) => (JSON.parse(text) as { currentContext?: unknown }).currentContext)
    .catch(() => undefined);
  const config = typeof current === "string" ? { currentContext: current } : {};
  await writeFile(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
  if (existsSync(join(own, "contexts")))
    await symlink(join(own, "contexts"), join(dir, "contexts"));
  return dir;
}

/** The registry host an image reference names, or null for the engine's default registry. */
function registryOf(image: string): string | null {
  const first = image.split("/")[0]!;
  return image.includes("/") &&
    (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : null;
}
