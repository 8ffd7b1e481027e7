import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Masker } from "./masking.ts";

function masker(...secrets: string[]): Masker {
  const m = new Masker();
  for (const s of secrets) m.add(s);
  return m;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("Masker", () => {
  it("returns text untouched when nothing is registered", () => {
    const m = new Masker();
    expect(m.size).toBe(0);
    expect(m.mask("hello hunter2")).toBe("hello hunter2");
  });

  it.each([
    ["plain", "hunter2", "pw is hunter2!", "pw is ***!"],
    ["every occurrence", "hunter2", "hunter2 and hunter2", "*** and ***"],
    ["whole line", "hunter2", "hunter2", "***"],
    ["not present", "hunter2", "hunter3", "hunter3"],
    ["regex metacharacters", "a.b*c(d)[e]{f}|g^$\\/?+", "x a.b*c(d)[e]{f}|g^$\\/?+ y", "x *** y"],
    ["metacharacters are literal", "a.b", "axb a.b", "axb ***"],
    ["JSON-escaped", 'pa"ss\\wo\trd', JSON.stringify({ t: 'pa"ss\\wo\trd' }), '{"t":"***"}'],
    [
      "URI-escaped",
      "a b&c/d=é",
      `https://x/?q=${encodeURIComponent("a b&c/d=é")}`,
      "https://x/?q=***",
    ],
    ["URI-escaped, RFC 3986 strict", "it's(ok)", "q=it%27s%28ok%29", "q=***"],
    ["form-encoded", "a b c", "q=a+b+c", "q=***"],
    ["shell single-quoted", "it's", "echo 'it'\\''s'", "echo '***'"],
    ["shell single-quoted (shlex)", "it's", `echo 'it'"'"'s'`, "echo '***'"],
    ["shell backslash-escaped", "it's $x", "echo it\\'s\\ \\$x", "echo ***"],
  ])("masks %s", (_name, secret, text, expected) => {
    expect(masker(secret).mask(text)).toBe(expected);
  });

  it("ignores empty and whitespace-only values", () => {
    const m = masker("", "   ", "\n\r\n", "\t");
    expect(m.size).toBe(0);
    expect(m.mask("   ")).toBe("   ");
  });

  it("does not register the same form twice", () => {
    const m = masker("hunter2");
    const size = m.size;
    m.add("hunter2");
    expect(m.size).toBe(size);
  });

  it("masks a multi-line value whole and line by line", () => {
    const secret = "first-line\r\n  second-line  \n\nthird-line";
    const m = masker(secret);
    expect(m.mask(secret)).toBe("***");
    expect(m.mask("first-line")).toBe("***");
    expect(m.mask("  second-line  ")).toBe("  ***  ");
    expect(m.mask("x third-line y")).toBe("x *** y");
    expect(m.mask("first-line\nsecond-line")).toBe("***\n***");
    // Each line also gets its encoded forms.
    expect(m.mask(b64("second-line"))).toBe("***");
  });

  describe("base64", () => {
    const secret = "s3cr3t-Pa55w0rd!";

    it("masks the plain encoding", () => {
      expect(masker(secret).mask(`token: ${b64(secret)}`)).toBe("token: ***");
    });

    it("masks a basic-auth header (secret at the end of the blob)", () => {
      for (const user of ["u", "us", "use", "user"]) {
        const header = `Authorization: Basic ${b64(`${user}:${secret}`)}`;
        const masked = masker(secret).mask(header);
        const [before] = masked.split("***");
        // Only chars that encode the user part (plus one shared char) may remain.
        expect(masked.endsWith("***")).toBe(true);
        expect(before!.length).toBeLessThanOrEqual(
          "Authorization: Basic ".length + Math.ceil((user.length + 1) / 3) * 4,
        );
      }
    });

    // A secret inside a larger encoded blob, at every byte offset and with every
    // amount of trailing data: only chars that also encode the surrounding bytes
    // may survive.
    const cases: [number, number][] = [];
    for (let p = 0; p <= 5; p++) for (let s = 0; s <= 5; s++) cases.push([p, s]);
    it.each(cases)("masks the secret after %i bytes with %i bytes following", (p, s) => {
      // Dropping up to two leading bytes must still leave a 4-char form: >= 5 bytes.
      for (const value of [secret, "abcde", "abcdef", "ünïcödé-sécret"]) {
        const encoded = b64("P".repeat(p) + value + "S".repeat(s));
        const masked = masker(value).mask(encoded);
        const parts = masked.split("***");
        expect(parts).toHaveLength(2);
        const [before, after] = parts as [string, string];
        expect(encoded.startsWith(before)).toBe(true);
        expect(encoded.endsWith(after)).toBe(true);
        expect(before.length).toBeLessThanOrEqual(Math.ceil(p / 3) * 4 + 4);
        expect(after.length).toBeLessThanOrEqual(Math.ceil(s / 3) * 4 + 4);
      }
    });

    it("does not register forms shorter than 4 chars", () => {
      // "abc" encodes to "YWJj"; the shifted forms ("Ym", "Yw") would be too short
      // and would mask unrelated base64.
      const m = masker("abc");
      expect(m.mask("Ym Yw")).toBe("Ym Yw");
      expect(m.mask("YWJj")).toBe("***");
    });
  });

  describe("overlapping secrets", () => {
    it.each([
      ["longest wins at the same position", ["abc", "abcdef"], "xabcdefx", "x***x"],
      ["order of registration does not matter", ["abcdef", "abc"], "xabcdefx", "x***x"],
      ["partial overlap is merged", ["abcd", "cdef"], "xabcdefx", "x***x"],
      ["one inside another", ["abcdef", "cd"], "xabcdefx cd", "x***x ***"],
      ["adjacent occurrences are merged", ["abcd"], "abcdabcd", "***"],
      ["separate occurrences stay separate", ["abcd"], "abcd abcd", "*** ***"],
    ])("%s", (_name, secrets, text, expected) => {
      expect(masker(...secrets).mask(text)).toBe(expected);
    });
  });

  it("picks up secrets added after masking started", () => {
    const m = masker("first");
    expect(m.mask("first second")).toBe("*** second");
    m.add("second");
    expect(m.mask("first second")).toBe("*** ***");
  });
});
