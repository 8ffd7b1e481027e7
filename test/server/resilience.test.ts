import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { writeSpool } from "../../src/server/push/spool.ts";
import {
  ADMIN_TOKEN,
  ci,
  getRun,
  git,
  jobLog,
  pushUrl,
  removeDir,
  startTestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

const exec = promisify(execFile);

/** What one repository's bad content or a racing request can do to the server: nothing lasting. */
describe("equinox serve: resilience", () => {
  it("removes at start the job directories a killed server left, keeping the sandbox's tool cache", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "equinox-stale-"));
    const stale = join(dataDir, "work", "ci.yml-build-4242-1-abc");
    await mkdir(join(stale, "workspace", "locked"), { recursive: true });
    await writeFile(join(stale, "workspace", "locked", "f"), "x");
    await chmod(join(stale, "workspace", "locked"), 0o500); // as a Go module cache leaves it
    await mkdir(join(dataDir, "work", ".tool-cache-sandbox", "kept"), { recursive: true });
    const server = await startTestServer({ dataDir });
    try {
      expect(existsSync(stale)).toBe(false);
      expect(await readdir(join(dataDir, "work"))).toEqual([".tool-cache-sandbox"]);
    } finally {
      await server.close();
    }
  });

  it("ignores a folder named like a workflow and runs the real workflow next to it", async () => {
    const t = await startTestServer();
    const dir = await workTree({
      ".github/workflows/ci.yml": ci("      - run: echo real workflow ran"),
      // A folder, not a file: reading it as a workflow used to throw (EISDIR).
      ".github/workflows/x.yml/readme.txt": "not a workflow\n",
    });
    try {
      expect((await t.api("POST", "/repos", { name: "odd" })).status).toBe(201);
      await git(dir, "push", "-q", pushUrl(t, "odd"), "main");
      const runs = await waitForRuns(t, "odd", (rs) => rs[0]?.status === "completed");
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ workflow: ".github/workflows/ci.yml", result: "success" });
      const job = (await getRun(t, runs[0]!.id)).jobs![0]!;
      expect(await jobLog(t, runs[0]!.id, job.id)).toContain("real workflow ran");
      // Everything that reads the commit's workflows still answers.
      expect((await t.api("GET", "/repos/odd/runs")).status).toBe(200);
      const dispatched = await t.api("POST", "/repos/odd/dispatch", { workflow: "x.yml" });
      expect(dispatched.status, dispatched.text).toBe(400);
      expect(dispatched.text).toContain("no workflow 'x.yml'");
      // The spool holds nothing back.
      expect(await readdir(join(t.dataDir, "spool")).catch(() => [])).toEqual([]);
    } finally {
      await t.close();
      await removeDir(dir);
    }
  });

  it("starts with a spooled push it cannot handle, moves it to spool/bad and runs the later ones", async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    expect((await first.api("POST", "/repos", { name: "spooled" })).status).toBe(201);
    await first.close();
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci("      - run: echo later push ran"),
    });
    try {
      // Pushed while the server was down: the hook spools it.
      await git(dir, "push", "-q", join(dataDir, "repos", "spooled.git"), "main");
      const spool = join(dataDir, "spool");
      const good = await readdir(spool);
      expect(good).toHaveLength(1);
      // An older event naming a commit the repository does not have: handling it throws.
      await writeSpool(spool, {
        type: "push",
        id: "00000000-0000-4000-8000-00000000bad1",
        repo: "spooled",
        pushed_at: "2020-01-01T00:00:00.000Z",
        pusher: null,
        refs: [{ ref: "refs/heads/main", old_sha: "0".repeat(40), new_sha: "e".repeat(40) }],
      });

      const lines: string[] = [];
      const second = await startTestServer({ dataDir, log: (l) => lines.push(l) });
      try {
        const [run] = await waitForRuns(second, "spooled", (rs) => rs[0]?.status === "completed");
        expect(run!.result).toBe("success");
        expect(await readdir(join(spool, "bad"))).toEqual([
          `${Date.parse("2020-01-01T00:00:00.000Z")}-00000000-0000-4000-8000-00000000bad1.json`,
        ]);
        expect((await readdir(spool)).filter((n) => n !== "bad")).toEqual([]);
        expect(lines.join("\n")).toMatch(/spooled push .*failed: .*moved to .*bad/);
      } finally {
        await second.close();
      }
    } finally {
      await removeDir(dir);
      await removeDir(dataDir);
    }
  });

  it("answers two concurrent creates of one name with one 201 and one 409, and the repository works", async () => {
    const t = await startTestServer();
    const dir = await workTree({ ".forgejo/workflows/ci.yml": ci("      - run: echo pushed") });
    try {
      for (const name of ["race-a", "race-b", "race-c", "race-d", "race-e"]) {
        const answers = await Promise.all([
          t.api("POST", "/repos", { name }),
          t.api("POST", "/repos", { name }),
        ]);
        expect(answers.map((a) => a.status).sort(), JSON.stringify(answers)).toEqual([201, 409]);
        expect(answers.find((a) => a.status === 409)!.text).toContain("already exists");
        expect(existsSync(join(t.dataDir, "repos", `${name}.git`, "HEAD"))).toBe(true);
      }
      await git(dir, "push", "-q", pushUrl(t, "race-c"), "main");
      const [run] = await waitForRuns(t, "race-c", (rs) => rs[0]?.status === "completed");
      expect(run!.result).toBe("success");
    } finally {
      await t.close();
      await removeDir(dir);
    }
  });

  it("deletes a repository with a job running: the job is stopped first, quietly", async () => {
    const lines: string[] = [];
    const t = await startTestServer({ log: (l) => lines.push(l) });
    // A duration no other process on the machine uses, to find the job's process by.
    const marker = "300.4242";
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci(`      - run: echo started; sleep ${marker}`),
    });
    try {
      expect((await t.api("POST", "/repos", { name: "doomed" })).status).toBe(201);
      await git(dir, "push", "-q", pushUrl(t, "doomed"), "main");
      const [run] = await waitForRuns(t, "doomed", (rs) => rs[0]?.status === "running");
      await waitUntil(async () => (await sleepers(marker)) > 0);
      const logged = lines.length;

      const started = Date.now();
      const deleted = await t.api("DELETE", "/repos/doomed");
      expect(deleted.status, deleted.text).toBe(204);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await sleepers(marker)).toBe(0);
      expect((await t.api("GET", `/runs/${run!.id}`)).status).toBe(404);
      expect((await t.api("GET", "/repos/doomed/runs")).status).toBe(404);
      expect(existsSync(join(t.dataDir, "repos", "doomed.git"))).toBe(false);
      // Nothing kept writing to the records that are gone.
      await new Promise((r) => setTimeout(r, 500));
      expect(lines.slice(logged)).toEqual([]);
      // The name can be used again.
      expect((await t.api("POST", "/repos", { name: "doomed" })).status).toBe(201);
    } finally {
      await t.close();
      await removeDir(dir);
    }
  });

  it("shows the last lines of a long log on the run page, saying where they start", async () => {
    const t = await startTestServer();
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci("      - run: seq 1 20100 | sed 's/^/row-/'"),
    });
    try {
      expect((await t.api("POST", "/repos", { name: "long" })).status).toBe(201);
      await git(dir, "push", "-q", pushUrl(t, "long"), "main");
      const [run] = await waitForRuns(t, "long", (rs) => rs[0]?.status === "completed");
      expect(run!.result).toBe("success");
      const res = await fetch(`${t.url}/runs/${run!.id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const html = await res.text();
      expect(res.status, html.slice(0, 500)).toBe(200);
      expect(html).toContain("row-20100");
      expect(html).not.toContain("row-1<");
      expect(html).toMatch(/Lines before \d+ are not shown here/);
    } finally {
      await t.close();
      await removeDir(dir);
    }
  });
});

/** How many `sleep <marker>` processes exist. */
async function sleepers(marker: string): Promise<number> {
  const { stdout } = await exec("ps", ["-eo", "args="]);
  return stdout.split("\n").filter((l) => l.trim() === `sleep ${marker}`).length;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
