import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Request,
} from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  ci,
  getRun,
  git,
  pushUrl,
  removeDir,
  startTestServer,
  type TestServer,
  waitForRuns,
  workTree,
} from "./server-helpers.ts";

// `equinox serve`'s web UI in a real Chromium against a real server: log in, push, watch a
// log stream in, cancel, and read failures. Browser-side code is given as strings: the
// project compiles without the DOM library.
const browserPath = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
]
  .filter((p): p is string => Boolean(p))
  .find((p) => existsSync(p));
if (!browserPath && process.env.CI === "true") {
  throw new Error("web-ui.test.ts: no Chromium found (install chromium or set CHROMIUM_PATH)");
}
const title = browserPath
  ? "equinox serve: the web UI in Chromium"
  : "equinox serve: the web UI in Chromium (skipped: no Chromium at /usr/bin/chromium; set CHROMIUM_PATH)";

const WAIT = 20_000;

interface Arrival {
  marker: string;
  live: string | null;
  timeOrigin: number;
}

/** `promise`, or a failure naming what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.skipIf(!browserPath)(title, () => {
  let t: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const cleanup: string[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([
      startTestServer(),
      chromium.launch({ executablePath: browserPath, headless: true }),
    ]);
    ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    ctx.setDefaultTimeout(WAIT);
    page = await ctx.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    for (const dir of cleanup) await removeDir(dir);
  });

  async function push(repo: string, files: Record<string, string>) {
    const dir = await workTree(files);
    cleanup.push(dir);
    // The post-receive hook returns once the server has committed the runs.
    await git(dir, "push", "-q", pushUrl(t, repo), "main");
  }

  async function newRepoViaApi(name: string, files: Record<string, string>) {
    expect((await t.api("POST", "/repos", { name })).status).toBe(201);
    await push(name, files);
    const [run] = await waitForRuns(t, name, (runs) => runs.length > 0);
    return run!;
  }

  /** Text of the log lines themselves (no line numbers), as the reader sees them. */
  const logLines = (p: Page) =>
    p.locator("#log .line .lt").evaluateAll((els) => els.map((e) => e.textContent));

  it("redirects to the login page, rejects a wrong token and lets the admin in", async () => {
    await page.goto(`${t.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");

    await page.fill('input[name="token"]', "eqx_wrong_token");
    await page.click('button:has-text("Log in with token")');
    await page.locator(".error-box", { hasText: "Wrong user name, password or token." }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/login");

    await page.fill('input[name="token"]', ADMIN_TOKEN);
    await page.click('button:has-text("Log in with token")');
    await page.locator("h1", { hasText: "Repositories" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.locator(".site-nav .user").textContent()).toBeTruthy();
  });

  let liveRunId = 0;

  it("creates a repository with the form, shows the pushed run and streams its log live", async () => {
    const gateDir = await mkdtemp(join(tmpdir(), "equinox-webui-gate-"));
    cleanup.push(gateDir);
    const gate = join(gateDir, "go");

    await page.goto(`${t.url}/`);
    await page.fill('form[action="/repos"] input[name="name"]', "webui");
    await page.click('form[action="/repos"] button[type="submit"]');
    await page.waitForURL(`${t.url}/repos/webui`);
    await page.locator("p.empty", { hasText: "No runs yet" }).waitFor();

    // printf builds the marker strings at run time, so the step's echoed script never matches them.
    // The second line waits for a file the test writes (bounded, 30 s) instead of a fixed sleep.
    await push("webui", {
      ".forgejo/workflows/ci.yml": ci(`      - name: Decorations
        run: |
          printf '\\033[31m%s\\033[0m\\n' red-text
          echo "::group::Folded stuff"
          echo inside-the-group
          echo "::endgroup::"
      - name: Slow
        run: |
          printf '%s-%s\\n' first line
          for i in $(seq 300); do [ -f ${gate} ] && break; sleep 0.1; done
          printf '%s-%s-%s\\n' second line arrived`),
    });

    // The run list does not refresh itself (only run pages do), so the reader reloads.
    await page.reload();
    const row = page.locator("table.runs tbody tr").first();
    await row.waitFor();
    expect(await row.locator(".badge").textContent()).toMatch(/queued|running/);
    const streams: string[] = [];
    const onRequest = (req: Request) => {
      if (req.url().includes("/log/live")) streams.push(req.url());
    };
    page.on("request", onRequest);
    await row.locator('a[href^="/runs/"]').click();
    await page.waitForURL(/\/runs\/\d+$/);
    liveRunId = Number(new URL(page.url()).pathname.split("/").pop());

    // A run page still waiting for its job reloads itself until the live panel shows up.
    await page
      .locator('#log[data-live="1"] .line .lt', { hasText: /^first-line$/ })
      .waitFor({ timeout: WAIT });
    expect(await logLines(page)).not.toContain("second-line-arrived");

    // Prove the next line arrives in this very document: a marker on `window` and a
    // MutationObserver that reports back; a reload would lose both.
    let navigations = 0;
    const onNavigate = (frame: unknown) => {
      if (frame === page.mainFrame()) navigations++;
    };
    page.on("framenavigated", onNavigate);
    let report: (value: Arrival) => void = () => {};
    const arrived = new Promise<Arrival>((resolve) => {
      report = resolve;
    });
    await page.exposeFunction("__eqxArrived", (value: Arrival) => report(value));
    await page.evaluate(`(() => {
      window.__eqxMarker = "same-document";
      const log = document.querySelector("#log .log");
      const seen = () => [...log.querySelectorAll(".line .lt")].some((e) => e.textContent === "second-line-arrived");
      const observer = new MutationObserver(() => {
        if (!seen()) return;
        observer.disconnect();
        window.__eqxArrived({
          marker: window.__eqxMarker,
          live: document.querySelector("#log").dataset.live ?? null,
          timeOrigin: performance.timeOrigin,
        });
      });
      observer.observe(log, { childList: true, subtree: true });
    })()`);
    const timeOrigin = await page.evaluate("performance.timeOrigin");
    await writeFile(gate, "");
    expect(await within(arrived, WAIT, "second-line-arrived to stream in")).toEqual({
      marker: "same-document",
      live: "1",
      timeOrigin,
    });
    expect(navigations).toBe(0);
    page.off("framenavigated", onNavigate);
    page.off("request", onRequest);
    expect(streams.some((url) => url.includes(`/runs/${liveRunId}/jobs/`))).toBe(true);

    // At the job's end the script reloads the page, which then shows the finished run.
    await page.locator(".run-head .badge-success").waitFor();
    expect(await page.locator("#log").getAttribute("data-live")).toBeNull();
    const lines = await logLines(page);
    expect(lines).toEqual(expect.arrayContaining(["first-line", "second-line-arrived"]));

    // ANSI colour as a coloured span.
    const red = page.locator("#log .line .lt span", { hasText: /^red-text$/ });
    expect(await red.evaluate((e) => e.ownerDocument.defaultView.getComputedStyle(e).color)).toBe(
      "rgb(187, 0, 0)",
    );

    // ::group:: folds as a closed <details> that opens on click.
    const group = page.locator("#log details.group", {
      has: page.locator("summary", { hasText: "Folded stuff" }),
    });
    expect(await group.evaluate((e) => e.open)).toBe(false);
    const inside = group.locator(".line .lt", { hasText: /^inside-the-group$/ });
    expect(await inside.isVisible()).toBe(false);
    await group.locator("summary").click();
    await inside.waitFor({ state: "visible" });

    // Line numbers link to #L<n>, which highlights the line.
    const second = page.locator("#log .line", {
      has: page.locator(".lt", { hasText: /^second-line-arrived$/ }),
    });
    const id = (await second.getAttribute("id"))!;
    expect(id).toMatch(/^L\d+$/);
    const link = second.locator("a.ln");
    expect(await link.getAttribute("href")).toBe(`#${id}`);
    expect(await link.textContent()).toBe(id.slice(1));
    await link.click();
    await page.locator(`#${id}.hl`).waitFor();
    expect(new URL(page.url()).hash).toBe(`#${id}`);
    expect(await page.locator(".line.hl").count()).toBe(1);
  });

  it("works without JavaScript: login, repository list and run page", async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    noJs.setDefaultTimeout(WAIT);
    try {
      const p = await noJs.newPage();
      await p.goto(`${t.url}/repos/webui`);
      expect(new URL(p.url()).pathname).toBe("/login");
      await p.fill('input[name="token"]', ADMIN_TOKEN);
      await p.click('button:has-text("Log in with token")');
      // `next` brings the reader back where they were going.
      await p.waitForURL(`${t.url}/repos/webui`);
      await p.goto(`${t.url}/`);
      await p.locator("table.list a", { hasText: "webui" }).waitFor();
      await p.goto(`${t.url}/runs/${liveRunId}`);
      await p.locator(".run-head .badge-success").waitFor();
      expect(await logLines(p)).toEqual(expect.arrayContaining(["second-line-arrived"]));
    } finally {
      await noJs.close();
    }
  });

  it("cancels a running run from its page", async () => {
    const run = await newRepoViaApi("webui-cancel", {
      ".forgejo/workflows/ci.yml": ci(`      - run: |
          printf '%s-%s\\n' cancel-me started
          sleep 30
          printf '%s-%s\\n' not cancelled`),
    });
    await page.goto(`${t.url}/runs/${run.id}`);
    await page.locator("#log .line .lt", { hasText: /^cancel-me-started$/ }).waitFor();
    await page.click('form[action$="/cancel"] button');
    // The live log's end event reloads the page; a run page that is still active refreshes.
    await page.locator(".run-head .badge-cancelled").waitFor();
    expect(await page.locator(".run-head .reason").textContent()).toBe("cancelled by a user");
    expect(await page.locator('form[action$="/cancel"]').count()).toBe(0);
    expect(await logLines(page)).not.toContain("not-cancelled");
    expect(await getRun(t, run.id)).toMatchObject({
      status: "completed",
      result: "cancelled",
      reason: "user",
    });
  });

  it("shows a failing workflow and a malformed one as failures", async () => {
    const failing = await newRepoViaApi("webui-failing", {
      ".forgejo/workflows/ci.yml": ci("      - run: echo before-failure; exit 3"),
    });
    await page.goto(`${t.url}/runs/${failing.id}`);
    await page.locator(".run-head .badge-failure").waitFor();
    await page.locator(".jobs .job .badge-failure").waitFor();
    expect(await logLines(page)).toContain("before-failure");
    await page.locator("button", { hasText: "Re-run failed jobs" }).waitFor();

    const malformed = await newRepoViaApi("webui-malformed", {
      ".forgejo/workflows/bad.yml":
        "on: [push]\njobs:\n  build:\n    runs-on: x\n    bogus-key: 1\n    steps:\n      - run: true\n",
    });
    await page.goto(`${t.url}/runs/${malformed.id}`);
    await page.locator(".run-head .badge-failure").waitFor();
    expect(await page.locator(".run-head .reason").textContent()).toBe(
      "the workflow did not parse or plan",
    );
    expect(await page.locator("pre.error-box").textContent()).toMatch(
      /bad\.yml \(Line: 5, Col: 5\):.*bogus-key/,
    );
  });
});
