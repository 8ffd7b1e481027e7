import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PushEvent } from "./push-event.ts";
import { readSpool, removeSpooled, writeSpool } from "./spool.ts";

const SHA = "b".repeat(40);

function event(id: string, pushedAt: string): PushEvent {
  return {
    type: "push",
    id,
    repo: "demo",
    pushed_at: pushedAt,
    pusher: null,
    refs: [{ ref: "refs/heads/main", old_sha: "0".repeat(40), new_sha: SHA }],
  };
}

const ID1 = "00000000-0000-4000-8000-000000000001";
const ID2 = "00000000-0000-4000-8000-000000000002";
const ID3 = "00000000-0000-4000-8000-000000000003";

describe("spool", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "equinox-spool-")), "spool");
  });
  afterEach(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  it("reads a missing spool as empty", async () => {
    expect(await readSpool(dir)).toEqual({ events: [], problems: [] });
  });

  it("writes whole files named by time and id, and reads them oldest first", async () => {
    const late = event(ID1, "2026-11-23T10:00:05.000Z");
    const early = event(ID2, "2026-11-23T09:59:59.000Z");
    const fileLate = await writeSpool(dir, late);
    const fileEarly = await writeSpool(dir, early);
    expect(fileLate).toBe(join(dir, `${Date.parse(late.pushed_at)}-${ID1}.json`));
    expect(await readdir(dir)).toHaveLength(2); // no temporary files left behind
    expect(JSON.parse(await readFile(fileLate, "utf8"))).toEqual(late);
    expect(await readSpool(dir)).toEqual({
      events: [
        { file: fileEarly, event: early },
        { file: fileLate, event: late },
      ],
      problems: [],
    });
    await removeSpooled(fileEarly);
    await removeSpooled(fileEarly); // already gone is fine
    expect((await readSpool(dir)).events.map((e) => e.event.id)).toEqual([ID1]);
  });

  it("moves unreadable files to bad/ and reports them, keeping the good ones", async () => {
    const good = await writeSpool(dir, event(ID3, "2026-11-23T10:00:00.000Z"));
    await writeFile(join(dir, `1-${ID1}.json`), "{ not json");
    await writeFile(join(dir, `2-${ID2}.json`), JSON.stringify({ type: "push", id: "x" }));
    await writeFile(join(dir, ".half-written.tmp"), "{");
    await writeFile(join(dir, "README"), "not a spool file");
    const { events, problems } = await readSpool(dir);
    expect(events.map((e) => e.file)).toEqual([good]);
    expect(problems).toEqual([
      {
        file: join(dir, "bad", `1-${ID1}.json`),
        error: expect.stringMatching(/^1-.*: not JSON: /),
      },
      {
        file: join(dir, "bad", `2-${ID2}.json`),
        error: `2-${ID2}.json: push event: id must be a uuid, got "x"`,
      },
    ]);
    expect(await readFile(join(dir, "bad", `1-${ID1}.json`), "utf8")).toBe("{ not json");
    expect((await readdir(dir)).sort()).toEqual(
      [".half-written.tmp", "README", "bad", good.slice(dir.length + 1)].sort(),
    );
    // A second bad file of the same name does not overwrite the first.
    await writeFile(join(dir, `1-${ID1}.json`), "again");
    const again = await readSpool(dir);
    expect(again.problems).toHaveLength(1);
    expect(again.problems[0]!.file).not.toBe(join(dir, "bad", `1-${ID1}.json`));
    expect(await readFile(join(dir, "bad", `1-${ID1}.json`), "utf8")).toBe("{ not json");
  });
});
