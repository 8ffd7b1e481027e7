import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Masker } from "../core/masking.ts";
import { blockLines, continuesLine, LineBlocks, MAX_LINE_BYTES } from "./line-blocks.ts";

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

  it("flags the rest of a cut line, and only it, as a continuation", () => {
    const blocks = new LineBlocks();
    const first = blocks.push(Buffer.alloc(MAX_LINE_BYTES + 10, "a"))!;
    expect(continuesLine(first)).toBe(false);
    const second = blocks.push(Buffer.from("::error::x\nnext\n"))!;
    expect(blockLines(second)).toEqual([`${"a".repeat(10)}::error::x`, "next"]);
    expect(continuesLine(second)).toBe(true);
    expect(continuesLine(blocks.push(Buffer.from("::error::y\n"))!)).toBe(false);
  });

  it("cuts bytes that are not UTF-8 into bounded pieces instead of walking back to the start", () => {
    const blocks = new LineBlocks();
    const chunk = Buffer.alloc(64 * 1024, 0x80);
    let bytes = 0;
    for (let i = 0; i < 48; i++) {
      const block = blocks.push(chunk);
      if (block === null) continue;
      expect(block.length).toBe(MAX_LINE_BYTES + 1);
      bytes += block.length - 1;
    }
    bytes += blocks.end()!.length - 1;
    expect(bytes).toBe(48 * chunk.length);
  });

  it("does not cut through a secret: the cut moves to its start", () => {
    const masker = new Masker();
    masker.add("s3cr3t-value-that-is-long");
    const blocks = new LineBlocks(masker);
    const line = Buffer.concat([
      Buffer.alloc(MAX_LINE_BYTES - 5, "a"),
      Buffer.from("s3cr3t-value-that-is-long"),
      Buffer.alloc(MAX_LINE_BYTES, "b"),
    ]);
    const pieces = [blocks.push(line), blocks.end()].map(text);
    expect(pieces[0]).toBe(`${"a".repeat(MAX_LINE_BYTES - 5)}\n`);
    expect(pieces[1]!.startsWith("s3cr3t-value-that-is-long")).toBe(true);
    expect(pieces.map((p) => masker.mask(p!)).join("")).not.toContain("s3cr3t");
  });

  it("waits for the bytes after the cut before cutting, so a secret arriving later is seen whole", () => {
    const masker = new Masker();
    masker.add("another-secret");
    const blocks = new LineBlocks(masker);
    // The base64 form of the secret starts just before the cut; its end comes later.
    const encoded = Buffer.from("another-secret").toString("base64");
    expect(blocks.push(Buffer.alloc(MAX_LINE_BYTES - 3, "a"))).toBeNull();
    expect(blocks.push(Buffer.from(encoded.slice(0, 6)))).toBeNull();
    const first = text(blocks.push(Buffer.from(`${encoded.slice(6)}${"c".repeat(100)}`)));
    expect(first).toBe(`${"a".repeat(MAX_LINE_BYTES - 3)}\n`);
    expect(masker.mask(text(blocks.end())!)).toBe(`***${"c".repeat(100)}\n`);
  });

  it("cuts after a secret as long as a line rather than never", () => {
    const masker = new Masker();
    const secret = "x".repeat(MAX_LINE_BYTES + 10);
    masker.add(secret);
    const blocks = new LineBlocks(masker);
    const first = blocks.push(Buffer.from(`${secret}tail-of-it${"y".repeat(2 * MAX_LINE_BYTES)}`))!;
    expect(first.length).toBe(secret.length + 1);
    expect(text(blocks.end())!.startsWith("tail-of-it")).toBe(true);
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
