import { parseArgs } from "node:util";
import {
  ApiClient,
  type ApiRun,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  reportFailure,
  resolveConnection,
} from "../api-client.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const REPO_USAGE = `Usage: equinox repo create NAME
       equinox repo list
       equinox repo rm NAME

Manages the repositories of a running 'equinox serve'. NAME is 'name' or
'group/name'. 'create' prints the clone URL; push to it with a write token as
the password. 'rm' deletes the repository with its runs, logs and secrets.
'create' and 'rm' need an admin token.

${CONNECTION_USAGE}`;

export async function repoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CONNECTION_OPTIONS, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(REPO_USAGE);
    return 0;
  }
  const [sub, ...args] = positionals;
  const expect = (n: number, what: string) => {
    if (args.length !== n)
      throw new UsageError(
        `repo ${sub} takes ${what}, got ${args.length === 0 ? "none" : args.join(" ")}`,
      );
  };
  switch (sub) {
    case "create": {
      expect(1, "one NAME");
      const res = await new ApiClient(resolveConnection(values)).createRepo(args[0]!);
      if (!res.ok) return reportFailure(res);
      process.stdout.write(`${res.value.clone_url}\n`);
      return 0;
    }
    case "list":
    case "ls": {
      expect(0, "no arguments");
      const res = await new ApiClient(resolveConnection(values)).listRepos();
      if (!res.ok) return reportFailure(res);
      if (res.value.length === 0) {
        process.stderr.write("No repositories yet; create one with 'equinox repo create NAME'.\n");
        return 0;
      }
      const rows = res.value.map((r) => [r.name, lastRun(r.last_run), r.clone_url]);
      process.stdout.write(formatTable(["NAME", "LAST RUN", "CLONE URL"], rows));
      return 0;
    }
    case "rm": {
      expect(1, "one NAME");
      const res = await new ApiClient(resolveConnection(values)).deleteRepo(args[0]!);
      if (!res.ok) return reportFailure(res);
      process.stdout.write(`Deleted repository ${args[0]}.\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown repo command '${sub ?? ""}' (expected create, list or rm)`);
  }
}

function lastRun(run: ApiRun | null): string {
  if (run === null) return "-";
  return `${run.status === "completed" ? run.result : run.status} #${run.number}`;
}
