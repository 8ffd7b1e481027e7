import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CronLoop } from "../../src/server/cron-loop.ts";
import {
  git,
  pushUrl,
  removeDir,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

const nightly = `on:
  schedule:
    - cron: "0 3 * * *"
jobs:
  n:
    runs-on: x
    steps:
      - run: echo nightly
`;

describe("equinox serve: the schedule loop when something fails", () => {
  let t: TestServer;
  let dir: string;
  beforeAll(async () => {
    t = await startTestServer();
    dir = await workTree({ ".forgejo/workflows/nightly.yml": nightly });
    for (const name of ["cron-a", "cron-b"]) {
      expect((await t.api("POST", "/repos", { name })).status).toBe(201);
      await git(dir, "push", "-q", pushUrl(t, name), "main");
    }
  });
  afterAll(async () => {
    await t.close();
    await removeDir(dir);
  });

  it("fires the other repositories when one fails, and retries a fire that failed", async () => {
    const { store, repos, triggers } = t.server.context;
    const lines: string[] = [];
    let brokenRepo = true;
    let failFire = true;
    const loop = new CronLoop({
      store,
      repos: {
        path: (n) => repos.path(n),
        extractPaths: (...a) => repos.extractPaths(...a),
        changedFiles: (...a) => repos.changedFiles(...a),
        resolveRef: (...a) => repos.resolveRef(...a),
        list: async () => ["cron-a", "cron-b"],
        // cron-a's repository cannot be read (a disk error, say) until it is fixed.
        defaultBranch: async (n) => {
          if (n === "cron-a" && brokenRepo) throw new Error("disk on fire");
          return repos.defaultBranch(n);
        },
      },
      triggers: {
        schedule: async (...args) => {
          if (failFire) {
            failFire = false;
            throw new Error("store busy");
          }
          return triggers.schedule(...args);
        },
      },
      log: (l) => lines.push(l),
    });
    const day = Date.UTC(2026, 10, 24);
    expect(await loop.tick(day + 2 * 3600_000)).toBe(0); // first sight
    expect(lines).toEqual(["equinox: schedule: cron-a: disk on fire"]);
    brokenRepo = false;
    await loop.tick(day + 2 * 3600_000); // cron-a's first sight
    // 03:00 passes: cron-a's fire fails, cron-b's is made.
    expect(await loop.tick(day + 4 * 3600_000)).toBe(1);
    expect(lines.at(-1)).toBe("equinox: schedule: cron-a: store busy");
    expect((await waitForRuns(t, "cron-b", (rs) => rs.length === 1))[0]).toMatchObject({
      event: "schedule",
    });
    // The failed fire was not marked done: the next tick makes it.
    expect(await loop.tick(day + 4 * 3600_000 + 60_000)).toBe(1);
    expect(await waitForRuns(t, "cron-a", (rs) => rs.length === 1)).toHaveLength(1);
    // And only once.
    expect(await loop.tick(day + 4 * 3600_000 + 120_000)).toBe(0);
  });

  it("stops a tick under way at the next repository", async () => {
    const { store, repos, triggers } = t.server.context;
    const visited: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loop = new CronLoop({
      store,
      repos: {
        path: (n) => repos.path(n),
        extractPaths: (...a) => repos.extractPaths(...a),
        changedFiles: (...a) => repos.changedFiles(...a),
        resolveRef: (...a) => repos.resolveRef(...a),
        defaultBranch: async (n) => {
          visited.push(n);
          await gate;
          return repos.defaultBranch(n);
        },
        list: async () => ["cron-a", "cron-b"],
      },
      triggers,
      log: () => {},
    });
    loop.start();
    const ticking = loop.tick(Date.now());
    await new Promise((r) => setTimeout(r, 50));
    await loop.stop();
    release();
    await ticking;
    expect(visited).toEqual(["cron-a"]);
  });
});
