import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSecretsFile, readSecretValue } from "./secrets-file.ts";

const FILE = "/etc/equinox/secrets.yml";

describe("parseSecretsFile", () => {
  it("reads literals and file references, resolving relative paths against the file's directory", () => {
    const r = parseSecretsFile(
      FILE,
      [
        "API_TOKEN: abc123",
        "_private: 'quoted: with colon'",
        "DEPLOY_KEY: { file: keys/deploy }",
        "CERT:",
        "  file: /abs/cert.pem",
        "UP: { file: ../up.txt }",
      ].join("\n"),
    );
    expect(r.errors).toEqual([]);
    expect([...r.value]).toEqual([
      ["API_TOKEN", { kind: "literal", value: "abc123" }],
      ["_private", { kind: "literal", value: "quoted: with colon" }],
      ["DEPLOY_KEY", { kind: "file", path: "/etc/equinox/keys/deploy" }],
      ["CERT", { kind: "file", path: "/abs/cert.pem" }],
      ["UP", { kind: "file", path: "/etc/up.txt" }],
    ]);
  });

  it("reads JSON", () => {
    const r = parseSecretsFile("/srv/secrets.json", '{\n\t"A": "x",\n\t"B": {"file": "b.txt"}\n}');
    expect(r.errors).toEqual([]);
    expect([...r.value]).toEqual([
      ["A", { kind: "literal", value: "x" }],
      ["B", { kind: "file", path: "/srv/b.txt" }],
    ]);
  });

  it("treats an empty file as no secrets", () => {
    expect(parseSecretsFile(FILE, "")).toEqual({ value: new Map(), errors: [] });
    expect(parseSecretsFile(FILE, "# nothing yet\n")).toEqual({ value: new Map(), errors: [] });
  });

  it("reports each bad entry with file, line, key and problem, and keeps the good ones", () => {
    const r = parseSecretsFile(
      FILE,
      [
        "GOOD: yes-string", // 1
        "1BAD: x", // 2
        "has-dash: x", // 3
        "PORT: 8080", // 4
        "FLAG: true", // 5
        "EMPTY:", // 6
        "LIST: [a, b]", // 7
        "EXTRA: { file: a, mode: 600 }", // 8
        "NOFILE: { path: a }", // 9
        "NUMFILE: { file: 3 }", // 10
        "GITHUB_TOKEN: x", // 11
        "OK2: { file: ok }", // 12
      ].join("\n"),
    );
    expect(r.errors).toEqual([
      `${FILE} (Line: 2, Col: 1): secret '1BAD': the name must match [A-Za-z_][A-Za-z0-9_]*`,
      `${FILE} (Line: 3, Col: 1): secret 'has-dash': the name must match [A-Za-z_][A-Za-z0-9_]*`,
      `${FILE} (Line: 4, Col: 7): secret 'PORT': the value must be a string or { file: path }, found the number 8080 (quote it to make it a string)`,
      `${FILE} (Line: 5, Col: 7): secret 'FLAG': the value must be a string or { file: path }, found the boolean true (quote it to make it a string)`,
      `${FILE} (Line: 6, Col: 7): secret 'EMPTY': the value must be a string or { file: path }, found null`,
      `${FILE} (Line: 7, Col: 7): secret 'LIST': the value must be a string or { file: path }, found a list`,
      `${FILE} (Line: 8, Col: 19): secret 'EXTRA': unexpected key 'mode': the only key is 'file'`,
      `${FILE} (Line: 9, Col: 11): secret 'NOFILE': unexpected key 'path': the only key is 'file'`,
      `${FILE} (Line: 10, Col: 18): secret 'NUMFILE': 'file' must be a non-empty path, found the number 3`,
      `${FILE} (Line: 11, Col: 1): secret 'GITHUB_TOKEN': names starting with GITHUB_ are reserved`,
    ]);
    expect([...r.value.keys()]).toEqual(["GOOD", "OK2"]);
  });

  it("reports a mapping without any key", () => {
    const r = parseSecretsFile(FILE, "X: {}");
    expect(r.errors).toEqual([
      `${FILE} (Line: 1, Col: 4): secret 'X': a mapping value needs a 'file' key`,
    ]);
  });

  it("reports non-string keys and a root that is not a mapping", () => {
    expect(parseSecretsFile(FILE, "123: x").errors).toEqual([
      `${FILE} (Line: 1, Col: 1): secret names must be strings, found the number 123`,
    ]);
    expect(parseSecretsFile(FILE, "- a\n- b").errors).toEqual([
      `${FILE} (Line: 1, Col: 1): the secrets file must be a mapping of secret names to values`,
    ]);
  });

  it("reports YAML syntax errors and duplicate names with their line", () => {
    const dup = parseSecretsFile(FILE, "A: x\nB: y\nA: z");
    expect(dup.errors).toEqual([
      `${FILE} (Line: 3, Col: 1): secret 'A': defined again (first on line 1)`,
    ]);
    // Neither copy is used: which one was meant is unknown.
    expect([...dup.value.keys()]).toEqual(["B"]);
    const bad = parseSecretsFile(FILE, "A: [x\nB: y");
    expect(bad.errors).toHaveLength(1);
    expect(bad.errors[0]).toMatch(new RegExp(`^${FILE} \\(Line: \\d+, Col: \\d+\\): \\S[^\\n]*$`));
    expect(bad.value.size).toBe(0);
  });
});

describe("readSecretValue", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqx-secrets-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns literals as they are", async () => {
    expect(await readSecretValue({ kind: "literal", value: "a\n" })).toEqual({
      ok: true,
      value: "a\n",
    });
  });

  it.each([
    ["token\n", "token"],
    ["token\r\n", "token"],
    ["token\n\n", "token\n"],
    ["token", "token"],
    ["line1\nline2\n", "line1\nline2"],
    ["", ""],
    ["\n", ""],
  ])("reads %j as %j", async (content, want) => {
    const path = join(dir, "s");
    await writeFile(path, content);
    expect(await readSecretValue({ kind: "file", path })).toEqual({ ok: true, value: want });
  });

  it("reads the file at call time, after the secrets file was parsed", async () => {
    const secrets = join(dir, "secrets.yml");
    const { value } = parseSecretsFile(secrets, "K: { file: k.txt }");
    const entry = value.get("K")!;
    await writeFile(join(dir, "k.txt"), "one\n");
    expect(await readSecretValue(entry)).toEqual({ ok: true, value: "one" });
    await writeFile(join(dir, "k.txt"), "two\n");
    expect(await readSecretValue(entry)).toEqual({ ok: true, value: "two" });
  });

  it("returns an error naming the path for a missing file or a directory", async () => {
    const missing = join(dir, "nope");
    expect(await readSecretValue({ kind: "file", path: missing })).toEqual({
      ok: false,
      error: `cannot read secret file ${missing}: no such file`,
    });
    expect(await readSecretValue({ kind: "file", path: dir })).toEqual({
      ok: false,
      error: `cannot read secret file ${dir}: it is a directory`,
    });
  });
});
