import { validateRepoName } from "../git/repo-name.ts";

/**
 * What the post-receive hook sends the server over its Unix socket (one JSON line),
 * and what it spools to `DATA/spool/` when the server does not answer. `id` is
 * chosen by the hook; the store records it, so an event delivered twice (a reply
 * lost after the runs were committed, then the spool replayed) creates runs once.
 */
export interface PushEvent {
  type: "push";
  /** A uuid. */
  id: string;
  repo: string;
  /** ISO-8601, when the hook ran. */
  pushed_at: string;
  /** The authenticated user git's HTTP backend ran for (`REMOTE_USER`), if any. */
  pusher: string | null;
  /** As git gave them to the hook; a deleted ref has an all-zero `new_sha`. */
  refs: PushedRef[];
}

export interface PushedRef {
  ref: string;
  old_sha: string;
  new_sha: string;
}

/** The server's one-line answer: the runs the push created (none is fine), or why not. */
export type PushReply = { ok: true; runs: PushReplyRun[] } | { ok: false; error: string };

export interface PushReplyRun {
  id: number;
  number: number;
  workflow: string;
  ref: string;
  url: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const ZERO_SHA = "0000000000000000000000000000000000000000";

const SHA = /^[0-9a-f]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_REFS = 10_000;

export function parsePushEvent(value: unknown): Parsed<PushEvent> {
  if (!isObject(value)) return bad(`push event must be an object, got ${describe(value)}`);
  if (value.type !== "push")
    return bad(`push event: type must be "push", got ${describe(value.type)}`);
  const { id, repo, pushed_at, pusher, refs } = value;
  if (typeof id !== "string" || !UUID.test(id)) {
    return bad(`push event: id must be a uuid, got ${describe(id)}`);
  }
  const name = validateRepoName(repo);
  if (!name.ok) return bad(`push event: ${name.error}`);
  if (
    typeof pushed_at !== "string" ||
    !ISO.test(pushed_at) ||
    Number.isNaN(Date.parse(pushed_at))
  ) {
    return bad(`push event: pushed_at must be an ISO-8601 time, got ${describe(pushed_at)}`);
  }
  if (pusher !== null && (typeof pusher !== "string" || pusher === "")) {
    return bad(`push event: pusher must be a non-empty string or null, got ${describe(pusher)}`);
  }
  if (!Array.isArray(refs) || refs.length === 0) {
    return bad(`push event: refs must be a non-empty array, got ${describe(refs)}`);
  }
  if (refs.length > MAX_REFS) return bad(`push event: more than ${MAX_REFS} refs`);
  const parsedRefs: PushedRef[] = [];
  for (const [i, entry] of refs.entries()) {
    if (!isObject(entry)) return bad(`push event: refs[${i}] must be an object`);
    const { ref, old_sha, new_sha } = entry;
    if (typeof ref !== "string" || !ref.startsWith("refs/") || /[\x00-\x20\x7f]/.test(ref)) {
      return bad(`push event: refs[${i}].ref must be a ref name (refs/…), got ${describe(ref)}`);
    }
    for (const [field, sha] of [
      ["old_sha", old_sha],
      ["new_sha", new_sha],
    ] as const) {
      if (typeof sha !== "string" || !SHA.test(sha)) {
        return bad(`push event: refs[${i}].${field} must be 40 hex digits, got ${describe(sha)}`);
      }
    }
    parsedRefs.push({ ref, old_sha: old_sha as string, new_sha: new_sha as string });
  }
  return {
    ok: true,
    value: { type: "push", id, repo: name.name, pushed_at, pusher, refs: parsedRefs },
  };
}

/** The hook's side: the server's reply, checked before anything of it is printed. */
export function parsePushReply(value: unknown): Parsed<PushReply> {
  if (!isObject(value)) return bad(`push reply must be an object, got ${describe(value)}`);
  if (value.ok === false) {
    return typeof value.error === "string"
      ? { ok: true, value: { ok: false, error: value.error } }
      : bad("push reply: error must be a string");
  }
  if (value.ok !== true || !Array.isArray(value.runs)) {
    return bad("push reply must have ok: true and runs, or ok: false and error");
  }
  const runs: PushReplyRun[] = [];
  for (const [i, run] of value.runs.entries()) {
    if (
      !isObject(run) ||
      typeof run.id !== "number" ||
      typeof run.number !== "number" ||
      typeof run.workflow !== "string" ||
      typeof run.ref !== "string" ||
      typeof run.url !== "string"
    ) {
      return bad(`push reply: runs[${i}] must have id, number, workflow, ref and url`);
    }
    runs.push({
      id: run.id,
      number: run.number,
      workflow: run.workflow,
      ref: run.ref,
      url: run.url,
    });
  }
  return { ok: true, value: { ok: true, runs } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
