import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { followJobLog } from "../../engine/log-follow.ts";
import type { Job, LogSlice, Run } from "../../store/records.ts";
import { requirePrincipal } from "../auth/middleware.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { HttpError, jsonBody } from "../http-error.ts";
import { jobJson, runJson } from "./json.ts";
import { intQuery } from "./repos.ts";

export async function runParam(server: ServerContext, raw: string): Promise<Run> {
  const id = intQuery(raw, "run id", 0, 1, Number.MAX_SAFE_INTEGER);
  const run = await server.store.getRun(id);
  if (!run) throw new HttpError(404, `no run ${raw}`);
  return run;
}

export async function jobParam(server: ServerContext, run: Run, raw: string): Promise<Job> {
  const id = intQuery(raw, "job id", 0, 1, Number.MAX_SAFE_INTEGER);
  const job = await server.store.getJob(id);
  if (!job || job.runId !== run.id) throw new HttpError(404, `no job ${raw} in run ${run.id}`);
  return job;
}

export async function cancelRun(server: ServerContext, run: Run): Promise<void> {
  if (run.state.status === "completed")
    throw new HttpError(409, `run ${run.id} has already completed (${run.state.result})`);
  await server.manager.cancel(run.id, "user");
}

export async function rerunRun(
  server: ServerContext,
  run: Run,
  failedOnly: boolean,
  actor: string,
) {
  if (run.state.status !== "completed")
    throw new HttpError(
      409,
      `run ${run.id} is still ${run.state.status}; cancel it or wait for it to end`,
    );
  return server.triggers.rerun(run, failedOnly, actor);
}

/** How much of a log one text response carries; the stream has no such limit. */
const PAGE = 10_000;

export function runRoutes(server: ServerContext) {
  const app = new Hono<AppEnv>();
  const base = () => server.baseUrl();

  app.get("/runs/:id", async (c) => {
    requirePrincipal(c, "read");
    const run = await runParam(server, c.req.param("id"));
    const jobs = await server.store.listJobs(run.id);
    return c.json({ ...runJson(run, base()), jobs: jobs.map(jobJson) });
  });

  app.get("/runs/:id/jobs", async (c) => {
    requirePrincipal(c, "read");
    const run = await runParam(server, c.req.param("id"));
    return c.json({ jobs: (await server.store.listJobs(run.id)).map(jobJson) });
  });

  app.post("/runs/:id/cancel", async (c) => {
    requirePrincipal(c, "write");
    const run = await runParam(server, c.req.param("id"));
    await cancelRun(server, run);
    return c.json(runJson((await server.store.getRun(run.id)) ?? run, base()), 202);
  });

  app.post("/runs/:id/rerun", async (c) => {
    const principal = requirePrincipal(c, "write");
    const run = await runParam(server, c.req.param("id"));
    const body = await jsonBody(c);
    if (body.failed_only !== undefined && typeof body.failed_only !== "boolean")
      throw new HttpError(400, "'failed_only' must be true or false");
    const created = await rerunRun(server, run, body.failed_only === true, principal.user.name);
    return c.json(runJson(created, base()), 201);
  });

  app.get("/runs/:id/jobs/:job/log", async (c) => {
    requirePrincipal(c, "read");
    const run = await runParam(server, c.req.param("id"));
    const job = await jobParam(server, run, c.req.param("job"));
    if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
      const after = intQuery(
        c.req.header("last-event-id") ?? c.req.query("after"),
        "after",
        0,
        0,
        Number.MAX_SAFE_INTEGER,
      );
      return streamJobLog(c, server, job.id, after, (slice) => ({
        event: "log",
        data: JSON.stringify({ from: slice.firstLine, lines: slice.lines }),
      }));
    }
    return c.body(logText(server, job.id), 200, { "content-type": "text/plain; charset=utf-8" });
  });

  return app;
}

/**
 * Streams a job's log as server-sent events until the job ends: each batch of lines as
 * `render` frames it, with the last line's number as the event id (so a reconnecting
 * client resumes with Last-Event-ID), then one `end` event. Used by the API and the
 * web UI's live log, which differ only in how lines are framed.
 */
export function streamJobLog(
  c: Context<AppEnv>,
  server: ServerContext,
  jobId: number,
  after: number,
  render: (slice: LogSlice) => { event: string; data: string },
) {
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    // A comment now and then while the job is quiet: writing is what finds a peer
    // that vanished without closing the connection, and keeps proxies from timing out.
    let writing = 0;
    const write = async (frame: () => Promise<void>) => {
      writing++;
      try {
        await frame();
      } finally {
        writing--;
      }
    };
    const heartbeat = setInterval(() => {
      if (writing === 0) void write(() => stream.write(": keep-alive\n\n").then(() => {}));
    }, SSE_HEARTBEAT_MS);
    try {
      await followJobLog(
        server.store,
        server.hub,
        jobId,
        after,
        {
          onLines: (slice) =>
            write(() =>
              stream.writeSSE({
                id: String(slice.firstLine + slice.lines.length - 1),
                ...render(slice),
              }),
            ),
          onEnd: (state) =>
            write(() =>
              stream.writeSSE({
                event: "end",
                data: JSON.stringify({
                  status: state.status,
                  result: state.status === "completed" ? state.result : null,
                }),
              }),
            ),
        },
        { signal: abort.signal },
      );
    } finally {
      clearInterval(heartbeat);
    }
  });
}

/** How often an idle log stream sends an SSE comment. */
export const SSE_HEARTBEAT_MS = 15_000;

/** The stored log, page by page: a 200 MB log is never held whole in memory. */
export function logText(server: ServerContext, jobId: number): ReadableStream<Uint8Array> {
  let next = 1;
  const encoder = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const slice = await server.store.readLog(jobId, { fromLine: next, limit: PAGE });
      if (slice.lines.length === 0) return controller.close();
      controller.enqueue(encoder.encode(`${slice.lines.join("\n")}\n`));
      next += slice.lines.length;
    },
  });
}
