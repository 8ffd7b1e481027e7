import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeDocker, leftovers, leftoversAfterSweep, TEST_IMAGE } from "../docker.ts";
import { EQUINOX } from "../helpers.ts";
import {
  ADMIN_TOKEN,
  ci,
  getRun,
  git,
  jobLog,
  pushUrl,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

/** No push is ever lost, and a killed server comes back with its runs reconciled. */
describe("equinox serve: durability", () => {
  it("runs a push made while the server was down once it starts", async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    expect((await first.api("POST", "/repos", { name: "offline" })).status).toBe(201);
    await first.close();

    // The server is down: push straight into the bare repository; its hook spools the event.
    const dir = await workTree({
      ".forgejo/workflows/ci.yml": ci("      - run: echo ran after restart"),
    });
    const pushed = await new Promise<string>((resolve, reject) => {
      const child = spawn("git", ["push", join(dataDir, "repos", "offline.git"), "main"], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stderr.on("data", (d) => {
        out += d;
      });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
    });
    expect(pushed).toMatch(/queued|spool|starts/i);

    const second = await startTestServer({ dataDir });
    try {
      const [run] = await waitForRuns(second, "offline", (rs) => rs[0]?.status === "completed");
      expect(run!.result).toBe("success");
      const job = (await getRun(second, run!.id)).jobs![0]!;
      expect(await jobLog(second, run!.id, job.id)).toContain("ran after restart");
    } finally {
      await second.close();
    }
  });

  it("restarts after SIGKILL with the interrupted run orphaned and its log intact", async () => {
    const seed = await startTestServer();
    const dataDir = seed.dataDir;
    await seed.close();

    const server = await spawnServer(dataDir);
    try {
      const t = server.t;
      expect((await t.api("POST", "/repos", { name: "killed" })).status).toBe(201);
      const dir = await workTree({
        ".forgejo/workflows/ci.yml": ci(
          "      - run: for i in 1 2 3; do echo line-$i; done; sleep 60; echo never",
        ),
      });
      await git(dir, "push", "-q", pushUrl(t, "killed"), "main");
      const [run] = await waitForRuns(t, "killed", (rs) => rs[0]?.status === "running");
      const jobId = await waitFor(async () => {
        const job = (await getRun(t, run!.id)).jobs?.[0];
        return job && (await jobLog(t, run!.id, job.id)).includes("line-3") ? job.id : null;
      });
      server.child.kill("SIGKILL");
      await new Promise((r) => server.child.once("close", r));

      const restarted = await startTestServer({ dataDir });
      try {
        const after = await getRun(restarted, run!.id);
        expect(after).toMatchObject({ status: "completed", result: "failure", reason: "orphaned" });
        expect(after.jobs![0]).toMatchObject({ status: "completed", result: "failure" });
        const log = await jobLog(restarted, run!.id, jobId);
        expect(log).toContain("line-1");
        expect(log).toContain("line-3");
        // The orphaned runtime noticed its parent died and cancelled the step.
        await new Promise((r) => setTimeout(r, 1500));
        const ps = await new Promise<string>((resolve) => {
          const p = spawn("ps", ["-eo", "args"], { stdio: ["ignore", "pipe", "ignore"] });
          let out = "";
          p.stdout.on("data", (d) => {
            out += d;
          });
          p.on("close", () => resolve(out));
        });
        expect(ps).not.toContain("sleep 60; echo never");
      } finally {
        await restarted.close();
      }
    } finally {
      server.child.kill("SIGKILL");
    }
  });
});

await describeDocker("equinox serve: durability with containers", () => {
  it("a server killed mid-job leaves no container or network behind after its next start", async () => {
    const seed = await startTestServer();
    const dataDir = seed.dataDir;
    await seed.close();
    // DATA/labels.yml is read by `equinox serve` when no --labels is given.
    await writeFile(join(dataDir, "labels.yml"), `labels:\n  in-docker: docker://${TEST_IMAGE}\n`);

    const server = await spawnServer(dataDir);
    try {
      const t = server.t;
      expect((await t.api("POST", "/repos", { name: "boxed" })).status).toBe(201);
      const dir = await workTree({
        ".forgejo/workflows/ci.yml": `on: [push]
jobs:
  dkilled:
    runs-on: in-docker
    steps:
      - run: echo in-the-box; sleep 300
`,
      });
      await git(dir, "push", "-q", pushUrl(t, "boxed"), "main");
      const [run] = await waitForRuns(t, "boxed", (rs) => rs[0]?.status === "running");
      await waitFor(async () => {
        const job = (await getRun(t, run!.id)).jobs?.[0];
        return job && (await jobLog(t, run!.id, job.id)).includes("in-the-box") ? job.id : null;
      });
      server.child.kill("SIGKILL");
      await new Promise((r) => server.child.once("close", r));
      expect(leftovers("dkilled-")).toHaveLength(1);

      const restarted = await startTestServer({ dataDir });
      try {
        expect(await leftoversAfterSweep("dkilled-")).toEqual([]);
        expect(await getRun(restarted, run!.id)).toMatchObject({ reason: "orphaned" });
      } finally {
        await restarted.close();
      }
    } finally {
      server.child.kill("SIGKILL");
    }
  });
});

async function waitFor<T>(
  probe: () => Promise<T | null | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `equinox serve` as its own process (so it can be SIGKILLed), reached through the API. */
async function spawnServer(dataDir: string): Promise<{ child: ChildProcess; t: TestServer }> {
  const child = spawn(process.execPath, [EQUINOX, "serve", "--data", dataDir, "--port", "0"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, EQUINOX_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const url = await waitFor(async () => /serving at (\S+)/.exec(out)?.[1] ?? null, 20_000).catch(
    () => {
      throw new Error(`server did not start: ${out}`);
    },
  );
  expect(JSON.parse(await readFile(join(dataDir, "server.json"), "utf8")).url).toBe(url);
  const api: TestServer["api"] = async (method, path, body) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : null;
    return { status: res.status, body: json as never, text };
  };
  return {
    child,
    t: { url, dataDir, api, server: null as never, close: async () => void child.kill("SIGTERM") },
  };
}
