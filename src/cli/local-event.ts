import { arch, hostname } from "node:os";
import { githubContext } from "../core/plan/github-context.ts";
import type { TriggerEvent } from "../core/plan/triggers.ts";
import type { RunEnvironment } from "../engine/scheduler.ts";
import type { readGitState } from "./git-context.ts";

/**
 * What a local run knows about its event: the payload it synthesizes when no
 * `--event-file` is given, the trigger it matches workflows against, and the
 * `github` context and run environment it gives every job. Shared by `equinox run`
 * and `equinox pipeline check`.
 */

export type Git = Awaited<ReturnType<typeof readGitState>>;

export function defaultPayload(
  event: string,
  git: Git,
  inputs: Record<string, string>,
): Record<string, unknown> {
  const repository = { full_name: git.repository, name: git.repository.split("/").pop() };
  switch (event) {
    case "push":
      return {
        ref: git.ref,
        before: "0".repeat(40),
        after: git.sha,
        repository,
        head_commit: { id: git.sha },
      };
    case "workflow_dispatch":
      return { ref: git.ref, inputs, repository };
    case "pull_request":
      return {
        action: "opened",
        number: 1,
        pull_request: {
          head: { ref: git.branch ?? "", sha: git.sha },
          base: { ref: git.branch ?? "main" },
        },
        repository,
      };
    default:
      return { repository };
  }
}

export function triggerEvent(
  name: string,
  git: Git,
  payload: Record<string, unknown>,
  inputs: Record<string, string>,
  changed: string[] | null,
): TriggerEvent {
  const pr = (payload.pull_request ?? {}) as { base?: { ref?: string } };
  switch (name) {
    case "push":
      return {
        name,
        ref: typeof payload.ref === "string" ? payload.ref : git.ref,
        changedFiles: changed,
      };
    case "pull_request":
      return {
        name,
        action: String(payload.action ?? "opened"),
        baseRef: pr.base?.ref ?? git.branch ?? "main",
        changedFiles: changed,
      };
    case "workflow_dispatch":
      return { name, inputs };
    case "schedule":
      return { name, cron: typeof payload.schedule === "string" ? payload.schedule : null };
    default:
      // `types:` filters match the payload's `action`, as for pull_request.
      return typeof payload.action === "string" ? { name, action: payload.action } : { name };
  }
}

export interface LocalRunOptions {
  eventName: string;
  payload: Record<string, unknown>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  actionsUrl?: string | null;
  debug?: boolean;
}

/** The run environment of a local run of the checkout in `dir`. */
export function localRunEnvironment(
  dir: string,
  git: Git,
  options: LocalRunOptions,
): RunEnvironment {
  return {
    github: githubContext({
      eventName: options.eventName,
      event: options.payload,
      sha: git.sha,
      ref: git.ref,
      repository: git.repository,
      actor: git.actor,
      serverUrl: git.serverUrl,
    }),
    vars: options.vars ?? {},
    secrets: options.secrets ?? {},
    runner: {
      os: "Linux",
      arch: arch() === "arm64" ? "ARM64" : "X64",
      name: hostname(),
      environment: "self-hosted",
    },
    // A local run tests what is on disk: the commit, plus uncommitted changes on top.
    checkout: git.isRepo
      ? {
          kind: "git",
          url: dir,
          sha: git.sha,
          ref: git.ref,
          ...(git.dirty ? { overlayFrom: dir } : {}),
        }
      : { kind: "dir", path: dir },
    actionsUrl: options.actionsUrl ?? null,
    debug: options.debug ?? false,
  };
}
