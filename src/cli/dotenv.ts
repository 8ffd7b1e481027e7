/**
 * Reads `KEY=VALUE` files (`--secret-file`, like act's `.secrets`): `#` comments,
 * optional `export `, single or double quotes (double quotes understand `\n`).
 * Returns the line number of the first malformed line instead of throwing.
 */
export function parseDotenv(
  text: string,
): { ok: true; values: Record<string, string> } | { ok: false; line: number; error: string } {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) return { ok: false, line: i + 1, error: `expected KEY=VALUE, got '${line}'` };
    let value = m[2]!;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    } else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1);
    }
    values[m[1]!] = value;
  }
  return { ok: true, values };
}
