import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseCapacityMap } from "../../engine/slots.ts";
import { validateTrustedProxies } from "../../server/auth/authenticate.ts";
import { validatePassword } from "../../server/auth/passwords.ts";
import { DataDirInUse } from "../../server/data-lock.ts";
import { parseSecretsFile } from "../../server/secrets/secrets-file.ts";
import { startServer } from "../../server/serve.ts";
import { loadLabelConfig } from "../label-config.ts";
import { UsageError } from "../usage-error.ts";

export const SERVE_USAGE = `Usage: equinox serve [options]

Runs the Equinox server: git hosting (push to it over HTTP), CI runs for every push,
the web UI and the JSON API (docs/api.md), with its state in DIR.

Options:
      --data DIR            data directory: database, repositories, workspaces (default: ./.equinox)
      --host ADDR           address to listen on (default: 127.0.0.1)
  -p, --port N              port (default: 8080; 0 picks a free one)
      --public-url URL      the URL users reach the server at, when behind a proxy
      --admin-token TOKEN   the admin token to create at first start (or EQUINOX_ADMIN_TOKEN);
                            otherwise one is generated and printed once
      --admin-password PW   set the admin user's web password (or EQUINOX_ADMIN_PASSWORD)
      --max-concurrency N   jobs running at once (or EQUINOX_MAX_CONCURRENCY; default: CPUs, at least 2)
      --capacity MAP        per runs-on label limits, e.g. ubuntu-latest=2,big=1 (or EQUINOX_CAPACITY_MAP)
      --labels FILE         which runs-on label runs where: host, bwrap, docker://IMAGE (or
                            EQUINOX_LABELS; default: DIR/labels.yml if there; docs/executors.md)
      --secrets-file FILE   extra secrets, YAML/JSON: NAME: value or NAME: {file: path}
      --auth-header NAME    trust this header (e.g. Remote-User) from --trusted-proxy addresses
      --trusted-proxy IP    a reverse proxy allowed to set --auth-header; repeatable (default: 127.0.0.1, ::1)
      --actions-url URL     git server to fetch remote actions (owner/repo@ref) from
`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      host: { type: "string" },
      port: { type: "string", short: "p" },
      "public-url": { type: "string" },
      "admin-token": { type: "string" },
      "admin-password": { type: "string" },
      "max-concurrency": { type: "string" },
      capacity: { type: "string" },
      "secrets-file": { type: "string" },
      labels: { type: "string" },
      "auth-header": { type: "string" },
      "trusted-proxy": { type: "string", multiple: true },
      "actions-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`serve takes no arguments, got: ${positionals.join(" ")}`);
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port '${values.port}': expected a port number from 0 to 65535`);
  const concurrencyText = values["max-concurrency"] ?? process.env.EQUINOX_MAX_CONCURRENCY;
  const maxConcurrency = concurrencyText
    ? Number(concurrencyText)
    : Math.max(2, availableParallelism());
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
    throw new UsageError(`--max-concurrency '${concurrencyText}': expected a positive integer`);
  const capacity = parseCapacityMap(values.capacity ?? process.env.EQUINOX_CAPACITY_MAP ?? "");
  if (!capacity.ok) throw new UsageError(`--capacity: ${capacity.error}`);
  const publicUrl = values["public-url"] ?? null;
  if (publicUrl && !/^https?:\/\/[^/]+/.test(publicUrl))
    throw new UsageError(`--public-url '${publicUrl}': expected http://HOST[:PORT] or https://…`);
  const adminToken = values["admin-token"] ?? process.env.EQUINOX_ADMIN_TOKEN ?? null;
  if (adminToken !== null && adminToken.length < 16)
    throw new UsageError("the admin token must be at least 16 characters long");

  const trusted = values["trusted-proxy"] ?? ["127.0.0.1", "::1"];
  const badProxy = validateTrustedProxies(trusted);
  if (badProxy) throw new UsageError(`--trusted-proxy: ${badProxy}`);
  const adminPassword = values["admin-password"] ?? process.env.EQUINOX_ADMIN_PASSWORD ?? null;
  const weak = adminPassword ? validatePassword(adminPassword) : null;
  if (weak) throw new UsageError(`--admin-password (or EQUINOX_ADMIN_PASSWORD): ${weak}`);
  const secretsFile = values["secrets-file"] ?? null;
  if (secretsFile) await checkSecretsFile(secretsFile);
  const host = values.host ?? "127.0.0.1";
  // Before the data directory is touched: starting reconciles the runs and containers
  // a previous server left, which must not happen for a server that cannot listen.
  const unavailable = await checkListen(host, port);
  if (unavailable) return reportListenProblem(unavailable);
  const dataDir = values.data ?? ".equinox";
  const defaultLabels = join(dataDir, "labels.yml");
  const labels = await loadLabelConfig(
    values.labels ??
      process.env.EQUINOX_LABELS ??
      (existsSync(defaultLabels) ? defaultLabels : undefined),
  );
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      dataDir,
      labels,
      host,
      port,
      publicUrl,
      adminToken,
      adminPassword,
      maxConcurrency,
      capacity: capacity.value,
      secretsFile,
      proxyAuth: values["auth-header"] ? { header: values["auth-header"], trusted } : null,
      actionsUrl: values["actions-url"] ?? process.env.EQUINOX_ACTIONS_URL ?? null,
    });
  } catch (err) {
    if (err instanceof DataDirInUse) {
      process.stderr.write(`equinox: ${err.message}\n`);
      return 1;
    }
    // The port may have been taken since checkListen.
    const problem = listenProblem(err, host, port);
    if (!problem) throw err;
    return reportListenProblem(problem);
  }

  const out = process.stdout;
  out.write(`Equinox is serving at ${server.url}\n`);
  if (server.generatedAdminToken)
    out.write(
      `Admin token (shown once; log in with it and use it with the CLI as EQUINOX_TOKEN):\n  ${server.generatedAdminToken}\n`,
    );
  out.write(`Data directory: ${values.data ?? ".equinox"}  ·  Ctrl-C stops the server\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      out.write("Stopping: cancelling running jobs…\n");
      server.close().then(resolve, (err: Error) => {
        process.stderr.write(`equinox: while stopping: ${err.message}\n`);
        resolve();
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
}

/** The secrets file, read and parsed as the server will: a bad one is the caller's mistake. */
async function checkSecretsFile(file: string): Promise<void> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "a directory, not a file"
            : (err as Error).message;
    throw new UsageError(`--secrets-file '${file}': ${why}`);
  }
  const parsed = parseSecretsFile(path, text);
  if (parsed.errors.length > 0)
    throw new UsageError(`--secrets-file: ${parsed.errors.join("\n  ")}`);
}

/** Listens on host:port for a moment, so a port in use is reported before anything starts. */
async function checkListen(host: string, port: number): Promise<ListenProblem | null> {
  const probe = createServer();
  const failure = await new Promise<unknown>((settle) => {
    probe.once("error", settle);
    probe.listen(port, host, () => settle(null));
  });
  if (failure === null) {
    await new Promise((closed) => probe.close(closed));
    return null;
  }
  const problem = listenProblem(failure, host, port);
  if (!problem) throw failure;
  return problem;
}

/** A bad --host is a mistake in the command (exit 2); a port in use or not ours is not (exit 1). */
interface ListenProblem {
  message: string;
  usage: boolean;
}

function reportListenProblem(problem: ListenProblem): number {
  if (problem.usage) throw new UsageError(problem.message);
  process.stderr.write(`equinox: ${problem.message}\n`);
  return 1;
}

/** What a failed listen means to the user, for the errors that have a clear cause. */
function listenProblem(err: unknown, host: string, port: number): ListenProblem | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return {
        message: `cannot listen on ${where}: the port is in use (by another server?); choose another with --port`,
        usage: false,
      };
    case "EACCES":
      return {
        message: `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port`,
        usage: false,
      };
    case "EADDRNOTAVAIL":
      return { message: `--host '${host}': not an address of this machine`, usage: true };
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return { message: `--host '${host}': no such host`, usage: true };
    default:
      return null;
  }
}
