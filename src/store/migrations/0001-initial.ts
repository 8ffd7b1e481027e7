import { type Kysely, sql } from "kysely";

/**
 * The first schema. The state machines of runs, jobs and steps are CHECK constraints,
 * so no writer — this code, a script, a future migration — can store an illegal state.
 * Written as SQL that SQLite and PostgreSQL both accept, except the id column.
 */
export async function up(db: Kysely<unknown>, dialect: "sqlite" | "postgres"): Promise<void> {
  const id = dialect === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  const ms = "BIGINT";
  const results = "('success', 'failure', 'cancelled', 'skipped')";
  const reasons = "('pipeline', 'internal', 'orphaned', 'timeout', 'superseded', 'user')";
  // The shared shape of a run's and a job's state. A CHECK passes when it is NULL, so a
  // comparison with a nullable column says IS NOT NULL first.
  const stateChecks = `
    CHECK (status IN ('queued', 'running', 'completed')),
    CHECK (result IS NULL OR result IN ${results}),
    CHECK (reason IS NULL OR reason IN ${reasons}),
    CHECK (status <> 'queued' OR (started_at IS NULL AND finished_at IS NULL AND result IS NULL)),
    CHECK (status <> 'running' OR (started_at IS NOT NULL AND finished_at IS NULL AND result IS NULL)),
    CHECK (status <> 'completed' OR (result IS NOT NULL AND finished_at IS NOT NULL)),
    CHECK (reason IS NULL OR (result IS NOT NULL AND result IN ('failure', 'cancelled')))`;
  const statements = [
    `CREATE TABLE repos (
      id ${id},
      name TEXT NOT NULL UNIQUE,
      created_at ${ms} NOT NULL)`,
    `CREATE TABLE runs (
      id ${id},
      repo_id BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      workflow TEXT NOT NULL,
      workflow_name TEXT NOT NULL,
      event TEXT NOT NULL,
      ref TEXT NOT NULL,
      sha TEXT NOT NULL,
      actor TEXT NOT NULL,
      status TEXT NOT NULL,
      result TEXT,
      reason TEXT,
      created_at ${ms} NOT NULL,
      started_at ${ms},
      finished_at ${ms},
      superseded_by BIGINT,
      rerun_of BIGINT,
      error TEXT,
      payload_json TEXT NOT NULL,
      inputs_json TEXT NOT NULL,
      plan_json TEXT NOT NULL,
      reuse_json TEXT NOT NULL,
      UNIQUE (repo_id, number),
      ${stateChecks},
      CHECK (superseded_by IS NULL OR (reason IS NOT NULL AND reason = 'superseded')))`,
    "CREATE INDEX runs_queue ON runs (status, id)",
    "CREATE INDEX runs_by_ref ON runs (repo_id, ref, workflow, status)",
    `CREATE TABLE jobs (
      id ${id},
      run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      job_id TEXT NOT NULL,
      name TEXT NOT NULL,
      matrix_json TEXT,
      runs_on_json TEXT NOT NULL,
      status TEXT NOT NULL,
      result TEXT,
      reason TEXT,
      started_at ${ms},
      finished_at ${ms},
      outputs_json TEXT NOT NULL,
      log_lines BIGINT NOT NULL DEFAULT 0,
      log_bytes BIGINT NOT NULL DEFAULT 0,
      UNIQUE (run_id, key),
      ${stateChecks})`,
    `CREATE TABLE steps (
      id ${id},
      job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      name TEXT NOT NULL,
      status TEXT NOT NULL,
      result TEXT,
      outcome TEXT,
      started_at ${ms} NOT NULL,
      finished_at ${ms},
      UNIQUE (job_id, idx),
      CHECK (status IN ('running', 'completed')),
      CHECK (result IS NULL OR result IN ${results}),
      CHECK (outcome IS NULL OR outcome IN ${results}),
      CHECK (status <> 'running' OR (result IS NULL AND outcome IS NULL AND finished_at IS NULL)),
      CHECK (status <> 'completed' OR (result IS NOT NULL AND outcome IS NOT NULL AND finished_at IS NOT NULL)))`,
    `CREATE TABLE log_chunks (
      id ${id},
      job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      first_line BIGINT NOT NULL,
      line_count INTEGER NOT NULL,
      byte_offset BIGINT NOT NULL,
      byte_length BIGINT NOT NULL,
      UNIQUE (job_id, first_line),
      CHECK (first_line >= 1 AND line_count >= 1 AND byte_offset >= 0 AND byte_length >= line_count))`,
    `CREATE TABLE push_events (
      id TEXT PRIMARY KEY,
      received_at ${ms} NOT NULL)`,
    `CREATE TABLE secrets (
      id ${id},
      repo_id BIGINT REFERENCES repos(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      ciphertext TEXT NOT NULL,
      updated_at ${ms} NOT NULL)`,
    // NULLs are distinct in UNIQUE: global secrets need their own partial index.
    "CREATE UNIQUE INDEX secrets_global ON secrets (name) WHERE repo_id IS NULL",
    "CREATE UNIQUE INDEX secrets_repo ON secrets (repo_id, name) WHERE repo_id IS NOT NULL",
    `CREATE TABLE users (
      id ${id},
      name TEXT NOT NULL UNIQUE,
      is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
      password_hash TEXT,
      created_at ${ms} NOT NULL)`,
    `CREATE TABLE tokens (
      id ${id},
      name TEXT NOT NULL,
      scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
      user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      hash TEXT NOT NULL UNIQUE,
      created_at ${ms} NOT NULL,
      last_used_at ${ms})`,
    `CREATE TABLE sessions (
      hash TEXT PRIMARY KEY,
      user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      expires_at ${ms} NOT NULL)`,
    `CREATE TABLE kv (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
