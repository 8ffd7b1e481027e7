import { createHash, randomBytes } from "node:crypto";

/** API tokens: `eqx_` and 32 random bytes, base64url (43 characters). */
const PREFIX = "eqx_";
/** Generated tokens are `eqx_…`; an admin token fixed at first start may be any printable string of 16+. */
const TOKEN = /^[\x21-\x7e]{16,256}$/;

export function generateToken(): string {
  return PREFIX + randomBytes(32).toString("base64url");
}

/**
 * What the store keeps instead of the token. A plain SHA-256 is right here, unlike for
 * passwords: a token carries 256 random bits, so there is nothing for a slow hash to
 * protect against (no dictionary, no brute force of a leaked hash), and a fast hash
 * lets every API request and git push look its token up by hash.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** True for a string that may be a token (printable, 16–256 characters); not a check that it exists. */
export function looksLikeToken(s: string): boolean {
  return TOKEN.test(s);
}
