import { describe, expect, it } from "vitest";
import { splitArgs } from "./split-args.ts";

describe("splitArgs", () => {
  it.each([
    ["--cpus 1  --memory=1g", ["--cpus", "1", "--memory=1g"]],
    [`--label "a b" --label 'c "d"'`, ["--label", "a b", "--label", 'c "d"']],
    [`--env X=a\\ b --env "Y=\\"q\\""`, ["--env", "X=a b", "--env", 'Y="q"']],
    [`--hostname ''`, ["--hostname", ""]],
    ["", []],
  ])("splits %j like a shell", (text, args) => {
    expect(splitArgs(text)).toEqual({ ok: true, args });
  });

  it("refuses an unclosed quote", () => {
    expect(splitArgs(`--label "open`)).toEqual({
      ok: false,
      error: `unclosed " in: --label "open`,
    });
  });
});
