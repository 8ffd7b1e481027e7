import { RUN_USAGE, runCommand } from "./commands/run.ts";
import { UsageError } from "./usage-error.ts";

const USAGE = `Usage: equinox <command> [options]

Commands:
  run [DIR]     run the workflows of a checkout on this machine
  help          show this help

Run 'equinox <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(command === undefined ? USAGE : `${USAGE}\n${RUN_USAGE}`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`equinox: ${(err as Error).message}\nRun 'equinox help' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`equinox: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
