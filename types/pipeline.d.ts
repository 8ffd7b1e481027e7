/**
 * Type declarations for `equinox/pipeline`, the API of `.equinox/ci.ts`. The module itself
 * is provided by the Equinox runtime when it evaluates the pipeline; nothing is installed
 * in the repository. See docs/pipelines.md.
 */

/** Where a run starts. `jobs("push")` etc. return the source's data (see the types below). */
export type Source = "push" | "schedule" | "manual";

/** What `jobs("push")` returns. */
export interface PushSource {
  sha: string;
  ref: string;
  /** The commit before the push (all zeros for a new ref). */
  before: string | null;
  /** The branch name for `refs/heads/*`, else null. */
  branch: string | null;
  /** The tag name for `refs/tags/*`, else null. */
  tag: string | null;
  /** ISO-8601 time of the push (the head commit's timestamp, or the run's start). */
  pushedAt: string;
  pusher: string | null;
  changedFiles: string[];
}

/** What `jobs("schedule")` returns. */
export interface ScheduleSource {
  schedule: string | null;
  sha: string;
  ref: string;
}

/** What `jobs("manual")` returns: the inputs given to the manual run (`--input k=v`). */
export type ManualSource = Record<string, string>;

/** The result of `sh()`: it never throws on a non-zero exit. */
export interface ShResult {
  /** Exit code; 127 when the program could not be started, 128+n when killed by signal n. */
  exit: number;
  stdout: string;
  stderr: string;
  /** The command as shown in the log. */
  cmd: string;
}

export interface ShOptions {
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
  /** Working directory, relative to the workspace (the checkout) or absolute. */
  cwd?: string;
}

/** A job's outputs as its dependents read them: every value is a string. */
export type JobOutputs = Record<string, string>;

export interface JobContext {
  /**
   * Runs a command: a string under `sh -c`, an array as argv (no shell). Its output streams
   * into the job log line by line, with secrets masked.
   */
  sh(cmd: string | string[], options?: ShOptions): Promise<ShResult>;
  /** A secret's value (registered for masking); throws when no such secret was given. */
  secret(name: string): string;
  /**
   * The data of a source or the outputs of a transitive ancestor job; throws for anything
   * else (`jobs('x'): 'x' is not an ancestor of 'y'`).
   */
  jobs(name: "push"): PushSource;
  jobs(name: "schedule"): ScheduleSource;
  jobs(name: "manual"): ManualSource;
  jobs(name: string): JobOutputs;
}

/**
 * What a job returns: an object becomes its outputs (non-string values are stringified:
 * JSON for objects, `String()` otherwise); `null` or `undefined` marks the job `skipped`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` (a skipped job) returns Promise<void>
export type JobReturn = Record<string, unknown> | null | undefined | void;

export interface JobOptions {
  /** A failure of this job does not fail the run (its dependents are still skipped). */
  allowFailure?: boolean;
}

/**
 * Declares a job. `inputs` lists the jobs it runs after and/or the sources that start it
 * (`push`, `schedule`, `manual`); it must not be empty. Ids must be unique and contain no `/`.
 * A throw fails the job; its dependents are skipped.
 */
export declare function job(
  id: string,
  inputs: readonly (Source | (string & {}))[],
  fn: (ctx: JobContext) => JobReturn | Promise<JobReturn>,
  options?: JobOptions,
): void;
