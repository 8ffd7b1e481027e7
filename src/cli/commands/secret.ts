import { parseArgs } from "node:util";
import {
  ApiClient,
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  reportFailure,
  resolveConnection,
} from "../api-client.ts";
import { formatTable } from "../table.ts";
import { UsageError } from "../usage-error.ts";

export const SECRET_USAGE = `Usage: equinox secret set NAME [--repo REPO] [--value VALUE]
       equinox secret rm NAME [--repo REPO]
       equinox secret ls [--repo REPO]

Manages the secrets of a running 'equinox serve' (admin token). Without --repo
the secret is global; a repository's own secret of the same name wins over it.
'set' reads the value from standard input when --value is not given (one
trailing newline is dropped), so it stays out of the shell history. Values are
write-only: 'ls' shows names and when they were last set.

Options:
      --repo REPO        a repository's secrets instead of the global ones
      --value VALUE      the value for 'set'

${CONNECTION_USAGE}`;

export async function secretCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      repo: { type: "string" },
      value: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(SECRET_USAGE);
    return 0;
  }
  const [sub, ...args] = positionals;
  const repo = values.repo;
  const where = repo === undefined ? "global" : `repository ${repo}`;
  const expect = (n: number, what: string) => {
    if (args.length !== n)
      throw new UsageError(
        `secret ${sub} takes ${what}, got ${args.length === 0 ? "none" : args.join(" ")}`,
      );
  };
  if (values.value !== undefined && sub !== "set")
    throw new UsageError(`--value goes with 'secret set', not 'secret ${sub ?? ""}'`);
  switch (sub) {
    case "set": {
      expect(1, "one NAME");
      const name = args[0]!;
      const connection = resolveConnection(values);
      const value = values.value ?? stripNewline(await readValue(name));
      if (value === "") throw new UsageError(`secret ${name}: the value is empty`);
      const res = await new ApiClient(connection).setSecret(name, value, repo);
      if (!res.ok) return reportFailure(res);
      process.stdout.write(`Set ${where} secret ${name}.\n`);
      return 0;
    }
    case "rm": {
      expect(1, "one NAME");
      const res = await new ApiClient(resolveConnection(values)).deleteSecret(args[0]!, repo);
      if (!res.ok) return reportFailure(res);
      process.stdout.write(`Deleted ${where} secret ${args[0]}.\n`);
      return 0;
    }
    case "ls":
    case "list": {
      expect(0, "no arguments");
      const res = await new ApiClient(resolveConnection(values)).listSecrets(repo);
      if (!res.ok) return reportFailure(res);
      if (res.value.length === 0) {
        process.stderr.write(`No ${where} secrets.\n`);
        return 0;
      }
      const rows = res.value.map((s) => [s.name, s.updated_at.replace(/\.\d+Z$/, "Z")]);
      process.stdout.write(formatTable(["NAME", "UPDATED"], rows));
      return 0;
    }
    default:
      throw new UsageError(`unknown secret command '${sub ?? ""}' (expected set, rm or ls)`);
  }
}

function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}

async function readValue(name: string): Promise<string> {
  if (process.stdin.isTTY) return readHidden(`Value of ${name} (not shown): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** One line from the terminal without echoing it, as `ssh-keygen` or `sudo` read passwords. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let value = "";
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          finish();
          process.exit(130);
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}
