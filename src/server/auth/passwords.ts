import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashes: scrypt, stored as `scrypt$N$r$p$saltB64$hashB64` so the cost can rise
 * later while old hashes still verify with the parameters they were made with.
 */
const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on stored parameters, so a crafted hash cannot make a verification take minutes or gigabytes. */
const MAX_N = 1 << 20;
const MAX_MEMORY = 256 * 1024 * 1024;
const MIN_PASSWORD = 8;

export function validatePassword(pw: string): string | null {
  if (pw.length === 0) return "the password is empty";
  if ([...pw].length < MIN_PASSWORD) {
    return `the password is too short: at least ${MIN_PASSWORD} characters`;
  }
  return null;
}

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(pw, salt, KEY_BYTES, N, R, P);
  return ["scrypt", N, R, P, salt.toString("base64"), key.toString("base64")].join("$");
}

/** False for a wrong password and for a stored string that is not a hash this module made; never throws. */
export async function verifyPassword(pw: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  try {
    const key = await derive(pw, parsed.salt, parsed.hash.length, parsed.n, parsed.r, parsed.p);
    return timingSafeEqual(key, parsed.hash);
  } catch {
    return false;
  }
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parse(stored: string): Parsed | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [n, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x!) ? Number(x) : Number.NaN));
  if (n === undefined || r === undefined || p === undefined) return null;
  if (!(n >= 2 && n <= MAX_N && (n & (n - 1)) === 0)) return null;
  if (!(r >= 1 && r <= 32 && p >= 1 && p <= 16) || 128 * n * r > MAX_MEMORY) return null;
  const [saltText, hashText] = [parts[4]!, parts[5]!];
  if (!B64.test(saltText) || !B64.test(hashText)) return null;
  const salt = Buffer.from(saltText, "base64");
  const hash = Buffer.from(hashText, "base64");
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { n, r, p, salt, hash };
}

function derive(pw: string, salt: Buffer, len: number, n: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes; node's 32 MiB default is too small for N=2^17 and up.
    const maxmem = 256 * n * r + 1024 * 1024;
    // NFC: the same password typed on systems that compose accents differently still matches.
    scrypt(pw.normalize("NFC"), salt, len, { N: n, r, p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
