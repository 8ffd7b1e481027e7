import type { Generated } from "kysely";

/** The tables as kysely sees them (docs/store.md). Times are integer milliseconds. */
export interface Database {
  repos: { id: Generated<number>; name: string; created_at: number };
  runs: {
    id: Generated<number>;
    repo_id: number;
    number: number;
    workflow: string;
    workflow_name: string;
    event: string;
    ref: string;
    sha: string;
    actor: string;
    status: string;
    result: string | null;
    reason: string | null;
    created_at: number;
    started_at: number | null;
    finished_at: number | null;
    superseded_by: number | null;
    rerun_of: number | null;
    error: string | null;
    payload_json: string;
    inputs_json: string;
    plan_json: string;
    reuse_json: string;
  };
  jobs: {
    id: Generated<number>;
    run_id: number;
    key: string;
    job_id: string;
    name: string;
    matrix_json: string | null;
    runs_on_json: string;
    status: string;
    result: string | null;
    reason: string | null;
    started_at: number | null;
    finished_at: number | null;
    outputs_json: string;
    log_lines: number;
    log_bytes: number;
  };
  steps: {
    id: Generated<number>;
    job_id: number;
    idx: number;
    name: string;
    status: string;
    result: string | null;
    outcome: string | null;
    started_at: number;
    finished_at: number | null;
  };
  log_chunks: {
    id: Generated<number>;
    job_id: number;
    first_line: number;
    line_count: number;
    /** Where the lines are in the job's log file (see log-files.ts). */
    byte_offset: number;
    byte_length: number;
  };
  push_events: { id: string; received_at: number };
  secrets: {
    id: Generated<number>;
    repo_id: number | null;
    name: string;
    ciphertext: string;
    updated_at: number;
  };
  users: {
    id: Generated<number>;
    name: string;
    is_admin: number;
    password_hash: string | null;
    created_at: number;
  };
  tokens: {
    id: Generated<number>;
    name: string;
    scope: string;
    user_id: number;
    hash: string;
    created_at: number;
    last_used_at: number | null;
  };
  sessions: {
    hash: string;
    user_id: number;
    expires_at: number;
    /** Caps the user's scope: a session opened with a read token stays read-only. */
    scope: string;
    /** The token the session was opened with; deleting the token deletes the session. */
    token_id: number | null;
  };
  kv: { key: string; value: string };
}
