import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, loadOrCreateKey, secretAad } from "./cipher.ts";

const posix = process.platform !== "win32";
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "eqx-cipher-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateKey", () => {
  it("creates a 32-byte key with mode 0600 and loads the same one again", async () => {
    const key = await loadOrCreateKey(dir);
    expect(key).toHaveLength(32);
    const text = await readFile(join(dir, "secret.key"), "utf8");
    expect(Buffer.from(text.trim(), "base64").equals(key)).toBe(true);
    if (posix) expect((await stat(join(dir, "secret.key"))).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateKey(dir)).equals(key)).toBe(true);
    expect(await readdir(dir)).toEqual(["secret.key"]);
  });

  it("creates the data directory when missing", async () => {
    const key = await loadOrCreateKey(join(dir, "a", "b"));
    expect(key).toHaveLength(32);
  });

  it("gives concurrent callers in one process the same key", async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => loadOrCreateKey(dir)));
    for (const k of keys) expect(k.equals(keys[0]!)).toBe(true);
    expect(await readdir(dir)).toEqual(["secret.key"]);
  });

  it("gives racing processes the same key", async () => {
    const bundle = join(dir, "cipher.mjs");
    await build({
      entryPoints: [join(import.meta.dirname, "cipher.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: bundle,
      logLevel: "silent",
    });
    const data = join(dir, "data");
    const script =
      `const { loadOrCreateKey } = await import(${JSON.stringify(bundle)});` +
      `process.stdout.write((await loadOrCreateKey(${JSON.stringify(data)})).toString("hex"));`;
    const run = promisify(execFile);
    const outputs = await Promise.all(
      Array.from({ length: 8 }, () => run(process.execPath, ["--input-type=module", "-e", script])),
    );
    const keys = new Set(outputs.map((o) => o.stdout));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(data)).toEqual(["secret.key"]);
  });

  it.skipIf(!posix)("refuses a key file that group or others can read", async () => {
    await loadOrCreateKey(dir);
    const path = join(dir, "secret.key");
    await chmod(path, 0o644);
    await expect(loadOrCreateKey(dir)).rejects.toThrow(
      `${path} is accessible to group or others (mode 644); it holds the key to every stored secret: run 'chmod 600 ${path}'`,
    );
    await chmod(path, 0o640);
    await expect(loadOrCreateKey(dir)).rejects.toThrow(/mode 640.*chmod 600/);
  });

  it("refuses a key file of the wrong length or not base64", async () => {
    const path = join(dir, "secret.key");
    await writeFile(path, Buffer.alloc(16).toString("base64"), { mode: 0o600 });
    await expect(loadOrCreateKey(dir)).rejects.toThrow(
      `${path} does not hold a key: expected 32 bytes in base64, found 16 bytes`,
    );
    await writeFile(path, "not a key!", { mode: 0o600 });
    await expect(loadOrCreateKey(dir)).rejects.toThrow(/10 characters that are not base64/);
    await writeFile(path, "", { mode: 0o600 });
    await expect(loadOrCreateKey(dir)).rejects.toThrow(/found an empty file/);
  });
});

describe("encryptSecret / decryptSecret", () => {
  const key = Buffer.alloc(32, 5);
  const aad = secretAad("acme/widget", "DEPLOY_KEY");

  it("round-trips, with a fresh IV each time", () => {
    const stored = encryptSecret(key, "s3cr3t ✓\nline two", aad);
    expect(stored).toMatch(/^v1\.[A-Za-z0-9+/]+={0,2}$/);
    const raw = Buffer.from(stored.slice(3), "base64");
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength("s3cr3t ✓\nline two"));
    expect(decryptSecret(key, stored, aad)).toEqual({ ok: true, value: "s3cr3t ✓\nline two" });
    expect(encryptSecret(key, "same", aad)).not.toBe(encryptSecret(key, "same", aad));
    expect(decryptSecret(key, encryptSecret(key, "", aad), aad)).toEqual({ ok: true, value: "" });
  });

  it("fails to decrypt a ciphertext copied to another secret's row", () => {
    const stored = encryptSecret(key, "repo secret", aad);
    for (const other of [
      secretAad("acme/other", "DEPLOY_KEY"),
      secretAad("acme/widget", "OTHER"),
      secretAad(null, "DEPLOY_KEY"),
    ]) {
      const r = decryptSecret(key, stored, other);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain("copied from another secret");
    }
  });

  it("keeps scopes apart that a naive join would merge", () => {
    expect(secretAad(null, "X")).not.toBe(secretAad("null", "X"));
    expect(secretAad("a/b", "c")).not.toBe(secretAad("a", "b/c"));
  });

  it("returns errors for a wrong key, tampering and unknown formats", () => {
    const stored = encryptSecret(key, "value", aad);
    expect(decryptSecret(Buffer.alloc(32, 6), stored, aad)).toMatchObject({
      ok: false,
      error: expect.stringContaining("the key is not the one it was stored with"),
    });
    const raw = Buffer.from(stored.slice(3), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(decryptSecret(key, `v1.${raw.toString("base64")}`, aad).ok).toBe(false);
    expect(decryptSecret(key, `v2.${stored.slice(3)}`, aad)).toEqual({
      ok: false,
      error: "unknown secret format 'v2' (this version reads v1)",
    });
    expect(decryptSecret(key, "plaintext", aad)).toEqual({
      ok: false,
      error: "the stored value is not an encrypted secret (no version prefix)",
    });
    expect(decryptSecret(key, "v1.AAAA", aad)).toEqual({
      ok: false,
      error: "the stored secret is truncated or not base64",
    });
    expect(decryptSecret(key, "v1.!!!", aad).ok).toBe(false);
    expect(decryptSecret(Buffer.alloc(16), stored, aad)).toEqual({
      ok: false,
      error: "the key has 16 bytes, not 32",
    });
  });

  it("throws when asked to encrypt with a key of the wrong size", () => {
    expect(() => encryptSecret(Buffer.alloc(31), "x", aad)).toThrow("the key has 31 bytes, not 32");
  });
});
