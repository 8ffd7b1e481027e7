/**
 * Parsers for the per-step environment files: GITHUB_ENV, GITHUB_OUTPUT and
 * GITHUB_STATE (`name=value` or heredoc `name<<DELIM` … `DELIM`), and GITHUB_PATH.
 * Error messages are the reference runner's, word for word.
 */

export type EnvFileResult =
  | { ok: true; entries: [string, string][] }
  | { ok: false; error: string };

/** Entries in file order; a later duplicate name is a later entry (callers apply in order). */
export function parseEnvFile(content: string): EnvFileResult {
  const lines = splitLines(content);
  const entries: [string, string][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const equals = line.indexOf("=");
    const heredoc = line.indexOf("<<");

    // Whichever marker comes first decides the form: `a=x<<y` is a plain value.
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (name === "") return { ok: false, error: "Name must not be empty" };
      entries.push([name, line.slice(equals + 1)]);
      continue;
    }
    if (heredoc < 0) return { ok: false, error: `Invalid format '${line}'` };

    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    if (name === "") return { ok: false, error: "Name must not be empty" };
    // An empty delimiter would end the value at the first blank line; the runner rejects it.
    if (delimiter === "") return { ok: false, error: `Invalid format '${line}'` };
    const end = lines.indexOf(delimiter, i + 1);
    if (end < 0) {
      return { ok: false, error: `Invalid value. Matching delimiter not found '${delimiter}'` };
    }
    entries.push([name, lines.slice(i + 1, end).join("\n")]);
    i = end;
  }
  return { ok: true, entries };
}

/** GITHUB_PATH: one directory per non-empty line, in file order. */
export function parsePathFile(content: string): string[] {
  return splitLines(content).filter((line) => line !== "");
}

function splitLines(content: string): string[] {
  return content.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}
