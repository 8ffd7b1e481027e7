import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCapacityMap } from "../../engine/slots.ts";
import { validateTrustedProxies } from "../../server/auth/authenticate.ts";
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
  const dataDir = values.data ?? ".equinox";
  const defaultLabels = join(dataDir, "labels.yml");
  const labels = await loadLabelConfig(
    values.labels ??
      process.env.EQUINOX_LABELS ??
      (existsSync(defaultLabels) ? defaultLabels : undefined),
  );
  const server = await startServer({
    dataDir,
    labels,
    host: values.host ?? "127.0.0.1",
    port,
    publicUrl,
    adminToken,
    adminPassword: values["admin-password"] ?? process.env.EQUINOX_ADMIN_PASSWORD ?? null,
    maxConcurrency,
    capacity: capacity.value,
    secretsFile: values["secrets-file"] ?? null,
    proxyAuth: values["auth-header"] ? { header: values["auth-header"], trusted } : null,
    actionsUrl: values["actions-url"] ?? process.env.EQUINOX_ACTIONS_URL ?? null,
  });

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
