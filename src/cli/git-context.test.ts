import { describe, expect, it } from "vitest";
import { parseRemote } from "./git-context.ts";

describe("parseRemote", () => {
  it.each([
    ["https://codeberg.example/acme/widget.git", "acme/widget", "https://codeberg.example"],
    ["https://forge.example/acme/widget", "acme/widget", "https://forge.example"],
    ["http://localhost:3000/group/sub/repo.git", "group/sub/repo", "http://localhost:3000"],
    ["git@forge.example:acme/widget.git", "acme/widget", "https://forge.example"],
    ["ssh://git@forge.example:2222/acme/widget.git", "acme/widget", "https://forge.example:2222"],
    ["file:///srv/git/acme/widget.git", "srv/git/acme/widget", ""],
  ])("%s → %s", (url, repository, serverUrl) => {
    expect(parseRemote(url)).toEqual({ repository, serverUrl });
  });

  it("returns null for something that is not a remote", () => {
    expect(parseRemote("not a url")).toBeNull();
  });
});
