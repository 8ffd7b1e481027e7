import { parseArgs } from "node:util";
import {
  ApiClient,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  reportFailure,
  resolveConnection,
  type TokenScope,
} from "../api-client.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const TOKEN_USAGE = `Usage: equinox token create NAME --scope read|write|admin
       equinox token ls
       equinox token rm ID

Manages the API tokens of a running 'equinox serve' (admin token). 'create'
prints the new token on standard output; it is shown only this once. A 'read'
token looks, a 'write' token also pushes, dispatches, cancels and re-runs, and
an 'admin' token also manages repositories, secrets and tokens.

Options:
      --scope SCOPE      read, write or admin (for 'create')

${CONNECTION_USAGE}`;

const SCOPES: TokenScope[] = ["read", "write", "admin"];

export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      scope: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(TOKEN_USAGE);
    return 0;
  }
  const [sub, ...args] = positionals;
  const expect = (n: number, what: string) => {
    if (args.length !== n)
      throw new UsageError(
        `token ${sub} takes ${what}, got ${args.length === 0 ? "none" : args.join(" ")}`,
      );
  };
  if (values.scope !== undefined && sub !== "create")
    throw new UsageError(`--scope goes with 'token create', not 'token ${sub ?? ""}'`);
  switch (sub) {
    case "create": {
      expect(1, "one NAME");
      const scope = values.scope as TokenScope | undefined;
      if (scope === undefined) throw new UsageError("token create needs --scope read|write|admin");
      if (!SCOPES.includes(scope))
        throw new UsageError(`--scope '${scope}': expected read, write or admin`);
      const res = await new ApiClient(resolveConnection(values)).createToken(args[0]!, scope);
      if (!res.ok) return reportFailure(res);
      process.stderr.write(
        `Token ${res.value.id} '${res.value.name}' (${res.value.scope}); it is shown only this once:\n`,
      );
      process.stdout.write(`${res.value.token}\n`);
      return 0;
    }
    case "ls":
    case "list": {
      expect(0, "no arguments");
      const res = await new ApiClient(resolveConnection(values)).listTokens();
      if (!res.ok) return reportFailure(res);
      const rows = res.value.map((t) => [
        String(t.id),
        t.name,
        t.scope,
        time(t.created_at),
        t.last_used_at === null ? "never" : time(t.last_used_at),
      ]);
      process.stdout.write(formatTable(["ID", "NAME", "SCOPE", "CREATED", "LAST USED"], rows));
      return 0;
    }
    case "rm": {
      expect(1, "one ID");
      const id = Number(args[0]);
      if (!/^\d+$/.test(args[0]!) || !Number.isSafeInteger(id))
        throw new UsageError(`token rm: '${args[0]}' is not a token id (see 'equinox token ls')`);
      const res = await new ApiClient(resolveConnection(values)).deleteToken(id);
      if (!res.ok) return reportFailure(res);
      process.stdout.write(`Deleted token ${id}.\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown token command '${sub ?? ""}' (expected create, ls or rm)`);
  }
}

function time(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}
