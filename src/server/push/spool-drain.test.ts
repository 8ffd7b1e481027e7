import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PushEvent, PushReply } from "./push-event.ts";
import { writeSpool } from "./spool.ts";
import { spoolDrainer } from "./spool-drain.ts";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const event = (n: number, repo: string): PushEvent => ({
  type: "push",
  id: id(n),
  repo,
  pushed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  pusher: null,
  refs: [{ ref: "refs/heads/main", old_sha: "0".repeat(40), new_sha: "a".repeat(40) }],
});

describe("spoolDrainer", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "equinox-drain-")), "spool");
  });
  afterEach(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  it("handles every event on its own: one that throws goes to bad/, the later ones still run", async () => {
    await writeSpool(dir, event(1, "ok"));
    await writeSpool(dir, event(2, "broken"));
    await writeSpool(dir, event(3, "gone"));
    await writeSpool(dir, event(4, "ok"));
    const handled: string[] = [];
    const lines: string[] = [];
    const drain = spoolDrainer(
      dir,
      async (e): Promise<PushReply> => {
        handled.push(e.id);
        if (e.repo === "broken") throw new Error("EISDIR: illegal operation on a directory");
        if (e.repo === "gone") return { ok: false, error: "no repository 'gone' on this server" };
        return { ok: true, runs: [] };
      },
      (l) => lines.push(l),
    );
    // Two calls at once share one pass: no event is handled twice.
    await Promise.all([drain(), drain()]);
    expect(handled).toEqual([id(1), id(2), id(3), id(4)]);
    expect(await readdir(dir)).toEqual(["bad"]);
    expect(await readdir(join(dir, "bad"))).toEqual([
      `${Date.UTC(2026, 0, 1, 0, 0, 2)}-${id(2)}.json`,
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/failed: EISDIR.*moved to .*bad/);
    expect(lines[1]).toContain("no repository 'gone'");
    // Nothing is left to replay.
    handled.length = 0;
    await drain();
    expect(handled).toEqual([]);
  });
});
