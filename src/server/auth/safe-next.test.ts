import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next.ts";

describe("safeNext", () => {
  it.each([
    ["/", "/"],
    ["/runs/12", "/runs/12"],
    ["/repos/acme/widget?before=40#top", "/repos/acme/widget?before=40#top"],
    ["/a/../settings", "/settings"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
  ])("keeps the local path %j as %j", (next, want) => {
    expect(safeNext(next)).toBe(want);
  });

  it.each([
    // Browsers read each of these as another host.
    ["//evil.example"],
    ["/\\evil.example"],
    ["\\\\evil.example"],
    ["/\t/evil.example"],
    ["/\n/evil.example"],
    ["/\r\n/evil.example"],
    ["/ /evil.example"],
    ["/\u0000/evil.example"],
    ["/\u200b/evil.example"],
    ["/a\\..\\..\\/evil.example"],
    // Not paths at all.
    ["https://evil.example/"],
    ["javascript:alert(1)"],
    ["evil.example"],
    [""],
    [undefined],
    [null],
    [`/${"a".repeat(3000)}`],
  ])("turns %j into /", (next) => {
    expect(safeNext(next)).toBe("/");
  });

  it("is given the query value already decoded: /%09/evil.example arrives with a tab", () => {
    const decoded = new URL("http://x/login?next=/%09/evil.example").searchParams.get("next");
    expect(decoded).toBe("/\t/evil.example");
    expect(safeNext(decoded)).toBe("/");
  });
});
