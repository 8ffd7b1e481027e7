import { describe, expect, it } from "vitest";
import {
  checkCsrf,
  clearSessionCookie,
  csrfToken,
  hashSessionId,
  newSessionId,
  readSessionCookie,
  sessionCookie,
} from "./sessions.ts";

describe("sessions", () => {
  it("makes random ids and hashes them with sha256", () => {
    const id = newSessionId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSessionId()).not.toBe(id);
    expect(hashSessionId(id)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSessionId(id)).not.toBe(hashSessionId(newSessionId()));
  });

  it("builds Set-Cookie strings", () => {
    const id = "a".repeat(43);
    expect(sessionCookie(id, { secure: false, maxAgeSeconds: 3600 })).toBe(
      `equinox_session=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`,
    );
    expect(sessionCookie(id, { secure: true })).toBe(
      `equinox_session=${id}; Path=/; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(clearSessionCookie()).toBe(
      "equinox_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
    );
    expect(clearSessionCookie({ secure: true })).toMatch(/; Max-Age=0; Secure$/);
  });

  it("reads the session id back from a Cookie header", () => {
    const id = newSessionId();
    expect(readSessionCookie(`equinox_session=${id}`)).toBe(id);
    expect(readSessionCookie(`theme=dark; equinox_session=${id}; other=1`)).toBe(id);
    expect(readSessionCookie(`equinox_session="${id}"`)).toBe(id);
    // A stale garbage copy first (another path) does not hide the real one.
    expect(readSessionCookie(`equinox_session=junk; equinox_session=${id}`)).toBe(id);
  });

  it.each([
    [null],
    [undefined],
    [""],
    ["theme=dark"],
    ["equinox_session="],
    ["equinox_session=short"],
    [`equinox_session=${"a".repeat(42)}!`],
    [`xequinox_session=${"a".repeat(43)}`],
    ["equinox_session"],
  ])("finds no session in %j", (header) => {
    expect(readSessionCookie(header)).toBeNull();
  });

  it("binds CSRF tokens to the session and the secret", () => {
    const secret = Buffer.alloc(32, 1);
    const id = newSessionId();
    const token = csrfToken(id, secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfToken(id, secret)).toBe(token);
    expect(checkCsrf(id, secret, token)).toBe(true);
    expect(checkCsrf(newSessionId(), secret, token)).toBe(false);
    expect(checkCsrf(id, Buffer.alloc(32, 2), token)).toBe(false);
    expect(checkCsrf(id, secret, `${token}x`)).toBe(false);
    expect(checkCsrf(id, secret, "")).toBe(false);
    expect(checkCsrf(id, secret, null)).toBe(false);
    expect(checkCsrf(id, secret, undefined)).toBe(false);
  });
});
