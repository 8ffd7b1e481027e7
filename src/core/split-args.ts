/**
 * Splits a command line (`container.options`, a docker step's `args`) the way a POSIX shell would split a
 * plain command line: whitespace separates, quotes group, a backslash escapes. No
 * expansion of any kind. An unclosed quote is an error.
 */
export function splitArgs(
  text: string,
): { ok: true; args: string[] } | { ok: false; error: string } {
  const args: string[] = [];
  let current: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else current = `${current ?? ""}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!))
        current = `${current ?? ""}${text[++i]!}`;
      else current = `${current ?? ""}${c}`;
    } else if (c === "'" || c === '"') {
      quote = c;
      current ??= "";
    } else if (c === "\\" && i + 1 < text.length) {
      current = `${current ?? ""}${text[++i]!}`;
    } else if (/\s/.test(c)) {
      if (current !== null) args.push(current);
      current = null;
    } else {
      current = `${current ?? ""}${c}`;
    }
  }
  if (quote) return { ok: false, error: `unclosed ${quote} in: ${text}` };
  if (current !== null) args.push(current);
  return { ok: true, args };
}
