import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job, LogSlice, Run } from "../../store/records.ts";
import { Layout } from "./layout.tsx";
import { renderLogLine } from "./log-render.ts";
import { renderPage } from "./render-page.ts";
import { RunPage } from "./run-page.tsx";
import { at, makeJob, makeRun } from "./test-support.ts";

// The client script in a real browser against a real HTTP server with a real SSE stream.
// Browser-side code is given as strings: the project compiles without the DOM library.
const browserPath = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
]
  .filter((p): p is string => Boolean(p))
  .find((p) => existsSync(p));
if (!browserPath && process.env.CI === "true") {
  throw new Error("app-script.test.ts: no Chromium found (set CHROMIUM_PATH)");
}

const assets = new URL("./assets/", import.meta.url);

function page(run: Run, job: Job | null, log: LogSlice | null): string {
  return renderPage(
    Layout({
      title: "run",
      user: { name: "alice", isAdmin: false },
      csrf: "c",
      children: RunPage({
        run,
        jobs: job ? [job] : [],
        selected: job,
        log,
        now: at,
        csrf: "c",
        canWrite: true,
      }),
    }),
  );
}

const runningRun = makeRun({ state: { status: "running", startedAt: at - 10_000 } });
const runningJob = makeJob({ id: 103, state: { status: "running", startedAt: at - 9000 } });
const liveLog: LogSlice = {
  firstLine: 1,
  lines: ["##[group]Step one", ...Array.from({ length: 149 }, (_, i) => `line ${i + 2}`)],
};
const doneLog: LogSlice = {
  firstLine: 1,
  lines: ["start", "##[group]Folded", "inside", "##[endgroup]", "end"],
};

describe.skipIf(!browserPath)("app.js", () => {
  let browser: Browser;
  let base = "";
  const hits: Record<string, number> = {};
  const streams: { after: string | null; res: ServerResponse }[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    hits[url.pathname] = (hits[url.pathname] ?? 0) + 1;
    const html = (body: string) => res.writeHead(200, { "content-type": "text/html" }).end(body);
    if (url.pathname.startsWith("/assets/")) {
      const name = url.pathname.slice("/assets/".length);
      const type = name.endsWith(".js") ? "text/javascript" : "text/css";
      res.writeHead(200, { "content-type": type }).end(await readFile(new URL(name, assets)));
    } else if (url.pathname === "/live") {
      html(page(runningRun, runningJob, liveLog));
    } else if (url.pathname === "/done") {
      html(page(makeRun(), makeJob(), doneLog));
    } else if (url.pathname === "/queued") {
      html(page(makeRun({ state: { status: "queued" } }), null, null));
    } else if (url.pathname === "/runs/41/jobs/103/log/live") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      res.write(": open\n\n");
      streams.push({ after: url.searchParams.get("after"), res });
    } else {
      res.writeHead(404).end();
    }
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: browserPath });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of streams) s.res.end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("streams lines into the open group, keeps the view at the bottom, and reloads at the end", async () => {
    const tab = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    await tab.goto(`${base}/live`);
    await expect.poll(() => streams.length).toBe(1);
    expect(streams[0]!.after).toBe("150");
    await tab.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)");

    const send = (lines: [number, string][]) => {
      const data = lines.map(([n, text]) => ({ n, ...renderLogLine(n, text) }));
      streams[0]!.res.write(`event: lines\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send([
      [150, "line 150 again"],
      [151, "still in step one"],
      [152, "##[endgroup]"],
      [153, "##[group]Step two"],
      [154, "\x1b[32mgreen\x1b[0m"],
    ]);
    await tab.waitForSelector("#L154");
    const shape = await tab.evaluate(`(() => {
      const groupOf = (id) => document.getElementById(id).closest("details");
      const first = groupOf("L151");
      const second = groupOf("L154");
      return {
        firstHasL1: first.querySelector("summary #L1") !== null,
        firstUnclosed: first.hasAttribute("data-unclosed"),
        secondTitle: second.querySelector("summary").textContent,
        secondUnclosed: second.hasAttribute("data-unclosed"),
        secondTopLevel: second.parentElement.classList.contains("log"),
        green: getComputedStyle(document.querySelector("#L154 .lt span")).color,
        copies150: document.querySelectorAll("#L150").length,
        atBottom: window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2,
        after: document.querySelector("[data-live]").dataset.after,
      };
    })()`);
    expect(shape).toEqual({
      firstHasL1: true,
      firstUnclosed: false,
      secondTitle: "153Step two",
      secondUnclosed: true,
      secondTopLevel: true,
      green: "rgb(0, 187, 0)",
      copies150: 1,
      atBottom: true,
      after: "154",
    });

    const loads = hits["/live"];
    streams[0]!.res.write(`event: end\ndata: {"status":"completed"}\n\n`);
    await expect.poll(() => hits["/live"]).toBe(loads! + 1);
    await tab.close();
  });

  it("highlights the line in the hash and opens its folded group", async () => {
    const tab = await browser.newPage();
    await tab.goto(`${base}/done#L3`);
    await tab.waitForSelector("#L3.hl");
    expect(await tab.evaluate(`document.querySelector("details.group").open`)).toBe(true);
    await tab.click("#L5 a.ln");
    await tab.waitForSelector("#L5.hl");
    expect(await tab.locator(".line.hl").count()).toBe(1);
    await tab.close();
  });

  it("refreshes a run page that is active without a live log, and leaves finished ones alone", async () => {
    const [queued, done] = [await browser.newPage(), await browser.newPage()];
    await Promise.all([queued.goto(`${base}/queued`), done.goto(`${base}/done`)]);
    const doneLoads = hits["/done"];
    await expect
      .poll(() => hits["/queued"], { timeout: 8000, interval: 250 })
      .toBeGreaterThanOrEqual(2);
    expect(hits["/done"]).toBe(doneLoads);
    await queued.close();
    await done.close();
  });
});
