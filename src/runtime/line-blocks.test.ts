import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { blockLines, LineBlocks, MAX_LINE_BYTES } from "./line-blocks.ts";

const text = (b: Buffer | null) => (b === null ? null : b.toString("utf8"));

describe("LineBlocks", () => {
  it("passes whole lines on as one block and keeps a partial line for the next chunk", () => {
    const blocks = new LineBlocks();
    expect(text(blocks.push(Buffer.from("one\ntwo\nthr")))).toBe("one\ntwo\n");
    expect(text(blocks.push(Buffer.from("ee")))).toBeNull();
    expect(text(blocks.push(Buffer.from("\nfour")))).toBe("three\n");
    expect(text(blocks.end())).toBe("four\n");
    expect(blocks.end()).toBeNull();
  });

  it("never splits a UTF-8 character, even where a chunk does", () => {
    const bytes = Buffer.from("größe ✓\n");
    const blocks = new LineBlocks();
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(blocks.push(bytes.subarray(i, i + 1)));
    expect(out.filter((b) => b !== null).map(text)).toEqual(["größe ✓\n"]);
  });

  it("breaks output without newlines at the line limit, at a character boundary", () => {
    const blocks = new LineBlocks();
    // A 3-byte character straddles the limit: the break comes before it.
    const long = Buffer.concat([Buffer.alloc(MAX_LINE_BYTES - 1, "a"), Buffer.from("€€")]);
    const first = blocks.push(long)!;
    expect(first.length).toBe(MAX_LINE_BYTES);
    expect(first.at(-1)).toBe(0x0a);
    expect(text(blocks.end())).toBe("€€\n");
  });
});

describe("blockLines", () => {
  it("decodes a block's lines and drops the carriage return of CRLF endings", () => {
    expect(blockLines(Buffer.from("dos\r\nunix\n\r\n\nmid\rline\n"))).toEqual([
      "dos",
      "unix",
      "",
      "",
      "mid\rline",
    ]);
  });
});
