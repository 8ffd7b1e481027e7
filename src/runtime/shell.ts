/**
 * `shell:` resolution for `run:` steps, as the reference runner does it. The caller
 * learns the script file's extension first (`shellExtension`), writes the script, then
 * resolves the command line with the script's path (`resolveShell`).
 */

export interface ShellInvocation {
  program: string;
  args: string[];
  extension: string;
}

export interface ShellHost {
  /** The step runs inside a job container. */
  inContainer: boolean;
  /** `bash` is on the host's PATH (only consulted for the default shell on the host). */
  bashAvailable: boolean;
}

const PLACEHOLDER = "{0}";

/** Built-in shells; `{0}` is the script path, inside a single-quoted string for PowerShell. */
const BUILTIN: Record<string, { program: string; args: string[]; singleQuoted?: true }> = {
  bash: { program: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", PLACEHOLDER] },
  sh: { program: "sh", args: ["-e", PLACEHOLDER] },
  python: { program: "python", args: [PLACEHOLDER] },
  pwsh: { program: "pwsh", args: ["-command", `. '${PLACEHOLDER}'`], singleQuoted: true },
  powershell: {
    program: "powershell",
    args: ["-command", `. '${PLACEHOLDER}'`],
    singleQuoted: true,
  },
  cmd: { program: "cmd", args: ["/D", "/E:ON", "/V:OFF", "/S", "/C", `CALL "${PLACEHOLDER}"`] },
};

/**
 * Keyed by the shell's first word, so custom command lines for a known interpreter
 * (`pwsh -File {0}`, `bash -x {0}`) still get the extension it needs.
 */
const EXTENSIONS: Record<string, string> = {
  bash: ".sh",
  sh: ".sh",
  python: ".py",
  pwsh: ".ps1",
  powershell: ".ps1",
  cmd: ".cmd",
};

/** The script file extension for a `shell:` value (undefined = the default shell). */
export function shellExtension(shell: string | undefined): string {
  const trimmed = shell?.trim() ?? "";
  if (trimmed === "") return ".sh";
  const program = trimmed.split(/\s+/, 1)[0]!;
  return Object.hasOwn(EXTENSIONS, program) ? EXTENSIONS[program]! : "";
}

export function resolveShell(
  shell: string | undefined,
  scriptPath: string,
  host: ShellHost,
): ShellInvocation | { error: string } {
  const trimmed = shell?.trim() ?? "";
  if (trimmed === "") {
    // No pipefail here, unlike an explicit `shell: bash`.
    const program = !host.inContainer && host.bashAvailable ? "bash" : "sh";
    return { program, args: ["-e", scriptPath], extension: ".sh" };
  }

  const builtin = Object.hasOwn(BUILTIN, trimmed) ? BUILTIN[trimmed]! : undefined;
  if (builtin) {
    // A quote inside a PowerShell single-quoted string is doubled.
    const path = builtin.singleQuoted ? scriptPath.replaceAll("'", "''") : scriptPath;
    return {
      program: builtin.program,
      args: builtin.args.map((a) => a.replaceAll(PLACEHOLDER, path)),
      extension: shellExtension(trimmed),
    };
  }

  if (!trimmed.includes(PLACEHOLDER)) {
    return {
      error: `Invalid shell option. Shell path should be specified along with {0} placeholder: '${shell}'`,
    };
  }
  // Split before substituting, so a script path with spaces stays one argument.
  const [program, ...args] = splitCommandLine(trimmed).map((w) =>
    w.replaceAll(PLACEHOLDER, scriptPath),
  );
  return { program: program!, args, extension: shellExtension(trimmed) };
}

/**
 * Splits a command line the way .NET does for `ProcessStartInfo.Arguments` (which is
 * how the runner passes a custom shell's arguments): whitespace separates, double
 * quotes group (`""` inside quotes is a literal quote), and backslashes are literal
 * except before a quote, where 2n backslashes give n and open/close the quote, and
 * 2n+1 give n plus a literal quote.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\") {
      let count = 0;
      while (line[i] === "\\") {
        count++;
        i++;
      }
      if (line[i] === '"') {
        word += "\\".repeat(count >> 1);
        if (count % 2 === 1) word += '"';
        else quoted = !quoted;
      } else {
        word += "\\".repeat(count);
        i--;
      }
      inWord = true;
    } else if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        word += '"';
        i++;
      } else {
        quoted = !quoted;
      }
      inWord = true;
    } else if (!quoted && (c === " " || c === "\t")) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
