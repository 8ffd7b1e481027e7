import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Variables the docker CLI reads itself, or the dynamic loader, libc or Go runtime
 * under it (Podman's CLI is dynamically linked): a step's must never set them for
 * the CLI.
 */
const CLI_VARIABLE =
  /^(PATH|HOME|TMPDIR|SHELL|DOCKER_\w*|CONTAINER_\w*|CONTAINERS_\w*|REGISTRY_AUTH_FILE|XDG_\w*|LD_\w*|GCONV_PATH|GLIBC_TUNABLES|MALLOC_\w*|LOCPATH|NLSPATH|HOSTALIASES|RES_OPTIONS|LOCALDOMAIN|GO\w*|SSL_CERT_\w*|\w*_PROXY)$/i;

/** What the docker CLI gets: only this process's own say in how it runs. */
function cliEnvironment(own: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(own)) if (CLI_VARIABLE.test(name)) env[name] = value;
  return env;
}

export interface ContainerVariables {
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Removes the env file, if one was written. */
  remove(): Promise<void>;
}

/**
 * How the step's variables reach `docker run`, never on its command line (secrets are
 * among them): by name (`-e NAME`) from the CLI's environment, which otherwise holds
 * only the CLI's own variables. A name the CLI reads itself (`DOCKER_HOST`, `PATH`)
 * goes through a private `--env-file` instead, so a job cannot redirect the CLI.
 */
export async function containerVariables(
  step: Record<string, string>,
  own: NodeJS.ProcessEnv = process.env,
): Promise<ContainerVariables> {
  const env = cliEnvironment(own);
  const args: string[] = [];
  const fileLines: string[] = [];
  for (const [name, value] of Object.entries(step)) {
    if (name === "" || /[=\0]/.test(name))
      throw new Error(`'${name}' cannot be the name of an environment variable`);
    if (CLI_VARIABLE.test(name)) {
      if (/[\r\n]/.test(value))
        throw new Error(`the variable ${name} cannot hold a line break in a step container`);
      fileLines.push(`${name}=${value}`);
    } else {
      env[name] = value;
      args.push("-e", name);
    }
  }
  if (fileLines.length === 0) return { args, env, remove: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), "equinox-env-"));
  const file = join(dir, "env");
  await writeFile(file, `${fileLines.join("\n")}\n`, { mode: 0o600 });
  return {
    args: ["--env-file", file, ...args],
    env,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
