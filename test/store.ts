import pg from "pg";
import type { NewRun } from "../src/store/records.ts";
import { describeUnless } from "./helpers.ts";

// What store tests share: the machine's PostgreSQL (each test file uses a schema of its
// own) and a run to record.

export const PG_URL = process.env.EQUINOX_TEST_PG_URL ?? "postgres://root@127.0.0.1:5432/test";

/** Why PostgreSQL cannot be used here, or null when it answers. */
export async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return `PostgreSQL unreachable at ${PG_URL}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** `describe` for tests that need PostgreSQL (see describeUnless). Await it at the top level. */
export async function describePostgres(name: string, fn: () => void): Promise<void> {
  describeUnless(await postgresProblem(), name, fn);
}

/** Drops a test's schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A push run of `.forgejo/workflows/ci.yml` on main, as the triggers record one. */
export function newRun(repo: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    repo,
    workflow: ".forgejo/workflows/ci.yml",
    workflowName: "ci",
    event: "push",
    ref: "refs/heads/main",
    sha: "0123456789abcdef0123456789abcdef01234567",
    actor: "alice",
    payload: { ref: "refs/heads/main" },
    inputs: {},
    plan: [{ jobId: "build", name: "build", needs: [] }],
    ...overrides,
  };
}
