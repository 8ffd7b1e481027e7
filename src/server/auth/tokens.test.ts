import { describe, expect, it } from "vitest";
import { generateToken, hashToken, looksLikeToken } from "./tokens.ts";

describe("tokens", () => {
  it("generates eqx_ + 32 random bytes base64url", () => {
    const t = generateToken();
    expect(t).toMatch(/^eqx_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t.slice(4), "base64url")).toHaveLength(32);
    expect(generateToken()).not.toBe(t);
    expect(looksLikeToken(t)).toBe(true);
  });

  it("hashes with sha256 hex", () => {
    expect(hashToken("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hashToken("eqx_a")).not.toBe(hashToken("eqx_b"));
  });

  it.each([
    ["", false],
    ["eqx_", false],
    ["short-token", false],
    ["has a space in it!", false],
    [`eqx_${"a".repeat(43)}`, true],
    ["a-fixed-admin-token-of-any-shape", true],
    ["x".repeat(257), false],
  ])("looksLikeToken(%j) is %s", (s, want) => {
    expect(looksLikeToken(s)).toBe(want);
  });
});
