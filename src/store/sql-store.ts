import { Buffer } from "node:buffer";
import type { Kysely, Transaction } from "kysely";
import type { Result } from "../core/events.ts";
import { countNewlines, type LogBlock, linesOf } from "../core/log-block.ts";
import type { LogFiles } from "./log-files.ts";
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
  Step,
  Token,
  TokenScope,
  User,
} from "./records.ts";
import { toJob, toRepo, toRun, toSecretEntry, toStep, toToken, toUser } from "./rows.ts";
import type { Database } from "./schema.ts";
import type { SessionGrant, Store } from "./store.ts";

type Db = Kysely<Database> | Transaction<Database>;

export type SqlDialect = "sqlite" | "postgres";

/** NUL in a log line is stored as this visible stand-in (a terminal or browser would hide it). */
const NUL_STAND_IN = "\u2400";
const NEWLINE = 0x0a;

/**
 * The Store on kysely: one set of queries for SQLite and PostgreSQL (docs/store.md).
 * Built by `openSqliteStore`/`openPostgresStore` (open.ts), which migrate first. `db`
 * is public for tests that write raw rows.
 */
export class SqlStore implements Store {
  private closed: Promise<void> | null = null;
  /** Appends to one job's log, one after another: the file holds its lines in order. */
  private readonly appending = new Map<number, Promise<unknown>>();

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: SqlDialect,
    readonly logs: LogFiles,
  ) {}

  close(): Promise<void> {
    // pg's Pool.end() throws when called twice; a second close is a no-op here.
    this.closed ??= this.db.destroy();
    return this.closed;
  }

  // ---- repositories

  async createRepo(name: string, at: Millis = Date.now()): Promise<Repo | null> {
    const row = await this.db
      .insertInto("repos")
      .values({ name, created_at: at })
      .onConflict((oc) => oc.column("name").doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toRepo(row) : null;
  }

  async getRepo(name: string): Promise<Repo | null> {
    const row = await this.db
      .selectFrom("repos")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toRepo(row) : null;
  }

  async listRepos(): Promise<RepoSummary[]> {
    const repos = await this.db.selectFrom("repos").selectAll().orderBy("name").execute();
    const newest = await this.runs()
      .where(
        "runs.id",
        "in",
        this.db
          .selectFrom("runs")
          .select((eb) => eb.fn.max("runs.id").as("id"))
          .groupBy("runs.repo_id"),
      )
      .execute();
    const byRepo = new Map(newest.map((r) => [r.repo_id, toRun(r)]));
    return repos.map((r) => ({ ...toRepo(r), lastRun: byRepo.get(r.id) ?? null }));
  }

  async deleteRepo(name: string): Promise<boolean> {
    const jobs = await this.db
      .selectFrom("jobs")
      .innerJoin("runs", "runs.id", "jobs.run_id")
      .innerJoin("repos", "repos.id", "runs.repo_id")
      .select("jobs.id")
      .where("repos.name", "=", name)
      .execute();
    const result = await this.db.deleteFrom("repos").where("name", "=", name).executeTakeFirst();
    // After the rows: a log file without rows is garbage, rows without their file are not.
    await this.logs.remove(jobs.map((j) => j.id));
    return Number(result.numDeletedRows) > 0;
  }

  // ---- runs

  private runs(db: Db = this.db) {
    return db
      .selectFrom("runs")
      .innerJoin("repos", "repos.id", "runs.repo_id")
      .selectAll("runs")
      .select("repos.name as repo_name");
  }

  async createRuns(
    runs: NewRun[],
    options: { eventId?: string; at?: Millis } = {},
  ): Promise<Run[] | null> {
    const at = options.at ?? Date.now();
    return this.db.transaction().execute(async (tx) => {
      if (options.eventId !== undefined) {
        // A concurrent transaction with the same id makes this wait for its commit,
        // then do nothing: exactly one of them creates the runs.
        const recorded = await tx
          .insertInto("push_events")
          .values({ id: options.eventId, received_at: at })
          .onConflict((oc) => oc.column("id").doNothing())
          .returning("id")
          .executeTakeFirst();
        if (!recorded) return null;
      }
      const next = new Map<string, { id: number; number: number }>();
      const created: Run[] = [];
      for (const run of runs) {
        let repo = next.get(run.repo);
        if (!repo) {
          let lookup = tx.selectFrom("repos").select("id").where("name", "=", run.repo);
          // Two transactions must not both take max+1. SQLite has one writer (and no
          // FOR UPDATE); on PostgreSQL the repo's row lock serialises numbering.
          if (this.dialect === "postgres") lookup = lookup.forUpdate();
          const found = await lookup.executeTakeFirst();
          if (!found) throw new Error(`createRuns: no repository '${run.repo}'`);
          const last = await tx
            .selectFrom("runs")
            .select((eb) => eb.fn.max("number").as("n"))
            .where("repo_id", "=", found.id)
            .executeTakeFirst();
          repo = { id: found.id, number: Number(last?.n ?? 0) };
          next.set(run.repo, repo);
        }
        repo.number += 1;
        const failed = run.error !== undefined && run.error !== null;
        const row = await tx
          .insertInto("runs")
          .values({
            repo_id: repo.id,
            number: repo.number,
            workflow: run.workflow,
            workflow_name: run.workflowName,
            event: run.event,
            ref: run.ref,
            sha: run.sha,
            actor: run.actor,
            status: failed ? "completed" : "queued",
            result: failed ? "failure" : null,
            reason: failed ? "pipeline" : null,
            created_at: at,
            started_at: null,
            finished_at: failed ? at : null,
            superseded_by: null,
            rerun_of: run.rerunOf ?? null,
            error: run.error ?? null,
            payload_json: JSON.stringify(run.payload),
            inputs_json: JSON.stringify(run.inputs),
            plan_json: JSON.stringify(run.plan),
            reuse_json: JSON.stringify(run.reuse ?? {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        created.push(toRun({ ...row, repo_name: run.repo }));
      }
      return created;
    });
  }

  async getRun(id: number): Promise<Run | null> {
    const row = await this.runs().where("runs.id", "=", id).executeTakeFirst();
    return row ? toRun(row) : null;
  }

  async listRuns(repo: string, options: { limit?: number; before?: number } = {}): Promise<Run[]> {
    let query = this.runs().where("repos.name", "=", repo);
    if (options.before !== undefined) query = query.where("runs.id", "<", options.before);
    const rows = await query
      .orderBy("runs.id", "desc")
      .limit(options.limit ?? 30)
      .execute();
    return rows.map(toRun);
  }

  async countRuns(repo: string): Promise<number> {
    const row = await this.db
      .selectFrom("runs")
      .innerJoin("repos", "repos.id", "runs.repo_id")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("repos.name", "=", repo)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async listQueuedRuns(): Promise<Run[]> {
    const rows = await this.runs().where("runs.status", "=", "queued").orderBy("runs.id").execute();
    return rows.map(toRun);
  }

  async listSupersedable(run: Run): Promise<Run[]> {
    const rows = await this.runs()
      .where("repos.name", "=", run.repo)
      .where("runs.ref", "=", run.ref)
      .where("runs.workflow", "=", run.workflow)
      .where("runs.status", "<>", "completed")
      .where("runs.id", "<", run.id)
      .orderBy("runs.id")
      .execute();
    return rows.map(toRun);
  }

  async startRun(id: number, at: Millis = Date.now()): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({ status: "running", started_at: at })
      .where("id", "=", id)
      .where("status", "=", "queued")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setRunPlan(id: number, plan: PlanNode[]): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({ plan_json: JSON.stringify(plan) })
      .where("id", "=", id)
      .execute();
  }

  async finishRun(
    id: number,
    end: {
      result: Result;
      reason?: EndReason | null;
      supersededBy?: number | null;
      error?: string | null;
      at?: Millis;
    },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({
        status: "completed",
        result: end.result,
        reason: end.reason ?? null,
        superseded_by: end.supersededBy ?? null,
        finished_at: end.at ?? Date.now(),
        ...(end.error !== undefined && end.error !== null ? { error: end.error } : {}),
      })
      .where("id", "=", id)
      .where("status", "<>", "completed")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  // ---- jobs and steps

  async createJob(runId: number, job: NewJob): Promise<Job> {
    const row = await this.db
      .insertInto("jobs")
      .values({
        run_id: runId,
        key: job.key,
        job_id: job.jobId,
        name: job.name,
        matrix_json: job.matrix === null ? null : JSON.stringify(job.matrix),
        runs_on_json: JSON.stringify(job.runsOn ?? null),
        status: "queued",
        result: null,
        reason: null,
        started_at: null,
        finished_at: null,
        outputs_json: "{}",
        log_lines: 0,
        log_bytes: 0,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJob(row, []);
  }

  async getJob(id: number): Promise<Job | null> {
    const row = await this.db
      .selectFrom("jobs")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return null;
    const steps = await this.db
      .selectFrom("steps")
      .selectAll()
      .where("job_id", "=", id)
      .orderBy("idx")
      .execute();
    return toJob(row, steps.map(toStep));
  }

  async listJobs(runId: number): Promise<Job[]> {
    const rows = await this.db
      .selectFrom("jobs")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("id")
      .execute();
    if (rows.length === 0) return [];
    const steps = await this.db
      .selectFrom("steps")
      .selectAll()
      .where(
        "job_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("job_id")
      .orderBy("idx")
      .execute();
    const byJob = new Map<number, Step[]>();
    for (const s of steps) {
      const list = byJob.get(s.job_id) ?? [];
      list.push(toStep(s));
      byJob.set(s.job_id, list);
    }
    return rows.map((r) => toJob(r, byJob.get(r.id) ?? []));
  }

  async startJob(id: number, at: Millis = Date.now()): Promise<boolean> {
    const result = await this.db
      .updateTable("jobs")
      .set({ status: "running", started_at: at })
      .where("id", "=", id)
      .where("status", "=", "queued")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async finishJob(
    id: number,
    end: {
      result: Result;
      reason?: EndReason | null;
      outputs?: Record<string, string>;
      at?: Millis;
    },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("jobs")
      .set({
        status: "completed",
        result: end.result,
        reason: end.reason ?? null,
        finished_at: end.at ?? Date.now(),
        ...(end.outputs !== undefined ? { outputs_json: JSON.stringify(end.outputs) } : {}),
      })
      .where("id", "=", id)
      .where("status", "<>", "completed")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async startStep(
    jobId: number,
    index: number,
    name: string,
    at: Millis = Date.now(),
  ): Promise<void> {
    await this.db
      .insertInto("steps")
      .values({
        job_id: jobId,
        idx: index,
        name,
        status: "running",
        result: null,
        outcome: null,
        started_at: at,
        finished_at: null,
      })
      .onConflict((oc) => oc.columns(["job_id", "idx"]).doNothing())
      .execute();
  }

  async finishStep(
    jobId: number,
    index: number,
    end: { result: Result; outcome: Result; at?: Millis },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("steps")
      .set({
        status: "completed",
        result: end.result,
        outcome: end.outcome,
        finished_at: end.at ?? Date.now(),
      })
      .where("job_id", "=", jobId)
      .where("idx", "=", index)
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  // ---- logs

  async appendLog(jobId: number, log: LogBlock): Promise<number> {
    if (log.lines === 0) return this.storedLogLines(jobId);
    const data = chunkBytes(log);
    const previous = this.appending.get(jobId) ?? Promise.resolve();
    const appended = previous.catch(() => {}).then(() => this.appendChunk(jobId, data, log.lines));
    this.appending.set(jobId, appended);
    const forget = () => {
      if (this.appending.get(jobId) === appended) this.appending.delete(jobId);
    };
    appended.then(forget, forget);
    return appended;
  }

  private async storedLogLines(jobId: number): Promise<number> {
    const job = await this.db
      .selectFrom("jobs")
      .select("log_lines")
      .where("id", "=", jobId)
      .executeTakeFirst();
    if (!job) throw new Error(`appendLog: no job with id ${jobId}`);
    return job.log_lines;
  }

  private async appendChunk(jobId: number, data: Buffer, count: number): Promise<number> {
    await this.storedLogLines(jobId); // the job must exist before its file is written
    // The lines go to the file first: a chunk row never points at bytes not written.
    const offset = await this.logs.append(jobId, data);
    return this.db.transaction().execute(async (tx) => {
      // The UPDATE comes first: its row lock orders line numbers on every dialect.
      const job = await tx
        .updateTable("jobs")
        .set((eb) => ({
          log_lines: eb("log_lines", "+", count),
          log_bytes: eb("log_bytes", "+", data.length),
        }))
        .where("id", "=", jobId)
        .returning("log_lines")
        .executeTakeFirst();
      if (!job) throw new Error(`appendLog: no job with id ${jobId}`);
      await tx
        .insertInto("log_chunks")
        .values({
          job_id: jobId,
          first_line: job.log_lines - count + 1,
          line_count: count,
          byte_offset: offset,
          byte_length: data.length,
        })
        .execute();
      return job.log_lines;
    });
  }

  async readLog(
    jobId: number,
    options: { fromLine?: number; limit?: number } = {},
  ): Promise<LogSlice> {
    const from = Math.max(1, Math.floor(options.fromLine ?? 1));
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return { firstLine: from, lines: [] };
    // From the chunk holding `from` (the last one starting at or before it) to the
    // one holding the last line wanted: both ends use the (job_id, first_line) index.
    let query = this.db
      .selectFrom("log_chunks")
      .select(["first_line", "line_count", "byte_offset", "byte_length"])
      .where("job_id", "=", jobId)
      .where((eb) =>
        eb(
          "first_line",
          ">=",
          eb.fn.coalesce(
            eb
              .selectFrom("log_chunks")
              .select((sub) => sub.fn.max("first_line").as("start"))
              .where("job_id", "=", jobId)
              .where("first_line", "<=", from),
            eb.lit(1),
          ),
        ),
      );
    if (Number.isFinite(limit)) query = query.where("first_line", "<", from + limit);
    const chunks = (await query.orderBy("first_line").execute()).filter(
      (c) => c.first_line + c.line_count > from,
    );
    if (chunks.length === 0) return { firstLine: from, lines: [] };
    // One read for the whole span (after a crash it may hold bytes no chunk points at).
    let spanStart = Number.POSITIVE_INFINITY;
    let spanEnd = 0;
    for (const c of chunks) {
      spanStart = Math.min(spanStart, c.byte_offset);
      spanEnd = Math.max(spanEnd, c.byte_offset + c.byte_length);
    }
    const span = await this.logs.read(jobId, spanStart, spanEnd - spanStart);
    const lines: string[] = [];
    for (const chunk of chunks) {
      if (lines.length >= limit) break;
      const start = chunk.byte_offset - spanStart;
      const chunkLines = linesOf(span.subarray(start, start + chunk.byte_length));
      const skip = Math.max(0, from - chunk.first_line);
      const end = Math.min(chunkLines.length, skip + limit - lines.length);
      // A loop, not push(...slice): a chunk can hold more lines than a call takes arguments.
      for (let i = skip; i < end; i++) lines.push(chunkLines[i]!);
    }
    return { firstLine: from, lines };
  }

  // ---- reconciliation

  async reconcile(at: Millis = Date.now()): Promise<{ runs: number; jobs: number }> {
    const result = await this.db.transaction().execute(async (tx) => {
      // A run still queued starts again from scratch, but its jobs may already have rows
      // (they are recorded as queued before they get a slot): without removing them its
      // jobs could not be created again. Their steps and log chunks go with them.
      const stale = await tx
        .selectFrom("jobs")
        .innerJoin("runs", "runs.id", "jobs.run_id")
        .select("jobs.id")
        .where("runs.status", "=", "queued")
        .execute();
      const staleIds = stale.map((j) => j.id);
      if (staleIds.length > 0)
        await tx
          .deleteFrom("jobs")
          .where("run_id", "in", tx.selectFrom("runs").select("id").where("status", "=", "queued"))
          .execute();
      const running = await tx
        .selectFrom("runs")
        .select("id")
        .where("status", "=", "running")
        .execute();
      const runIds = running.map((r) => r.id);
      const activeJobs = await tx
        .selectFrom("jobs")
        .select("id")
        .where("status", "=", "running")
        .execute();
      const jobIds = activeJobs.map((j) => j.id);
      if (jobIds.length > 0) {
        await tx
          .updateTable("steps")
          .set({ status: "completed", result: "failure", outcome: "failure", finished_at: at })
          .where("job_id", "in", jobIds)
          .where("status", "=", "running")
          .execute();
        await tx
          .updateTable("jobs")
          .set({ status: "completed", result: "failure", reason: "orphaned", finished_at: at })
          .where("id", "in", jobIds)
          .execute();
      }
      if (runIds.length > 0) {
        await tx
          .updateTable("jobs")
          .set({ status: "completed", result: "skipped", finished_at: at })
          .where("run_id", "in", runIds)
          .where("status", "=", "queued")
          .execute();
        await tx
          .updateTable("runs")
          .set({ status: "completed", result: "failure", reason: "orphaned", finished_at: at })
          .where("id", "in", runIds)
          .execute();
      }
      return { runs: runIds.length, jobs: jobIds.length, staleIds };
    });
    // After the rows, as in deleteRepo: a log file without rows is only garbage.
    await this.logs.remove(result.staleIds);
    return { runs: result.runs, jobs: result.jobs };
  }

  // ---- secrets

  private async repoId(repo: string, db: Db = this.db): Promise<number | null> {
    const row = await db
      .selectFrom("repos")
      .select("id")
      .where("name", "=", repo)
      .executeTakeFirst();
    return row?.id ?? null;
  }

  async setSecret(repo: string | null, name: string, ciphertext: string, at: Millis = Date.now()) {
    let repoId: number | null = null;
    if (repo !== null) {
      repoId = await this.repoId(repo);
      if (repoId === null) throw new Error(`setSecret: no repository '${repo}'`);
    }
    // One upsert per scope: each scope has its own partial unique index to conflict on.
    await this.db
      .insertInto("secrets")
      .values({ repo_id: repoId, name, ciphertext, updated_at: at })
      .onConflict((oc) =>
        (repoId === null
          ? oc.column("name").where("repo_id", "is", null)
          : oc.columns(["repo_id", "name"]).where("repo_id", "is not", null)
        ).doUpdateSet({ ciphertext, updated_at: at }),
      )
      .execute();
  }

  async deleteSecret(repo: string | null, name: string): Promise<boolean> {
    const repoId = repo === null ? null : await this.repoId(repo);
    if (repo !== null && repoId === null) return false;
    const result = await this.db
      .deleteFrom("secrets")
      .where("name", "=", name)
      .where((eb) => (repoId === null ? eb("repo_id", "is", null) : eb("repo_id", "=", repoId)))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listSecrets(repo: string | null): Promise<SecretEntry[]> {
    const repoId = repo === null ? null : await this.repoId(repo);
    if (repo !== null && repoId === null) return [];
    const rows = await this.db
      .selectFrom("secrets")
      .select(["name", "updated_at"])
      .where((eb) => (repoId === null ? eb("repo_id", "is", null) : eb("repo_id", "=", repoId)))
      .orderBy("name")
      .execute();
    return rows.map((r) => toSecretEntry({ ...r, repo_name: repo }));
  }

  async secretsFor(
    repo: string,
  ): Promise<{ name: string; repo: string | null; ciphertext: string }[]> {
    const rows = await this.db
      .selectFrom("secrets")
      .leftJoin("repos", "repos.id", "secrets.repo_id")
      .select(["secrets.name", "secrets.repo_id", "secrets.ciphertext"])
      .where((eb) => eb.or([eb("secrets.repo_id", "is", null), eb("repos.name", "=", repo)]))
      .orderBy("secrets.name")
      .execute();
    const byName = new Map<string, { name: string; repo: string | null; ciphertext: string }>();
    for (const row of rows) {
      // The repo's own secret wins over a global one of the same name.
      if (row.repo_id === null && byName.has(row.name)) continue;
      byName.set(row.name, {
        name: row.name,
        repo: row.repo_id === null ? null : repo,
        ciphertext: row.ciphertext,
      });
    }
    return [...byName.values()];
  }

  // ---- users, tokens, sessions

  async createUser(
    name: string,
    options: { isAdmin?: boolean; passwordHash?: string | null } = {},
  ): Promise<User | null> {
    const row = await this.db
      .insertInto("users")
      .values({
        name,
        is_admin: options.isAdmin ? 1 : 0,
        password_hash: options.passwordHash ?? null,
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async getUser(name: string): Promise<User | null> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async getUserById(id: number): Promise<User | null> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async passwordHash(name: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("users")
      .select("password_hash")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async setPasswordHash(name: string, hash: string): Promise<boolean> {
    const result = await this.db
      .updateTable("users")
      .set({ password_hash: hash })
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async createToken(token: {
    name: string;
    scope: TokenScope;
    userId: number;
    hash: string;
  }): Promise<Token> {
    const row = await this.db
      .insertInto("tokens")
      .values({
        name: token.name,
        scope: token.scope,
        user_id: token.userId,
        hash: token.hash,
        created_at: Date.now(),
        last_used_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toToken(row);
  }

  async useToken(
    hash: string,
    at: Millis = Date.now(),
  ): Promise<{ token: Token; user: User } | null> {
    const row = await this.db
      .selectFrom("tokens")
      .selectAll()
      .where("hash", "=", hash)
      .executeTakeFirst();
    if (!row) return null;
    const user = await this.getUserById(row.user_id);
    if (!user) return null;
    // Coarse on purpose: a busy CI client must not turn every request into a write.
    if (row.last_used_at === null || at - row.last_used_at > 60_000) {
      await this.db
        .updateTable("tokens")
        .set({ last_used_at: at })
        .where("id", "=", row.id)
        .execute();
      row.last_used_at = at;
    }
    return { token: toToken(row), user };
  }

  async listTokens(): Promise<Token[]> {
    return (await this.db.selectFrom("tokens").selectAll().orderBy("id").execute()).map(toToken);
  }

  async deleteToken(id: number): Promise<boolean> {
    // Sessions opened with the token end with it (ON DELETE CASCADE does the same; this
    // does not depend on foreign keys being enforced).
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom("sessions").where("token_id", "=", id).execute();
      const result = await tx.deleteFrom("tokens").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async createSession(
    hash: string,
    userId: number,
    expiresAt: Millis,
    grant: { scope?: TokenScope; tokenId?: number | null } = {},
  ): Promise<void> {
    // Logging in is rare, so it is the moment to forget sessions nobody can use any more.
    await this.db.deleteFrom("sessions").where("expires_at", "<=", Date.now()).execute();
    await this.db
      .insertInto("sessions")
      .values({
        hash,
        user_id: userId,
        expires_at: expiresAt,
        scope: grant.scope ?? "admin",
        token_id: grant.tokenId ?? null,
      })
      .execute();
  }

  async findSession(hash: string, at: Millis = Date.now()): Promise<User | null> {
    return (await this.getSession(hash, at))?.user ?? null;
  }

  async getSession(hash: string, at: Millis = Date.now()): Promise<SessionGrant | null> {
    const row = await this.db
      .selectFrom("sessions")
      .select(["user_id", "scope", "token_id"])
      .where("hash", "=", hash)
      .where("expires_at", ">", at)
      .executeTakeFirst();
    const user = row ? await this.getUserById(row.user_id) : null;
    if (!row || !user) return null;
    return { user, scope: row.scope as TokenScope, tokenId: row.token_id };
  }

  async deleteSession(hash: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("hash", "=", hash).execute();
  }

  // ---- small values

  async getValue(key: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("kv")
      .select("value")
      .where("key", "=", key)
      .executeTakeFirst();
    return row?.value ?? null;
  }

  async setValue(key: string, value: string): Promise<void> {
    await this.db
      .insertInto("kv")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }
}

/**
 * A chunk's bytes: whole lines, NUL as its stand-in (␀). A block whose newlines do not
 * match its line count would shift every later line number: refused.
 */
function chunkBytes(log: LogBlock): Buffer {
  const { data } = log;
  if (data.at(-1) !== NEWLINE || countNewlines(data) !== log.lines)
    throw new Error(`appendLog: the data does not hold ${log.lines} whole lines`);
  if (data.indexOf(0) === -1) return data;
  return Buffer.from(data.toString("utf8").replaceAll("\0", NUL_STAND_IN));
}
