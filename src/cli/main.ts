import { prespawnRuntime } from "../engine/executors/host.ts";
import { UsageError } from "./usage-error.ts";

const USAGE = `Usage: equinox <command> [options]

Commands:
  run [DIR]     run the workflows of a checkout on this machine
  pipeline check [DIR]
                validate a TypeScript pipeline (.equinox/ci.ts) without running it
  help          show this help

Run 'equinox <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run": {
      // Start a runtime now: its cold start overlaps loading the workflow parser below
      // (a separate chunk of the CLI bundle).
      if (!rest.some((a) => a === "--list" || a === "--help" || a === "-h")) prespawnRuntime();
      const { runCommand } = await import("./commands/run.ts");
      return runCommand(rest);
    }
    case "pipeline": {
      const { pipelineCommand } = await import("./commands/pipeline.ts");
      return pipelineCommand(rest);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(
        command === undefined
          ? USAGE
          : `${USAGE}\n${(await import("./commands/run.ts")).RUN_USAGE}\n${(await import("./commands/pipeline.ts")).PIPELINE_USAGE}`,
      );
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
