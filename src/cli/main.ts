import { prespawnRuntime } from "../engine/executors/host.ts";
import { UsageError } from "./usage-error.ts";

const USAGE = `Usage: equinox <command> [options]

Commands:
  run [DIR]     run the workflows of a checkout on this machine
  pipeline check [DIR]
                validate a TypeScript pipeline (.equinox/ci.ts) without running it
  serve         run the server: git hosting, CI on push, web UI, API
  repo create|list|rm
                manage the repositories of a running server
  runs [REPO]   list the newest runs on a running server
  logs RUN [JOB]
                print (or --follow) a run's job logs from a running server
  secret set|rm|ls
                manage a running server's secrets
  token create|ls|rm
                manage a running server's API tokens
  hook post-receive
                the git hook of 'equinox serve' repositories (run by git)
  help          show this help

Run 'equinox <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run": {
      // Start a runtime now: its cold start overlaps loading the workflow parser below
      // (a separate chunk of the CLI bundle).
      // Not when every job goes elsewhere (it would only take CPU from the sandbox's).
      const at = rest.findIndex((a) => a === "--executor" || a.startsWith("--executor="));
      const elsewhere =
        at !== -1 && (rest[at]!.includes("=") ? rest[at]!.split("=")[1] : rest[at + 1]) !== "host";
      if (!elsewhere && !rest.some((a) => a === "--list" || a === "--help" || a === "-h"))
        prespawnRuntime();
      const { runCommand } = await import("./commands/run.ts");
      return runCommand(rest);
    }
    case "pipeline": {
      const { pipelineCommand } = await import("./commands/pipeline.ts");
      return pipelineCommand(rest);
    }
    case "serve": {
      const { serveCommand } = await import("./commands/serve.ts");
      return serveCommand(rest);
    }
    case "repo": {
      const { repoCommand } = await import("./commands/repo.ts");
      return repoCommand(rest);
    }
    case "runs": {
      const { runsCommand } = await import("./commands/runs.ts");
      return runsCommand(rest);
    }
    case "logs": {
      const { logsCommand } = await import("./commands/logs.ts");
      return logsCommand(rest);
    }
    case "secret": {
      const { secretCommand } = await import("./commands/secret.ts");
      return secretCommand(rest);
    }
    case "token": {
      const { tokenCommand } = await import("./commands/token.ts");
      return tokenCommand(rest);
    }
    case "hook": {
      const { hookCommand } = await import("./commands/hook.ts");
      return hookCommand(rest);
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
