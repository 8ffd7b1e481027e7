import { describe, expect, it } from "vitest";
import type { RuntimeEvent } from "./events.ts";
import { encodeEvent, NdjsonDecoder } from "./ndjson.ts";

const at = "2026-11-23T10:00:00.000Z";

/** One line per variant: the wire format is a contract with every executor and forge. */
const VARIANTS: [RuntimeEvent, string][] = [
  [{ type: "job.started", at, job: "build" }, `{"type":"job.started","at":"${at}","job":"build"}`],
  [
    { type: "step.started", at, index: 0, id: "compile", name: "Compile" },
    `{"type":"step.started","at":"${at}","index":0,"id":"compile","name":"Compile"}`,
  ],
  [
    { type: "log", at, step: 0, lines: ["hello", "##[group]x"] },
    `{"type":"log","at":"${at}","step":0,"lines":["hello","##[group]x"]}`,
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
    expect(encodeEvent(event)).toBe(`${line}\n`);
    const decoded = new NdjsonDecoder().push(`${line}\n`);
    expect(decoded).toEqual([{ ok: true, event }]);
  });
});

describe("NdjsonDecoder", () => {
  it("reassembles events split across chunks", () => {
    const d = new NdjsonDecoder();
    const line = encodeEvent({ type: "job.started", at, job: "a" });
    expect(d.push(line.slice(0, 10))).toEqual([]);
    expect(d.push(line.slice(10))).toHaveLength(1);
  });

  it("reports the failing line number and keeps decoding", () => {
    const d = new NdjsonDecoder();
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
    const d = new NdjsonDecoder();
    d.push('{"type":"job.star');
    const [r] = d.end();
    expect(r?.ok).toBe(false);
  });
});
