import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv.ts";

describe("parseDotenv", () => {
  it("reads KEY=VALUE lines with comments, export and quotes", () => {
    const text = [
      "# secrets for local runs",
      "TOKEN=abc=def",
      "export NAME = value ",
      'QUOTED="line1\\nline2"',
      "SINGLE='$not_expanded'",
      "",
      "EMPTY=",
    ].join("\n");
    expect(parseDotenv(text)).toEqual({
      ok: true,
      values: {
        TOKEN: "abc=def",
        NAME: "value",
        QUOTED: "line1\nline2",
        SINGLE: "$not_expanded",
        EMPTY: "",
      },
    });
  });

  it("names the first malformed line", () => {
    expect(parseDotenv("A=1\nthis is wrong\n")).toEqual({
      ok: false,
      line: 2,
      error: "expected KEY=VALUE, got 'this is wrong'",
    });
  });
});
