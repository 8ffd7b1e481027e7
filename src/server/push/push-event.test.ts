import { describe, expect, it } from "vitest";
import { type PushEvent, parsePushEvent, parsePushReply, ZERO_SHA } from "./push-event.ts";

const A = "a".repeat(40);
const B = "0123456789abcdef0123456789abcdef01234567";

const event: PushEvent = {
  type: "push",
  id: "3f1c2b7e-8a4d-4c5e-9f60-1a2b3c4d5e6f",
  repo: "acme/widget",
  pushed_at: "2026-11-23T10:00:00.123Z",
  pusher: "alice",
  refs: [
    { ref: "refs/heads/main", old_sha: A, new_sha: B },
    { ref: "refs/heads/gone", old_sha: A, new_sha: ZERO_SHA },
  ],
};

describe("parsePushEvent", () => {
  it("accepts a push event and a null pusher", () => {
    expect(parsePushEvent(event)).toEqual({ ok: true, value: event });
    const anonymous = { ...event, pusher: null };
    expect(parsePushEvent(anonymous)).toEqual({ ok: true, value: anonymous });
  });

  it("keeps only the known fields", () => {
    const parsed = parsePushEvent({ ...event, extra: 1, refs: [{ ...event.refs[0], x: 2 }] });
    expect(parsed).toEqual({ ok: true, value: { ...event, refs: [event.refs[0]] } });
  });

  it.each<[string, unknown, string]>([
    ["not an object", "push", 'push event must be an object, got "push"'],
    ["an array", [], "push event must be an object, got []"],
    ["another type", { ...event, type: "tag" }, 'push event: type must be "push", got "tag"'],
    ["no id", { ...event, id: undefined }, "push event: id must be a uuid, got nothing"],
    ["a bad id", { ...event, id: "123" }, 'push event: id must be a uuid, got "123"'],
    [
      "a bad repo",
      { ...event, repo: "../etc" },
      "push event: repository name '../etc': must not contain '..'",
    ],
    [
      "a bad time",
      { ...event, pushed_at: "yesterday" },
      'push event: pushed_at must be an ISO-8601 time, got "yesterday"',
    ],
    [
      "an impossible time",
      { ...event, pushed_at: "2026-13-45T99:00:00Z" },
      'push event: pushed_at must be an ISO-8601 time, got "2026-13-45T99:00:00Z"',
    ],
    [
      "an empty pusher",
      { ...event, pusher: "" },
      'push event: pusher must be a non-empty string or null, got ""',
    ],
    ["no refs", { ...event, refs: [] }, "push event: refs must be a non-empty array, got []"],
    [
      "refs not a list",
      { ...event, refs: {} },
      "push event: refs must be a non-empty array, got {}",
    ],
    [
      "a ref outside refs/",
      { ...event, refs: [{ ref: "main", old_sha: A, new_sha: B }] },
      'push event: refs[0].ref must be a ref name (refs/…), got "main"',
    ],
    [
      "a ref with a space",
      { ...event, refs: [{ ref: "refs/heads/a b", old_sha: A, new_sha: B }] },
      'push event: refs[0].ref must be a ref name (refs/…), got "refs/heads/a b"',
    ],
    [
      "a short sha",
      { ...event, refs: [{ ref: "refs/heads/x", old_sha: "abc", new_sha: B }] },
      'push event: refs[0].old_sha must be 40 hex digits, got "abc"',
    ],
    [
      "an upper-case sha",
      { ...event, refs: [{ ref: "refs/heads/x", old_sha: A, new_sha: B.toUpperCase() }] },
      `push event: refs[0].new_sha must be 40 hex digits, got "${B.toUpperCase()}"`,
    ],
  ])("refuses %s", (_, value, error) => {
    expect(parsePushEvent(value)).toEqual({ ok: false, error });
  });
});

describe("parsePushReply", () => {
  it("accepts runs and errors", () => {
    const runs = [
      { id: 7, number: 3, workflow: "ci.yml", ref: "refs/heads/main", url: "http://x/r/7" },
    ];
    expect(parsePushReply({ ok: true, runs })).toEqual({ ok: true, value: { ok: true, runs } });
    expect(parsePushReply({ ok: false, error: "no" })).toEqual({
      ok: true,
      value: { ok: false, error: "no" },
    });
  });

  it.each([null, {}, { ok: true }, { ok: false }, { ok: true, runs: [{ id: 1 }] }])(
    "refuses %j",
    (value) => {
      expect(parsePushReply(value).ok).toBe(false);
    },
  );
});
