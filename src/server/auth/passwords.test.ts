import { describe, expect, it } from "vitest";
import { hashPassword, validatePassword, verifyPassword } from "./passwords.ts";

describe("passwords", () => {
  it("hashes in the scrypt$N$r$p$salt$hash form and verifies", async () => {
    const stored = await hashPassword("correct horse");
    const parts = stored.split("$");
    expect(parts.slice(0, 4)).toEqual(["scrypt", "16384", "8", "1"]);
    expect(Buffer.from(parts[4]!, "base64")).toHaveLength(16);
    expect(Buffer.from(parts[5]!, "base64")).toHaveLength(32);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horsE", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts: the same password hashes differently", async () => {
    expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
  });

  it("verifies with the parameters stored in the hash", async () => {
    // Made with N=1024 r=8 p=1; a later raise of the defaults must not break old hashes.
    const { scryptSync } = await import("node:crypto");
    const salt = Buffer.alloc(16, 7);
    const key = scryptSync("old password", salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString("base64")}$${key.toString("base64")}`;
    expect(await verifyPassword("old password", stored)).toBe(true);
    expect(await verifyPassword("new password", stored)).toBe(false);
  });

  it("treats a composed and a decomposed accent as the same password", async () => {
    const stored = await hashPassword("caf\u00e9-latte");
    expect(await verifyPassword("cafe\u0301-latte", stored)).toBe(true);
  });

  it.each([
    "",
    "plain",
    "scrypt$16384$8$1$c2FsdA==",
    "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$!!notbase64",
    "bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$0$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$1048576$32$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$16384$x$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$16384$8$1$$aGFzaGhhc2hoYXNoaGFzaA==",
    "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaA==",
    "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==$extra",
  ])("returns false, without throwing, for the malformed hash %j", async (stored) => {
    await expect(verifyPassword("whatever password", stored)).resolves.toBe(false);
  });

  it.each([
    ["", "the password is empty"],
    ["short", "the password is too short: at least 8 characters"],
    ["1234567", "the password is too short: at least 8 characters"],
    ["12345678", null],
    ["\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", null],
  ])("validatePassword(%j)", (pw, want) => {
    expect(validatePassword(pw)).toBe(want);
  });
});
