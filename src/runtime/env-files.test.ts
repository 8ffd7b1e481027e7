import { describe, expect, it } from "vitest";
import { type EnvFileResult, parseEnvFile, parsePathFile } from "./env-files.ts";

const ok = (...entries: [string, string][]): EnvFileResult => ({ ok: true, entries });
const error = (message: string): EnvFileResult => ({ ok: false, error: message });

describe("parseEnvFile", () => {
  it.each<[string, string, EnvFileResult]>([
    ["empty file", "", ok()],
    ["name=value", "A=1\n", ok(["A", "1"])],
    ["no trailing newline", "A=1", ok(["A", "1"])],
    ["value containing =", "A=b=c==\n", ok(["A", "b=c=="])],
    ["empty value", "A=\n", ok(["A", ""])],
    ["value keeps spaces", "A=  x  \n", ok(["A", "  x  "])],
    ["= before << is a plain value", "A=x<<EOF\n", ok(["A", "x<<EOF"])],
    ["empty lines skipped", "\n\nA=1\n\n\nB=2\n\n", ok(["A", "1"], ["B", "2"])],
    ["duplicates kept in order", "A=1\nB=2\nA=3\n", ok(["A", "1"], ["B", "2"], ["A", "3"])],
    ["CRLF", "A=1\r\nB=2\r\n", ok(["A", "1"], ["B", "2"])],
    ["heredoc", "A<<EOF\nhello\nEOF\n", ok(["A", "hello"])],
    ["heredoc multi-line", "A<<EOF\none\ntwo\n\nthree\nEOF\n", ok(["A", "one\ntwo\n\nthree"])],
    ["heredoc keeps a trailing empty line", "A<<EOF\none\n\nEOF\n", ok(["A", "one\n"])],
    ["heredoc empty value", "A<<EOF\nEOF\n", ok(["A", ""])],
    ["heredoc with = inside", "A<<EOF\nx=1\nB=2\nEOF\n", ok(["A", "x=1\nB=2"])],
    ["heredoc delimiter containing =", "A<<E=F\nv\nE=F\n", ok(["A", "v"])],
    ["heredoc delimiter must match exactly", "A<<EOF\n EOF\nEOF \nEOF\n", ok(["A", " EOF\nEOF "])],
    ["heredoc closing line without newline", "A<<EOF\nv\nEOF", ok(["A", "v"])],
    ["heredoc CRLF", "A<<EOF\r\none\r\ntwo\r\nEOF\r\nB=2\r\n", ok(["A", "one\ntwo"], ["B", "2"])],
    ["mixed forms", "A=1\nB<<X\nb1\nb2\nX\nC=3\n", ok(["A", "1"], ["B", "b1\nb2"], ["C", "3"])],
    ["invalid format", "A=1\njust text\n", error("Invalid format 'just text'")],
    ["whitespace-only line is not empty", "   \n", error("Invalid format '   '")],
    ["empty name", "=value\n", error("Name must not be empty")],
    ["empty heredoc name", "<<EOF\nv\nEOF\n", error("Name must not be empty")],
    ["empty heredoc delimiter", "A<<\nv\n\n", error("Invalid format 'A<<'")],
    [
      "missing delimiter",
      "A<<EOF\nvalue\n",
      error("Invalid value. Matching delimiter not found 'EOF'"),
    ],
    [
      "delimiter glued to the last value line",
      "A<<EOF\nvalueEOF\n",
      error("Invalid value. Matching delimiter not found 'EOF'"),
    ],
    ["first error stops parsing", "=x\nbad line\n", error("Name must not be empty")],
  ])("%s", (_name, content, expected) => {
    expect(parseEnvFile(content)).toEqual(expected);
  });
});

describe("parsePathFile", () => {
  it.each<[string, string, string[]]>([
    ["empty", "", []],
    ["one per line in order", "/a/bin\n/b/bin\n", ["/a/bin", "/b/bin"]],
    ["empty lines skipped", "\n/a\n\n\n/b", ["/a", "/b"]],
    ["CRLF", "/a\r\n/b\r\n", ["/a", "/b"]],
    ["spaces kept", "/with space/bin\n", ["/with space/bin"]],
  ])("%s", (_name, content, expected) => {
    expect(parsePathFile(content)).toEqual(expected);
  });
});
