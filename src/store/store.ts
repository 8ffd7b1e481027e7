import type { Result } from "../core/events.ts";
import type { LogBlock } from "../core/log-block.ts";
import type {
  EndReason,
  Job,
  LogSlice,
  Millis,
  NewJob,
  NewRun,
  PlanNode,
  Repo,
  RepoSummary,
  Run,
  SecretEntry,
  Token,
  TokenScope,
  User,
} from "./records.ts";

/** A live session: whose it is, the scope it was opened with, and the token that opened it. */
export interface SessionGrant {
  user: User;
  scope: TokenScope;
  tokenId: number | null;
}

/**
 * The server's durable state: repositories, runs and their jobs, steps and logs,
 * secrets (ciphertext only: encryption is the caller's), users, tokens, sessions.
 *
 * Contract:
 * - One implementation (`SqlStore`, kysely) serves SQLite and PostgreSQL; every query
 *   is written to run on both.
 * - State changes are guarded: `startRun` only moves a queued run, `finishRun` only a
 *   run that is not completed, and so on. A guarded change that finds the row in
 *   another state does nothing and returns false — never an exception — because
 *   races (a cancel arriving as the job ends) are normal.
 * - Invariants the types state (a completed run has a result) are also CHECK
 *   constraints, so no caller can store an illegal state.
 * - Lookups by a name or id that does not exist return null.
 * - Methods are safe to call concurrently; each is one transaction.
 */
export interface Store {
  close(): Promise<void>;

  // Repositories
  /** Null when the name is taken. */
  createRepo(name: string, at?: Millis): Promise<Repo | null>;
  getRepo(name: string): Promise<Repo | null>;
  /** Sorted by name, each with its newest run. */
  listRepos(): Promise<RepoSummary[]>;
  /** Deletes the repo with its runs, jobs, logs and secrets. False when there was none. */
  deleteRepo(name: string): Promise<boolean>;

  // Triggers
  /**
   * Creates runs (numbered per repo in creation order) in one transaction. With an
   * `eventId`, the same id given twice creates nothing the second time and returns
   * null: a push event replayed from the spool after a crash is not run twice.
   */
  createRuns(runs: NewRun[], options?: { eventId?: string; at?: Millis }): Promise<Run[] | null>;

  // Runs
  getRun(id: number): Promise<Run | null>;
  /** Newest first. `before`: only runs with a smaller id (the next page). */
  listRuns(repo: string, options?: { limit?: number; before?: number }): Promise<Run[]>;
  countRuns(repo: string): Promise<number>;
  /** Queued runs, oldest first: the durable queue. */
  listQueuedRuns(): Promise<Run[]>;
  /** Runs of the same repo, ref and workflow with a smaller id that are not completed. */
  listSupersedable(run: Run): Promise<Run[]>;
  startRun(id: number, at?: Millis): Promise<boolean>;
  /** Replaces the job graph (a TS pipeline's is known only once the runtime has planned it). */
  setRunPlan(id: number, plan: PlanNode[]): Promise<void>;
  finishRun(
    id: number,
    end: {
      result: Result;
      reason?: EndReason | null;
      supersededBy?: number | null;
      error?: string | null;
      at?: Millis;
    },
  ): Promise<boolean>;

  // Jobs and steps
  createJob(runId: number, job: NewJob): Promise<Job>;
  getJob(id: number): Promise<Job | null>;
  /** In creation order, each with its steps. */
  listJobs(runId: number): Promise<Job[]>;
  startJob(id: number, at?: Millis): Promise<boolean>;
  finishJob(
    id: number,
    end: {
      result: Result;
      reason?: EndReason | null;
      outputs?: Record<string, string>;
      at?: Millis;
    },
  ): Promise<boolean>;
  startStep(jobId: number, index: number, name: string, at?: Millis): Promise<void>;
  finishStep(
    jobId: number,
    index: number,
    end: { result: Result; outcome: Result; at?: Millis },
  ): Promise<boolean>;

  // Logs
  /** Appends lines that follow the job's stored ones; returns the new line count. */
  appendLog(jobId: number, log: LogBlock): Promise<number>;
  /** Lines from `fromLine` (1-based, default 1) to the end, at most `limit` lines. */
  readLog(jobId: number, options?: { fromLine?: number; limit?: number }): Promise<LogSlice>;

  /**
   * Startup reconciliation, after a crash or kill: whatever was running has no live
   * executor any more. Running jobs and runs become `failure` (reason `orphaned`), their
   * running steps `failure`, their queued jobs `skipped`. Queued runs stay queued.
   */
  reconcile(at?: Millis): Promise<{ runs: number; jobs: number }>;

  // Secrets (values are ciphertext, encrypted by the caller)
  /** `repo` null: a global secret. Overwrites. */
  setSecret(repo: string | null, name: string, ciphertext: string, at?: Millis): Promise<void>;
  deleteSecret(repo: string | null, name: string): Promise<boolean>;
  /** Names only. `repo` null: the global ones; a name: that repo's own. */
  listSecrets(repo: string | null): Promise<SecretEntry[]>;
  /** What a job of `repo` gets: global secrets overlaid by the repo's own (`repo` says which). */
  secretsFor(repo: string): Promise<{ name: string; repo: string | null; ciphertext: string }[]>;

  // Users, tokens, sessions (hashes are computed by the caller)
  createUser(
    name: string,
    options?: { isAdmin?: boolean; passwordHash?: string | null },
  ): Promise<User | null>;
  getUser(name: string): Promise<User | null>;
  getUserById(id: number): Promise<User | null>;
  /** The stored password hash, or null when the user has none (or does not exist). */
  passwordHash(name: string): Promise<string | null>;
  setPasswordHash(name: string, hash: string): Promise<boolean>;
  createToken(token: {
    name: string;
    scope: TokenScope;
    userId: number;
    hash: string;
  }): Promise<Token>;
  /** The token with this hash and its user; marks it used. */
  useToken(hash: string, at?: Millis): Promise<{ token: Token; user: User } | null>;
  listTokens(): Promise<Token[]>;
  deleteToken(id: number): Promise<boolean>;
  /**
   * Opens a session and deletes the expired ones. `scope` caps what the user may do through
   * it (default `admin`: as much as the user has); `tokenId` is the token it was opened
   * with, whose deletion ends it.
   */
  createSession(
    hash: string,
    userId: number,
    expiresAt: Millis,
    grant?: { scope?: TokenScope; tokenId?: number | null },
  ): Promise<void>;
  /** The session's user while the session has not expired. */
  findSession(hash: string, at?: Millis): Promise<User | null>;
  /** The session's user and its own scope (not yet capped by the user's) while it has not expired. */
  getSession(hash: string, at?: Millis): Promise<SessionGrant | null>;
  deleteSession(hash: string): Promise<void>;

  // Small durable values: schedule marks, the first-start flag
  getValue(key: string): Promise<string | null>;
  setValue(key: string, value: string): Promise<void>;
}
