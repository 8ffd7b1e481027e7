import { isIP } from "node:net";
import type { TokenScope, User } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import { hashSessionId, readSessionCookie } from "./sessions.ts";
import { hashToken, looksLikeToken } from "./tokens.ts";

export interface Principal {
  user: User;
  scope: TokenScope;
  via: "token" | "session" | "proxy";
}

export interface AuthRequest {
  headers: Headers;
  /** The peer's address as the socket reports it; null when unknown (never trusted). */
  remoteAddress: string | null;
}

export interface AuthDeps {
  store: Pick<Store, "useToken" | "getSession" | "getUser" | "createUser">;
  /**
   * Proxy-header mode: a reverse proxy in front authenticates and names the user in
   * `header`. Only requests whose peer is one of `trusted` (exact addresses) may use it,
   * since anyone else could send the header themselves.
   */
  proxy: { header: string; trusted: string[] } | null;
}

const ORDER: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** read < write < admin. */
export function scopeAllows(have: TokenScope, need: TokenScope): boolean {
  return ORDER[have] >= ORDER[need];
}

/**
 * Who is making the request, or null for nobody. In order:
 * 1. `Authorization: Bearer <token>`.
 * 2. `Authorization: Basic` with a token as the password and any user name (git's way).
 * 3. The session cookie: the session's own scope (a token login keeps the token's),
 *    capped by the user's: `admin` for admin users, else `write`.
 * 4. The proxy header, when proxy mode is on and the peer is trusted; an unknown user is
 *    created (not an admin) on first sight. Scope as for sessions.
 *
 * A Bearer credential decides: a bad or unknown one is null, with no falling back to a
 * cookie, so a client never acts as someone it did not ask to be. A Basic password that
 * is not one of our tokens may be a proxy's own basic auth passed through (nginx forwards
 * it by default), not ours to judge, so the cookie and the proxy header still apply. Malformed headers give null, never an exception; store
 * failures do propagate.
 */
export async function authenticate(req: AuthRequest, deps: AuthDeps): Promise<Principal | null> {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    const r = await fromAuthorization(authorization, deps.store);
    if (r !== "pass") return r;
  }

  const sessionId = readSessionCookie(req.headers.get("cookie"));
  if (sessionId !== null) {
    const session = await deps.store.getSession(hashSessionId(sessionId));
    if (session) {
      const { user } = session;
      return { user, scope: lowerScope(session.scope, userScope(user)), via: "session" };
    }
  }

  if (deps.proxy && isTrusted(req.remoteAddress, deps.proxy.trusted)) {
    const name = proxyUserName(req.headers.get(deps.proxy.header));
    if (name === null) return null;
    const user =
      (await deps.store.getUser(name)) ??
      (await deps.store.createUser(name, { isAdmin: false })) ??
      // Another request created it between the two calls.
      (await deps.store.getUser(name));
    if (user) return { user, scope: userScope(user), via: "proxy" };
  }
  return null;
}

async function fromAuthorization(
  header: string,
  store: AuthDeps["store"],
): Promise<Principal | null | "pass"> {
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const credentials = m[2]!;
  let token: string;
  if (scheme === "bearer") {
    token = credentials;
  } else if (scheme === "basic") {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return null;
    const decoded = Buffer.from(credentials, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    token = decoded.slice(colon + 1);
    if (!looksLikeToken(token)) return "pass";
    // An unknown Basic password may be a proxy's own credentials passed through.
    const found = await store.useToken(hashToken(token));
    return found ? { user: found.user, scope: found.token.scope, via: "token" } : "pass";
  } else {
    return null;
  }
  if (!looksLikeToken(token)) return null;
  const found = await store.useToken(hashToken(token));
  return found ? { user: found.user, scope: found.token.scope, via: "token" } : null;
}

/** What a user may do through a session or the proxy header. */
export function userScope(user: User): TokenScope {
  return user.isAdmin ? "admin" : "write";
}

function lowerScope(a: TokenScope, b: TokenScope): TokenScope {
  return scopeAllows(a, b) ? b : a;
}

function proxyUserName(value: string | null): string | null {
  const name = value?.trim() ?? "";
  // A comma means the header arrived twice (Headers joins them): the proxy did not
  // replace a client's own copy, so neither can be believed.
  if (name === "" || name.length > 255 || name.includes(",") || /[\x00-\x1f\x7f]/.test(name)) {
    return null;
  }
  return name;
}

function isTrusted(remote: string | null, trusted: string[]): boolean {
  if (remote === null) return false;
  const peer = canonicalIp(remote);
  if (peer === null) return false;
  return trusted.some((t) => canonicalIp(t.trim()) === peer);
}

/**
 * One spelling per address: IPv6 compressed and lower-case (via the URL parser), and
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`, as a dual-stack socket reports IPv4 peers) as
 * plain IPv4. Null for anything that is not an address.
 */
export function canonicalIp(ip: string): string | null {
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind !== 6) return null;
  let v6: string;
  try {
    v6 = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    // Zone ids (`fe80::1%eth0`) are not URL hosts; compare them as written.
    return ip.toLowerCase();
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const hi = Number.parseInt(mapped[1]!, 16);
  const lo = Number.parseInt(mapped[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** For configuration checks: an error naming the entries of `trusted` that are not exact IP addresses. */
export function validateTrustedProxies(trusted: string[]): string | null {
  const bad = trusted.filter((t) => canonicalIp(t.trim()) === null);
  if (bad.length === 0) return null;
  return `trusted proxy addresses must be exact IPs (no ranges or host names): ${bad.map((b) => `'${b}'`).join(", ")}`;
}
