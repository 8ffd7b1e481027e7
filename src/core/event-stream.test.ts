import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { EventDecoder, encodeEvent, MAX_LOG_PAYLOAD } from "./event-stream.ts";
import type { RuntimeEvent } from "./events.ts";

const at = "2026-11-23T10:00:00.000Z";

/** One line per variant: the wire format is a contract with every executor and forge. */
const VARIANTS: [RuntimeEvent, string][] = [
  [{ type: "job.started", at, job: "build" }, `{"type":"job.started","at":"${at}","job":"build"}`],
  [
    { type: "step.started", at, index: 0, id: "compile", name: "Compile" },
    `{"type":"step.started","at":"${at}","index":0,"id":"compile","name":"Compile"}`,
  ],
  [
    { type: "log", at, step: 0, data: Buffer.from("hello\n##[group]x\n") },
    `{"type":"log","at":"${at}","step":0,"bytes":17}\nhello\n##[group]x`,
  ],
  [
    { type: "log", at, step: null, data: Buffer.from("\n") },
    `{"type":"log","at":"${at}","step":null,"bytes":1}\n`,
  ],
  [
    { type: "log", at, step: 2, data: Buffer.from('ünïcode "quoted" {"type":"job.finished"}\n') },
    `{"type":"log","at":"${at}","step":2,"bytes":43}\nünïcode "quoted" {"type":"job.finished"}`,
  ],
  [
    {
      type: "annotation",
      at,
      step: 1,
      annotation: { level: "warning", message: "careful", file: "a.c", line: 3 },
    },
    `{"type":"annotation","at":"${at}","step":1,"annotation":{"level":"warning","message":"careful","file":"a.c","line":3}}`,
  ],
  [
    { type: "step.summary", at, index: 2, markdown: "# Done" },
    `{"type":"step.summary","at":"${at}","index":2,"markdown":"# Done"}`,
  ],
  [
    {
      type: "step.finished",
      at,
      index: 0,
      outcome: "failure",
      conclusion: "success",
      outputs: { v: "1" },
    },
    `{"type":"step.finished","at":"${at}","index":0,"outcome":"failure","conclusion":"success","outputs":{"v":"1"}}`,
  ],
  [
    { type: "job.outputs", at, outputs: { sha: "abc" } },
    `{"type":"job.outputs","at":"${at}","outputs":{"sha":"abc"}}`,
  ],
  [
    {
      type: "pipeline.plan",
      at,
      jobs: [{ id: "build", inputs: ["push"], allowFailure: false, line: 3 }],
      errors: [{ file: ".equinox/ci.ts", line: 9, col: 1, message: "duplicate job id 'build'" }],
    },
    `{"type":"pipeline.plan","at":"${at}","jobs":[{"id":"build","inputs":["push"],"allowFailure":false,"line":3}],"errors":[{"file":".equinox/ci.ts","line":9,"col":1,"message":"duplicate job id 'build'"}]}`,
  ],
  [
    { type: "job.finished", at, result: "cancelled", reason: "timeout" },
    `{"type":"job.finished","at":"${at}","result":"cancelled","reason":"timeout"}`,
  ],
];

describe("event wire format", () => {
  it.each(VARIANTS)("encodes %# exactly and decodes it back", (event, line) => {
    expect(encodeEvent(event).toString()).toBe(`${line}\n`);
    const decoded = new EventDecoder().push(`${line}\n`);
    expect(decoded).toEqual([{ ok: true, event }]);
  });
});

describe("EventDecoder", () => {
  it("reassembles events split across chunks", () => {
    const d = new EventDecoder();
    const line = encodeEvent({ type: "job.started", at, job: "a" });
    expect(d.push(line.slice(0, 10))).toEqual([]);
    expect(d.push(line.slice(10))).toHaveLength(1);
  });

  it("decodes any split of a stream byte by byte the same: log payloads, multi-byte characters, newlines", () => {
    const events: RuntimeEvent[] = [
      { type: "job.started", at, job: "a" },
      { type: "log", at, step: 0, data: Buffer.from("line one\n\nthrée € ✓\n{not json}\n") },
      { type: "log", at, step: 0, data: Buffer.from(`${"x".repeat(70_000)}\n`) },
      { type: "job.finished", at, result: "success" },
    ];
    const stream = Buffer.concat(events.map(encodeEvent));
    for (const size of [1, 3, 7, 4096, 65_536, stream.length]) {
      const d = new EventDecoder();
      const results = [];
      for (let i = 0; i < stream.length; i += size)
        results.push(...d.push(stream.subarray(i, i + size)));
      results.push(...d.end());
      expect(results, `chunks of ${size}`).toEqual(events.map((event) => ({ ok: true, event })));
    }
  });

  it("keeps the whole lines of a log payload cut short by the end of the stream, and says so", () => {
    const d = new EventDecoder();
    const full = encodeEvent({
      type: "log",
      at,
      step: 1,
      data: Buffer.from("kept\nalso kept\nlost\n"),
    });
    expect(d.push(full.slice(0, full.indexOf("lost") + 2))).toEqual([]);
    const [kept, cut] = d.end();
    expect(kept).toEqual({
      ok: true,
      event: { type: "log", at, step: 1, data: Buffer.from("kept\nalso kept\n") },
    });
    expect(cut).toMatchObject({ ok: false, error: expect.stringContaining("ended 3 bytes into") });
  });

  it("refuses a log header without a sane size, and goes on with the next line", () => {
    const d = new EventDecoder();
    const good = encodeEvent({ type: "job.started", at, job: "a" });
    const results = d.push(
      `{"type":"log","at":"${at}","step":0,"bytes":${MAX_LOG_PAYLOAD + 1}}\n{"type":"log","at":"${at}","step":"x","bytes":3}\n${good}`,
    );
    expect(results.map((r) => (r.ok ? "ok" : r.error))).toEqual([
      expect.stringContaining('"bytes" (1 to'),
      expect.stringContaining('"step" (an integer or null)'),
      "ok",
    ]);
  });

  it("reports the failing line number and keeps decoding", () => {
    const d = new EventDecoder();
    const good = encodeEvent({ type: "job.started", at, job: "a" });
    const results = d.push(`${good}not json\n{"type":"nope","at":"x"}\n${good}`);
    expect(results.map((r) => (r.ok ? "ok" : `line ${r.line}`))).toEqual([
      "ok",
      "line 2",
      "line 3",
      "ok",
    ]);
  });

  it("reports a truncated last line at end", () => {
    const d = new EventDecoder();
    d.push('{"type":"job.star');
    const [r] = d.end();
    expect(r?.ok).toBe(false);
  });
});
