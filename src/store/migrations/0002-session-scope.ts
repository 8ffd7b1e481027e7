import { type Kysely, sql } from "kysely";

/**
 * Sessions remember what they may do. `scope` caps the user's own scope: a session
 * opened with a read token stays read-only even for an admin. `token_id` ties such a
 * session to its token, so deleting the token ends the session.
 *
 * Rows from before this migration were opened by a password or a token and got the
 * user's scope; `admin` (capped by the user's scope when used) keeps them working as
 * they did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin'
      CHECK (scope IN ('read', 'write', 'admin'))`,
    // SQLite allows REFERENCES in ADD COLUMN only with a NULL default, which this has.
    "ALTER TABLE sessions ADD COLUMN token_id BIGINT REFERENCES tokens(id) ON DELETE CASCADE",
    "CREATE INDEX sessions_token ON sessions (token_id) WHERE token_id IS NOT NULL",
    "CREATE INDEX sessions_expires ON sessions (expires_at)",
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
