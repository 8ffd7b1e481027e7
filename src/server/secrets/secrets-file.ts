import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";

/**
 * Quire's secrets file: a YAML (or JSON, which YAML reads too) mapping from secret name
 * to a literal string or `{ file: path }`. File paths are resolved against the secrets
 * file's directory when the file is parsed and read only when the value is wanted, so
 * a rotated credential file is picked up without re-parsing, and a missing file is one
 * secret's error rather than the whole file's.
 */
export type SecretsFileEntry = { kind: "literal"; value: string } | { kind: "file"; path: string };

export interface SecretsFile {
  value: Map<string, SecretsFileEntry>;
  /** Each `file (Line: n, Col: m): message`, naming the key where there is one. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseSecretsFile(path: string, text: string): SecretsFile {
  const value = new Map<string, SecretsFileEntry>();
  const errors: string[] = [];
  const lines = new LineCounter();
  // Duplicates are found below, where the error can name the secret.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const at = (node: Node | null | undefined, message: string) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return `${path}: ${message}`;
    const { line, col } = lines.linePos(offset);
    return `${path} (Line: ${line}, Col: ${col}): ${message}`;
  };

  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    errors.push(`${path} (Line: ${line}, Col: ${col}): ${e.message.split("\n")[0]}`);
  }
  if (errors.length > 0) return { value, errors };

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { value, errors };
  if (!isMap(root)) {
    errors.push(at(root, "the secrets file must be a mapping of secret names to values"));
    return { value, errors };
  }

  const base = dirname(resolve(path));
  const seen = new Map<string, number>();
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof name !== "string") {
      errors.push(at(keyNode, `secret names must be strings, found ${describe(keyNode)}`));
      continue;
    }
    const fail = (node: Node | null | undefined, problem: string) =>
      errors.push(at(node ?? keyNode, `secret '${name}': ${problem}`));
    const line = lines.linePos(keyNode?.range?.[0] ?? 0).line;
    const first = seen.get(name);
    if (first !== undefined) {
      fail(keyNode, `defined again (first on line ${first})`);
      value.delete(name);
      continue;
    }
    seen.set(name, line);
    if (!NAME.test(name)) {
      fail(keyNode, "the name must match [A-Za-z_][A-Za-z0-9_]*");
      continue;
    }
    if (/^GITHUB_/i.test(name)) {
      fail(keyNode, "names starting with GITHUB_ are reserved");
      continue;
    }
    const v = pair.value as Node | null;
    if (isScalar(v) && typeof v.value === "string") {
      value.set(name, { kind: "literal", value: v.value });
      continue;
    }
    if (isMap(v)) {
      const source = fileSource(v, base, fail);
      if (source) value.set(name, source);
      continue;
    }
    fail(
      v,
      `the value must be a string or { file: path }, found ${describe(v)}` +
        (isScalar(v) && v.value !== null ? " (quote it to make it a string)" : ""),
    );
  }
  return { value, errors };
}

function fileSource(
  map: YAMLMap,
  base: string,
  fail: (node: Node | null | undefined, problem: string) => void,
): SecretsFileEntry | null {
  let file: string | null = null;
  let ok = true;
  for (const item of map.items) {
    const k = item.key as Node | null;
    const key = isScalar(k) ? k.value : undefined;
    if (key !== "file") {
      fail(k, `unexpected key '${String(key)}': the only key is 'file'`);
      ok = false;
      continue;
    }
    const v = item.value as Node | null;
    if (!isScalar(v) || typeof v.value !== "string" || v.value === "") {
      fail(v, `'file' must be a non-empty path, found ${describe(v)}`);
      ok = false;
      continue;
    }
    file = v.value;
  }
  if (!ok) return null;
  if (file === null) {
    fail(map, "a mapping value needs a 'file' key");
    return null;
  }
  return { kind: "file", path: resolve(base, file) };
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "string") return `'${v}'`;
    return `the ${typeof v} ${String(v)}`;
  }
  return "a list";
}

export type SecretValue = { ok: true; value: string } | { ok: false; error: string };

/**
 * The secret's value. A file is read now, not when the secrets file was parsed, and
 * loses exactly one trailing newline (`\n` or `\r\n`): the one editors and `echo` add,
 * which is never part of a token or a password.
 */
export async function readSecretValue(entry: SecretsFileEntry): Promise<SecretValue> {
  if (entry.kind === "literal") return { ok: true, value: entry.value };
  let text: string;
  try {
    text = await readFile(entry.path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT"
        ? "no such file"
        : err.code === "EACCES"
          ? "permission denied"
          : err.code === "EISDIR"
            ? "it is a directory"
            : err.message;
    return { ok: false, error: `cannot read secret file ${entry.path}: ${why}` };
  }
  const value = text.endsWith("\r\n")
    ? text.slice(0, -2)
    : text.endsWith("\n")
      ? text.slice(0, -1)
      : text;
  return { ok: true, value };
}
