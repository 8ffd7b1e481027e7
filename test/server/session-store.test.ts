import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dialect, migrations } from "../../src/store/migrations/index.ts";
import { openPostgresStore, openSqliteStore } from "../../src/store/open.ts";
import type { SqlStore } from "../../src/store/sql-store.ts";
import { describePostgres, dropSchema, PG_URL } from "../store.ts";

// Session scopes in the store, on a real SQLite file and a throwaway PostgreSQL schema,
// including a store made before sessions had a scope.

interface Target {
  /** A Kysely on the raw database, migrated only as far as `upTo`. */
  raw(upTo: string): Promise<Kysely<unknown>>;
  open(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

async function migrateRaw(db: Kysely<unknown>, dialect: Dialect, upTo: string, schema?: string) {
  const all = migrations(dialect);
  const some = Object.fromEntries(Object.entries(all).filter(([name]) => name <= upTo));
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => some },
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) throw error;
}

async function sqliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), "eqx-sessions-"));
  const path = join(dir, "equinox.db");
  return {
    async raw(upTo) {
      const db = new Kysely<unknown>({
        dialect: new SqliteDialect({ database: new BetterSqlite3(path) }),
      });
      await migrateRaw(db, "sqlite", upTo);
      return db;
    },
    open: () => openSqliteStore(path),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresTarget(): Promise<Target> {
  const schema = `eqx_test_${randomBytes(6).toString("hex")}`;
  const logDir = await mkdtemp(join(tmpdir(), "eqx-sessions-logs-"));
  return {
    async raw(upTo) {
      const pool = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
      await migrateRaw(db, "postgres", upTo, schema);
      return db;
    },
    open: () => openPostgresStore(PG_URL, { schema, logDir }),
    cleanup: async () => {
      await rm(logDir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}

function suite(dialect: Dialect, makeTarget: () => Promise<Target>) {
  describe(`sessions on ${dialect}`, () => {
    let target: Target;
    let store: SqlStore;

    beforeAll(async () => {
      target = await makeTarget();
      // A store from before session scopes, with a live session in it.
      const old = await target.raw("0001-initial");
      await sql`INSERT INTO users (name, is_admin, created_at) VALUES ('root', 1, 0)`.execute(old);
      await sql`INSERT INTO sessions (hash, user_id, expires_at)
        SELECT 'old-session', id, ${Number.MAX_SAFE_INTEGER} FROM users WHERE name = 'root'`.execute(
        old,
      );
      await old.destroy();
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target?.cleanup();
    });

    it("keeps a session from before the upgrade working as it did", async () => {
      expect(await store.getSession("old-session")).toEqual({
        user: expect.objectContaining({ name: "root", isAdmin: true }),
        scope: "admin",
        tokenId: null,
      });
    });

    it("stores the scope and token of a session, and ends it with the token", async () => {
      const user = (await store.createUser(`u-${dialect}`))!;
      const token = await store.createToken({
        name: "t",
        scope: "read",
        userId: user.id,
        hash: `token-${dialect}`,
      });
      await store.createSession("by-token", user.id, Number.MAX_SAFE_INTEGER, {
        scope: "read",
        tokenId: token.id,
      });
      await store.createSession("by-password", user.id, Number.MAX_SAFE_INTEGER, {
        scope: "write",
      });
      expect(await store.getSession("by-token")).toMatchObject({
        scope: "read",
        tokenId: token.id,
      });
      expect(await store.findSession("by-token")).toMatchObject({ id: user.id });
      expect(await store.deleteToken(token.id)).toBe(true);
      expect(await store.getSession("by-token")).toBeNull();
      expect(await store.getSession("by-password")).toMatchObject({
        scope: "write",
        tokenId: null,
      });
    });

    it("refuses a scope that is not one", async () => {
      const user = (await store.createUser(`v-${dialect}`))!;
      await expect(
        store.createSession("bad", user.id, 1, { scope: "root" as never }),
      ).rejects.toThrow(/check constraint/i);
    });

    it("forgets expired sessions when a new one is opened", async () => {
      const user = (await store.createUser(`w-${dialect}`))!;
      await store.createSession("expired", user.id, Date.now() - 1);
      // Asked about a moment before it expired, the row is still there...
      expect(await store.getSession("expired", 0)).not.toBeNull();
      await store.createSession("fresh", user.id, Date.now() + 60_000);
      // ...until a new session is opened.
      expect(await store.getSession("expired", 0)).toBeNull();
      expect(await store.getSession("fresh")).not.toBeNull();
    });
  });
}

suite("sqlite", sqliteTarget);
await describePostgres("sessions on postgres", () => suite("postgres", postgresTarget));
