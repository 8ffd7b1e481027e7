import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiClient,
  DEFAULT_SERVER,
  resolveConnection,
  type SseEvent,
  SseParser,
} from "./api-client.ts";
import { UsageError } from "./usage-error.ts";

/** One line per dispatched event, as a transcript. */
function transcript(events: SseEvent[]): string[] {
  return events.map((e) => `${e.event} id=${e.id} ${JSON.stringify(e.data)}`);
}

describe("SseParser", () => {
  const stream =
    "\uFEFF: a comment\n" +
    "retry: 1500\n" +
    'id: 7\nevent: log\ndata: {"a":\ndata:1}\n\n' +
    "data: no event name\r\n\r\n" +
    "event: x\rdata\rdata:  two spaces\r\r" +
    ": only a comment\n\n" +
    "id\nevent: end\ndata: {}\n\n" +
    "event: unfinished\ndata: lost";
  const expected = [
    'log id=7 "{\\"a\\":\\n1}"',
    'message id=7 "no event name"',
    'x id=7 "\\n two spaces"',
    'end id= "{}"',
  ];

  it("parses fields, comments, multi-line data, every line ending, and drops an unfinished event", () => {
    const parser = new SseParser();
    // The BOM is the decoder's business (TextDecoder strips it); the parser sees text after it.
    const events = [...parser.push(stream.slice(1)), ...parser.end()];
    expect(transcript(events)).toEqual(expected);
    expect(parser.retry).toBe(1500);
  });

  it("gives the same events however the text is split into chunks", () => {
    const text = stream.slice(1);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const events: SseEvent[] = [];
      for (let i = 0; i < text.length; i += size)
        events.push(...parser.push(text.slice(i, i + size)));
      events.push(...parser.end());
      expect(transcript(events), `chunks of ${size}`).toEqual(expected);
    }
  });

  it("keeps a CR at a chunk's end from making an empty line of the LF that follows", () => {
    const parser = new SseParser();
    const events = [
      ...parser.push("data: a\r"),
      ...parser.push(""),
      ...parser.push("\ndata: b\r"),
      ...parser.push("\n\r\n"),
    ];
    expect(transcript(events)).toEqual(['message id= "a\\nb"']);
  });
});

// ApiClient against a real `equinox serve`: test/cli/api-client.test.ts.
describe("ApiClient.followLog across a dropped connection", () => {
  let server: Server;
  let url: string;
  /** The Last-Event-ID of each request for the log. */
  const resumedFrom: (string | null)[] = [];
  beforeAll(async () => {
    // Only the SSE framing of docs/api.md: the first connection sends lines 1-3 and is
    // cut before `end`; the reconnection gets line 3 again (a client must skip it), 4, end.
    server = createServer((req, res) => {
      if (req.url !== "/api/v1/runs/1/jobs/2/log") return void res.writeHead(404).end();
      resumedFrom.push((req.headers["last-event-id"] as string | undefined) ?? null);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (resumedFrom.length === 1) {
        res.write('id: 1\nevent: log\ndata: {"from":1,\ndata: "lines":["a"]}\n\n');
        res.write('id: 3\nevent: log\ndata: {"from":2,"lines":["b","c"]}\n\n', () =>
          res.socket?.destroy(),
        );
        return;
      }
      res.end(
        'id: 4\nevent: log\ndata: {"from":3,"lines":["c","d"]}\n\n' +
          'event: end\ndata: {"status":"completed","result":"failure"}\n\n',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("resumes with Last-Event-ID, losing and repeating nothing", async () => {
    const got: string[] = [];
    const res = await new ApiClient({ server: url, token: "t" }).followLog(1, 2, {
      retryDelayMs: 10,
      onLines: (from, lines) => got.push(...lines.map((l, i) => `${from + i}:${l}`)),
      onEnd: (status, result) => got.push(`end ${status} ${result}`),
    });
    expect(res).toEqual({ ok: true, value: { status: "completed", result: "failure" } });
    expect(got).toEqual(["1:a", "2:b", "3:c", "4:d", "end completed failure"]);
    expect(resumedFrom).toEqual([null, "3"]);
  });
});

describe("resolveConnection", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "equinox-conn-"));
    await writeFile(join(dir, "server.json"), JSON.stringify({ url: "http://10.0.0.5:9000/" }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("takes flags first, then the environment, then DATA/server.json, then the default", () => {
    const env = { EQUINOX_SERVER: "http://env:1", EQUINOX_TOKEN: "env-token" };
    expect(resolveConnection({ server: "http://flag:2", token: "t", data: dir }, env)).toEqual({
      server: "http://flag:2",
      token: "t",
    });
    expect(resolveConnection({ data: dir }, env)).toEqual({
      server: "http://env:1",
      token: "env-token",
    });
    expect(resolveConnection({ data: dir, token: "t" }, {})).toEqual({
      server: "http://10.0.0.5:9000",
      token: "t",
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(resolveConnection({ token: "t" }, {}).server).toBe(DEFAULT_SERVER);
    } finally {
      process.chdir(cwd);
    }
  });

  it("asks for a token, and names a bad URL or server.json", async () => {
    expect(() => resolveConnection({ data: dir }, {})).toThrow(
      new UsageError(
        "no API token: pass --token or set EQUINOX_TOKEN (the admin token was printed at the server's first start)",
      ),
    );
    expect(() => resolveConnection({ server: "localhost:8080", token: "t" }, {})).toThrow(
      /--server: 'localhost:8080' is not an http\(s\) URL/,
    );
    expect(() => resolveConnection({ token: "t" }, { EQUINOX_SERVER: "::" })).toThrow(
      /EQUINOX_SERVER: '::' is not a URL/,
    );
    expect(() => resolveConnection({ token: "t", data: join(dir, "none") }, {})).toThrow(
      /cannot read .*none\/server.json/,
    );
    await writeFile(join(dir, "server.json"), "{");
    expect(() => resolveConnection({ token: "t", data: dir }, {})).toThrow(/server.json: not JSON/);
  });
});
