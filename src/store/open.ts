import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { LogFiles } from "./log-files.ts";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";
import { type SqlDialect, SqlStore } from "./sql-store.ts";

export interface StoreOptions {
  /** Where job logs are kept (see log-files.ts). Default for SQLite: `logs/` beside the file. */
  logDir?: string;
}

/** The embedded store: one SQLite file in WAL mode, migrated to the newest schema. */
export async function openSqliteStore(path: string, options: StoreOptions = {}): Promise<SqlStore> {
  await mkdir(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma("journal_mode = WAL");
  // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last ones.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return migrate(db, "sqlite", new LogFiles(options.logDir ?? join(dirname(path), "logs")));
}

/** pg's type id for BIGINT (int8): ids, times and counts. */
const INT8 = 20;

/**
 * The same store on PostgreSQL. `schema` (created when missing) keeps a store apart
 * from others in one database — tests use a throwaway one.
 */
export async function openPostgresStore(
  connectionString: string,
  options: { schema?: string; logDir: string },
): Promise<SqlStore> {
  const { schema } = options;
  // The name goes into search_path and DDL unquoted, so only plain lower-case names.
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`openPostgresStore: bad schema name '${schema}' (expected [a-z_][a-z0-9_]*)`);
  const pool = new pg.Pool({
    connectionString,
    // BIGINT comes back as a number for this pool only, not through pg's global parsers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query
  // takes a fresh client and reports a problem that persists.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  } catch (err) {
    await db.destroy();
    throw new Error(`openPostgresStore: ${(err as Error).message}`);
  }
  return migrate(db, "postgres", new LogFiles(options.logDir));
}

async function migrate(
  db: Kysely<Database>,
  dialect: SqlDialect,
  logs: LogFiles,
): Promise<SqlStore> {
  try {
    // Kysely looks for its migration table in every schema unless told which one, and
    // then misses ours when another schema of the database has one.
    const migrationTableSchema =
      dialect === "postgres"
        ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]
            ?.schema
        : undefined;
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations(dialect) },
      ...(migrationTableSchema ? { migrationTableSchema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === "Error");
      throw new Error(
        `the store could not be migrated${failed ? ` (${failed.migrationName})` : ""}: ${(error as Error).message}`,
      );
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new SqlStore(db, dialect, logs);
}
