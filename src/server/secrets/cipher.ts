import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * Secrets at rest: AES-256-GCM under a key kept in `<dataDir>/secret.key` (32 random
 * bytes, base64, mode 0600). The store only ever sees ciphertext, so a copied database
 * without the key file reveals no secret values.
 */
export const KEY_FILE = "secret.key";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "v1.";

/**
 * The server's key, made on first start. Throws (a startup error, shown to whoever
 * runs the server) for a key file that others may read or that does not hold 32 bytes.
 *
 * Creation is atomic and race-free: the key is written completely to a private temp
 * file, then hard-linked to `secret.key`. `link` fails when the name exists, so of two
 * processes starting at once one wins and the other reads the winner's key; a reader
 * never sees a half-written file. (A rename would silently replace the first key.)
 */
export async function loadOrCreateKey(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, KEY_FILE);
  const existing = await readKey(path);
  if (existing) return existing;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = join(dataDir, `.${KEY_FILE}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(randomBytes(KEY_BYTES).toString("base64") + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const key = await readKey(path);
  if (!key) throw new Error(`${path}: the key file vanished while it was being created`);
  return key;
}

async function readKey(path: string): Promise<Buffer | null> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  // Windows has no such mode bits; its ACLs are the data directory's business.
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new Error(
      `${path} is accessible to group or others (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); ` +
        `it holds the key to every stored secret: run 'chmod 600 ${path}'`,
    );
  }
  const text = (await readFile(path, "utf8")).trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : null;
  if (!key || key.length !== KEY_BYTES) {
    throw new Error(
      `${path} does not hold a key: expected ${KEY_BYTES} bytes in base64, found ` +
        (key
          ? `${key.length} bytes`
          : text === ""
            ? "an empty file"
            : `${text.length} characters that are not base64`) +
        `; restore the right file (secrets stored under another key cannot be read)`,
    );
  }
  return key;
}

/**
 * The additional authenticated data for a stored secret: its scope and name. A
 * ciphertext copied into another secret's row then fails to decrypt instead of
 * handing one repository's secret to another.
 */
export function secretAad(repo: string | null, name: string): string {
  return JSON.stringify([repo, name]);
}

/** `v1.` + base64(iv 12 | tag 16 | ciphertext). `aad`: see `secretAad`. */
export function encryptSecret(key: Buffer, plaintext: string, aad: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export type Decrypted = { ok: true; value: string } | { ok: false; error: string };

export function decryptSecret(key: Buffer, stored: string, aad: string): Decrypted {
  if (key.length !== KEY_BYTES) {
    return { ok: false, error: `the key has ${key.length} bytes, not ${KEY_BYTES}` };
  }
  if (!stored.startsWith(VERSION)) {
    const dot = stored.indexOf(".");
    const version = dot > 0 && dot <= 8 ? stored.slice(0, dot) : null;
    return {
      ok: false,
      error: version
        ? `unknown secret format '${version}' (this version reads v1)`
        : "the stored value is not an encrypted secret (no version prefix)",
    };
  }
  const b64 = stored.slice(VERSION.length);
  const raw = /^[A-Za-z0-9+/]*={0,2}$/.test(b64) ? Buffer.from(b64, "base64") : null;
  if (!raw || raw.length < IV_BYTES + TAG_BYTES) {
    return { ok: false, error: "the stored secret is truncated or not base64" };
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const body = raw.subarray(IV_BYTES + TAG_BYTES);
    const value = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    return { ok: true, value };
  } catch {
    return {
      ok: false,
      error:
        "the secret does not decrypt: the key is not the one it was stored with " +
        "(secret.key replaced?), or the value was altered or copied from another secret",
    };
  }
}

function checkKey(key: Buffer): void {
  // Encrypting with a bad key is a programming error, not a user's: throw.
  if (key.length !== KEY_BYTES)
    throw new Error(`the key has ${key.length} bytes, not ${KEY_BYTES}`);
}
