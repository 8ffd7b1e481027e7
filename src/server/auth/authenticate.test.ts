import { describe, expect, it } from "vitest";
import type { Token, TokenScope, User } from "../../store/records.ts";
import {
  type AuthDeps,
  authenticate,
  canonicalIp,
  scopeAllows,
  validateTrustedProxies,
} from "./authenticate.ts";
import { hashSessionId, newSessionId } from "./sessions.ts";
import { generateToken, hashToken } from "./tokens.ts";

type AuthStore = AuthDeps["store"];

/** Just the four Store methods authenticate uses, over plain maps. */
class MemoryStore implements AuthStore {
  users = new Map<string, User>();
  tokens = new Map<string, Token>();
  sessions = new Map<string, { userId: number; expiresAt: number; scope: TokenScope }>();
  used: string[] = [];
  private nextId = 1;

  addUser(name: string, isAdmin = false): User {
    const user = { id: this.nextId++, name, isAdmin, createdAt: 0 };
    this.users.set(name, user);
    return user;
  }
  addToken(user: User, scope: TokenScope): string {
    const token = generateToken();
    const id = this.nextId++;
    this.tokens.set(hashToken(token), {
      id,
      name: `t${id}`,
      scope,
      userId: user.id,
      createdAt: 0,
      lastUsedAt: null,
    });
    return token;
  }
  addSession(user: User, expiresAt = Number.MAX_SAFE_INTEGER, scope: TokenScope = "admin"): string {
    const id = newSessionId();
    this.sessions.set(hashSessionId(id), { userId: user.id, expiresAt, scope });
    return id;
  }
  private byId(id: number): User | null {
    return [...this.users.values()].find((u) => u.id === id) ?? null;
  }

  async useToken(hash: string, at = Date.now()) {
    const token = this.tokens.get(hash);
    const user = token && this.byId(token.userId);
    if (!token || !user) return null;
    this.used.push(hash);
    token.lastUsedAt = at;
    return { token, user };
  }
  async getSession(hash: string, at = Date.now()) {
    const s = this.sessions.get(hash);
    const user = s && s.expiresAt > at ? this.byId(s.userId) : null;
    return s && user ? { user, scope: s.scope, tokenId: null } : null;
  }
  async getUser(name: string) {
    return this.users.get(name) ?? null;
  }
  async createUser(name: string, options: { isAdmin?: boolean } = {}) {
    if (this.users.has(name)) return null;
    return this.addUser(name, options.isAdmin ?? false);
  }
}

const PROXY = { header: "X-Remote-User", trusted: ["127.0.0.1", "::1"] };

function setup(proxy: AuthDeps["proxy"] = null) {
  const store = new MemoryStore();
  const alice = store.addUser("alice");
  const root = store.addUser("root", true);
  const auth = (headers: Record<string, string>, remoteAddress: string | null = "10.0.0.9") =>
    authenticate({ headers: new Headers(headers), remoteAddress }, { store, proxy });
  return { store, alice, root, auth };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("authenticate", () => {
  it("accepts a bearer token with the token's scope and marks it used", async () => {
    const { store, alice, auth } = setup();
    const token = store.addToken(alice, "read");
    expect(await auth({ authorization: `Bearer ${token}` })).toEqual({
      user: alice,
      scope: "read",
      via: "token",
    });
    expect(store.used).toEqual([hashToken(token)]);
    expect(await auth({ authorization: `bearer   ${token} ` })).toMatchObject({ scope: "read" });
  });

  it("accepts the token as a Basic password with any user name (git)", async () => {
    const { store, root, auth } = setup();
    const token = store.addToken(root, "write");
    expect(await auth({ authorization: basic("x", token) })).toEqual({
      user: root,
      scope: "write",
      via: "token",
    });
    expect(await auth({ authorization: basic("", token) })).toMatchObject({ via: "token" });
  });

  it("uses the session cookie: admin for admins, write for others", async () => {
    const { store, alice, root, auth } = setup();
    const a = store.addSession(alice);
    const r = store.addSession(root);
    expect(await auth({ cookie: `equinox_session=${a}` })).toEqual({
      user: alice,
      scope: "write",
      via: "session",
    });
    expect(await auth({ cookie: `x=1; equinox_session=${r}` })).toEqual({
      user: root,
      scope: "admin",
      via: "session",
    });
    const expired = store.addSession(alice, 1);
    expect(await auth({ cookie: `equinox_session=${expired}` })).toBeNull();
  });

  it("caps a session by the scope it was opened with (a token login), and by the user's", async () => {
    const { store, alice, root, auth } = setup();
    const readRoot = store.addSession(root, undefined, "read");
    expect(await auth({ cookie: `equinox_session=${readRoot}` })).toEqual({
      user: root,
      scope: "read",
      via: "session",
    });
    const writeRoot = store.addSession(root, undefined, "write");
    expect(await auth({ cookie: `equinox_session=${writeRoot}` })).toMatchObject({
      scope: "write",
    });
    // An admin-scoped session of a user who is not an admin gives only the user's scope.
    const adminAlice = store.addSession(alice, undefined, "admin");
    expect(await auth({ cookie: `equinox_session=${adminAlice}` })).toMatchObject({
      scope: "write",
    });
  });

  it("prefers the Authorization header to the cookie", async () => {
    const { store, alice, root, auth } = setup();
    const token = store.addToken(alice, "read");
    const session = store.addSession(root);
    const headers = { authorization: `Bearer ${token}`, cookie: `equinox_session=${session}` };
    expect(await auth(headers)).toMatchObject({ user: alice, via: "token" });
  });

  it("does not fall back to the cookie when a Bearer token is unknown", async () => {
    const { store, root, auth } = setup();
    const session = store.addSession(root);
    const cookie = `equinox_session=${session}`;
    expect(await auth({ authorization: `Bearer ${generateToken()}`, cookie })).toBeNull();
    // An unknown Basic password is not ours to judge (a proxy's own basic auth): no token, no one.
    expect(await auth({ authorization: basic("git", generateToken()) })).toBeNull();
  });

  it("passes a Basic password that is not a token on (a proxy's own basic auth)", async () => {
    const { store, root, auth } = setup(PROXY);
    const session = store.addSession(root);
    expect(
      await auth({
        authorization: basic("root", "hunter22"),
        cookie: `equinox_session=${session}`,
      }),
    ).toMatchObject({ via: "session" });
    expect(
      await auth({ authorization: basic("bob", "hunter22"), "x-remote-user": "bob" }, "127.0.0.1"),
    ).toMatchObject({ user: { name: "bob" }, via: "proxy" });
    expect(await auth({ authorization: basic("root", "hunter22") })).toBeNull();
  });

  it.each([
    ["Bearer"],
    ["Bearer "],
    ["Bearer not-a-token"],
    ["Bearer a b"],
    ["Basic"],
    ["Basic %%%"],
    [`Basic ${Buffer.from("no-colon").toString("base64")}`],
    ["Digest username=x"],
    ["Token abc"],
    [""],
    ["\u00ff\u00fe"],
  ])("returns null for the malformed Authorization %j", async (header) => {
    const { store, root, auth } = setup();
    const session = store.addSession(root);
    await expect(
      auth({ authorization: header, cookie: `equinox_session=${session}` }),
    ).resolves.toBeNull();
  });

  it("ignores a malformed cookie", async () => {
    const { auth } = setup();
    expect(await auth({ cookie: "equinox_session=%%%; ;;=;" })).toBeNull();
    expect(await auth({ cookie: `equinox_session=${newSessionId()}` })).toBeNull();
  });

  describe("proxy header", () => {
    it("creates an unknown user on first sight, not an admin, and reuses it", async () => {
      const { store, auth } = setup(PROXY);
      const first = await auth({ "x-remote-user": "carol" }, "127.0.0.1");
      expect(first).toMatchObject({ user: { name: "carol", isAdmin: false }, scope: "write" });
      expect(first?.via).toBe("proxy");
      const again = await auth({ "X-Remote-User": " carol " }, "127.0.0.1");
      expect(again?.user.id).toBe(first?.user.id);
      expect([...store.users.keys()]).toEqual(["alice", "root", "carol"]);
    });

    it("gives existing admins admin scope", async () => {
      const { auth } = setup(PROXY);
      expect(await auth({ "x-remote-user": "root" }, "::1")).toMatchObject({
        user: { name: "root" },
        scope: "admin",
        via: "proxy",
      });
    });

    it("trusts IPv4-mapped IPv6 peers as their IPv4 address", async () => {
      const { auth } = setup(PROXY);
      expect(await auth({ "x-remote-user": "alice" }, "::ffff:127.0.0.1")).toMatchObject({
        via: "proxy",
      });
      const mapped = setup({ header: "X-Remote-User", trusted: ["::ffff:10.1.2.3"] });
      expect(await mapped.auth({ "x-remote-user": "alice" }, "10.1.2.3")).toMatchObject({
        via: "proxy",
      });
    });

    it("ignores the header from untrusted peers and when proxy mode is off", async () => {
      const on = setup(PROXY);
      expect(await on.auth({ "x-remote-user": "root" }, "10.0.0.9")).toBeNull();
      expect(await on.auth({ "x-remote-user": "root" }, "127.0.0.2")).toBeNull();
      expect(await on.auth({ "x-remote-user": "root" }, null)).toBeNull();
      expect(await on.auth({ "x-remote-user": "root" }, "localhost")).toBeNull();
      const off = setup(null);
      expect(await off.auth({ "x-remote-user": "root" }, "127.0.0.1")).toBeNull();
      expect(off.store.users.has("mallory")).toBe(false);
    });

    it.each([[""], ["   "], ["a, b"], ["x".repeat(256)], ["a\tb"]])(
      "returns null for the header value %j",
      async (value) => {
        const { store, auth } = setup(PROXY);
        expect(await auth({ "x-remote-user": value }, "127.0.0.1")).toBeNull();
        expect(store.users.size).toBe(2);
      },
    );

    it("returns null without the header", async () => {
      const { auth } = setup(PROXY);
      expect(await auth({}, "127.0.0.1")).toBeNull();
    });

    it("survives losing a creation race", async () => {
      const { store, auth } = setup(PROXY);
      const create = store.createUser.bind(store);
      store.createUser = async (name, options) => {
        await create(name, options);
        return null;
      };
      expect(await auth({ "x-remote-user": "dave" }, "127.0.0.1")).toMatchObject({
        user: { name: "dave" },
      });
    });
  });
});

describe("scopeAllows", () => {
  it.each([
    ["read", "read", true],
    ["read", "write", false],
    ["read", "admin", false],
    ["write", "read", true],
    ["write", "write", true],
    ["write", "admin", false],
    ["admin", "read", true],
    ["admin", "write", true],
    ["admin", "admin", true],
  ] as const)("%s allows %s: %s", (have, need, want) => {
    expect(scopeAllows(have, need)).toBe(want);
  });
});

describe("canonicalIp", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:7f00:1", "127.0.0.1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["localhost", null],
    ["10.0.0.0/8", null],
    ["", null],
  ])("%j → %j", (ip, want) => {
    expect(canonicalIp(ip)).toBe(want);
  });

  it("names trusted entries that are not exact addresses", () => {
    expect(validateTrustedProxies(["127.0.0.1", "::1"])).toBeNull();
    expect(validateTrustedProxies(["127.0.0.1", "10.0.0.0/8", "proxy.local"])).toBe(
      "trusted proxy addresses must be exact IPs (no ranges or host names): '10.0.0.0/8', 'proxy.local'",
    );
  });
});
