import { Buffer } from "node:buffer";

const REPLACEMENT = "***";

/**
 * Secret masker for log lines. Every registered secret is expanded into the
 * encoded forms a step could plausibly print (base64 at each byte alignment,
 * JSON, URI and shell escaping), and `mask` replaces all of them with `***`.
 */
export class Masker {
  private readonly forms = new Set<string>();
  // Built lazily: `mask` runs on every log line, `add` is rare.
  private compiled: { any: RegExp; starts: RegExp } | null = null;
  private formBytes: Buffer[] | null = null;

  /** Number of distinct registered forms (raw values plus their encodings). */
  get size(): number {
    return this.forms.size;
  }

  add(value: string): void {
    if (value.trim() === "") return;
    this.addWithEncodings(value);
    // Logs arrive line by line, so a multi-line secret never appears whole in one line.
    if (value.includes("\n") || value.includes("\r")) {
      for (const line of value.split(/\r?\n|\r/)) {
        const trimmed = line.trim();
        if (trimmed !== "") this.addWithEncodings(trimmed);
      }
    }
  }

  mask(text: string): string {
    if (this.forms.size === 0 || text === "") return text;
    const { any, starts } = this.regexps();
    // Fast path: most lines contain no secret at all.
    const first = any.exec(text);
    if (first === null) return text;

    // Collect every match start (the lookahead finds overlapping ones too) and merge
    // overlapping or touching ranges, so a secret that starts inside another is not
    // half revealed.
    let out = "";
    let copied = 0;
    let start = -1;
    let end = -1;
    starts.lastIndex = first.index;
    for (let m = starts.exec(text); m !== null; m = starts.exec(text)) {
      const matchEnd = m.index + m[1]!.length;
      if (m.index > end) {
        if (start >= 0) {
          out += text.slice(copied, start) + REPLACEMENT;
          copied = end;
        }
        start = m.index;
        end = matchEnd;
      } else if (matchEnd > end) {
        end = matchEnd;
      }
      starts.lastIndex = m.index + 1;
    }
    return out + text.slice(copied, start) + REPLACEMENT + text.slice(end);
  }

  /** The longest registered form, in UTF-8 bytes. */
  get longestBytes(): number {
    return this.bytesOfForms()[0]?.length ?? 0;
  }

  /**
   * `at`, moved so that a line cut there into two log lines cuts no registered form in
   * two (each half would be masked alone, and pass): back to the start of every form
   * that crosses it. `bytes` must hold `longestBytes` more bytes after `at`, or a form
   * continuing past its end goes unseen. Only if that walks back to the start (a form as
   * long as a line), the cut goes forward, after the forms instead.
   */
  safeCut(bytes: Buffer, at: number): number {
    let cut = at;
    for (let m = this.crossing(bytes, cut); m; m = this.crossing(bytes, cut)) cut = m.start;
    if (cut > 0) return cut;
    cut = at;
    for (let m = this.crossing(bytes, cut); m; m = this.crossing(bytes, cut)) cut = m.end;
    return cut;
  }

  /** The earliest form in `bytes` that starts before `cut` and ends after it. */
  private crossing(bytes: Buffer, cut: number): { start: number; end: number } | null {
    let found: { start: number; end: number } | null = null;
    for (const form of this.bytesOfForms()) {
      // Only a window around the cut: the line may be a MiB long, and there may be
      // hundreds of forms.
      const from = Math.max(0, cut - form.length + 1);
      const i = bytes.subarray(from, cut + form.length - 1).indexOf(form);
      if (i < 0) continue;
      const start = from + i;
      if (start < cut && (found === null || start < found.start)) {
        found = { start, end: start + form.length };
      }
    }
    return found;
  }

  private bytesOfForms(): Buffer[] {
    this.formBytes ??= [...this.forms]
      .map((f) => Buffer.from(f, "utf8"))
      .sort((a, b) => b.length - a.length);
    return this.formBytes;
  }

  private addWithEncodings(raw: string): void {
    this.register(raw);
    for (const form of encodedForms(raw)) {
      if (form !== "" && form !== raw) this.register(form);
    }
  }

  private register(form: string): void {
    if (this.forms.has(form)) return;
    this.forms.add(form);
    this.compiled = null;
    this.formBytes = null;
  }

  private regexps(): { any: RegExp; starts: RegExp } {
    if (this.compiled === null) {
      // Longest first: at a given position the first alternative that matches wins.
      const alternatives = [...this.forms]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|");
      this.compiled = {
        any: new RegExp(alternatives),
        starts: new RegExp(`(?=(${alternatives}))`, "g"),
      };
    }
    return this.compiled;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Encoded forms of one secret; may contain duplicates or the raw value itself. */
function encodedForms(value: string): string[] {
  const forms = base64Forms(value);
  forms.push(JSON.stringify(value).slice(1, -1));
  try {
    const uri = encodeURIComponent(value);
    forms.push(uri);
    // RFC 3986 strict (what most non-JS clients produce) and form encoding.
    forms.push(uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
    forms.push(uri.replace(/%20/g, "+"));
  } catch {
    // Lone surrogates cannot be URI-encoded; such a value cannot appear in a URI either.
  }
  // Shell: inside single quotes (POSIX `'\''` and Python shlex's `'"'"'`), and
  // backslash-escaped like bash's `printf %q`.
  forms.push(value.replaceAll("'", "'\\''"));
  forms.push(value.replaceAll("'", `'"'"'`));
  forms.push(value.replace(/[ \t!"#$&'()*;<>?[\\\]^`{|}~]/g, "\\$&"));
  return forms;
}

/**
 * Base64 packs 3 bytes into 4 chars, so a secret embedded in a larger encoded blob
 * encodes differently depending on its byte offset mod 3. For each alignment we encode
 * the secret minus its first 0, 1 or 2 bytes, so the encoding starts on a group boundary
 * and every leading char is stable. At the tail, a partial group's last char mixes in
 * bits of whatever byte follows, so we drop it with the padding; the untrimmed padded
 * form is registered too for a secret at the very end of the blob (`user:password`).
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms: string[] = [];
  for (let offset = 0; offset < 3 && offset < bytes.length; offset++) {
    const slice = bytes.subarray(offset);
    const padded = slice.toString("base64");
    const remainder = slice.length % 3;
    const stable = remainder === 0 ? padded : padded.slice(0, padded.length - (3 - remainder) - 1);
    for (const form of [padded, stable]) if (form.length >= 4) forms.push(form);
  }
  return forms;
}
