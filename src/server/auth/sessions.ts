import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Browser sessions. The cookie holds a random id; the store keeps only its SHA-256
 * (`hashSessionId`), so a leaked database does not hand out live sessions. As with
 * tokens, the id has 256 random bits, so a fast hash is enough.
 */
export const SESSION_COOKIE = "equinox_session";

const ID = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSessionId(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("hex");
}

/**
 * The Set-Cookie value for a session. HttpOnly keeps it from page scripts; SameSite=Lax
 * keeps it off cross-site POSTs (CSRF tokens cover the rest) while a link from elsewhere
 * still arrives logged in. No `maxAgeSeconds`: a cookie that ends with the browser.
 */
export function sessionCookie(
  id: string,
  options: { secure: boolean; maxAgeSeconds?: number },
): string {
  const parts = [`${SESSION_COOKIE}=${id}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (options.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  }
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** Expires the session cookie; `secure` should match how it was set. */
export function clearSessionCookie(options: { secure?: boolean } = {}): string {
  const parts = [`${SESSION_COOKIE}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0"];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/**
 * The session id from a Cookie header, or null. A value that is not shaped like an id
 * from `newSessionId` is ignored, so garbage never reaches the store.
 */
export function readSessionCookie(cookieHeader: string | null | undefined): string | null {
  if (!cookieHeader) return null;
  for (const pair of cookieHeader.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    if (ID.test(value)) return value;
  }
  return null;
}

/**
 * The CSRF token for forms of this session: an HMAC of the session id under the
 * server's secret, so it needs no storage and is useless with any other session.
 */
export function csrfToken(sessionId: string, secret: string | Buffer): string {
  return createHmac("sha256", secret).update(sessionId, "utf8").digest("base64url");
}

export function checkCsrf(
  sessionId: string,
  secret: string | Buffer,
  given: string | null | undefined,
): boolean {
  if (typeof given !== "string") return false;
  const want = Buffer.from(csrfToken(sessionId, secret), "utf8");
  const got = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; the expected length is public anyway.
  return got.length === want.length && timingSafeEqual(got, want);
}
