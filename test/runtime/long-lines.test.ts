/**
 * A line longer than MAX_LINE_BYTES is cut into several log lines: the cut must not
 * let a secret through in two halves, nor turn the rest of the line into a command.
 */
import { describe, expect, it } from "vitest";
import { MAX_LINE_BYTES } from "../../src/runtime/line-blocks.ts";
import { jobSpec } from "../job-spec.ts";
import { runRuntime, stepLines } from "./run-runtime.ts";

/** Shell that prints `n` times the character `c`, without a newline. */
const repeat = (n: number, c: string) => `head -c ${n} /dev/zero | tr '\\0' '${c}'`;

describe("lines longer than the line limit", () => {
  it("masks a secret that straddles the cut, raw or base64-encoded", async () => {
    const secret = "hunter2-straddling-secret";
    const encoded = Buffer.from(secret).toString("base64");
    const r = await runRuntime(
      jobSpec(
        [
          {
            run: `${repeat(MAX_LINE_BYTES - 5, "a")}; printf '%s' "$T"; ${repeat(MAX_LINE_BYTES, "b")}; echo`,
            env: { T: secret },
          },
          {
            run: `${repeat(MAX_LINE_BYTES - 7, "c")}; printf '%s' "$T" | base64 -w0; ${repeat(MAX_LINE_BYTES, "d")}; echo`,
            env: { T: secret },
          },
        ],
        { mask: [secret] },
      ),
    );
    expect(r.code).toBe(0);
    for (const step of [0, 1]) {
      const lines = stepLines(r.events, step);
      expect(lines.length).toBeGreaterThan(1);
      const text = lines.join("");
      expect(text.includes(secret) || text.includes(encoded)).toBe(false);
      expect(text.includes("***")).toBe(true);
    }
  });

  it("does not run a workflow command at the start of a cut line's rest", async () => {
    const r = await runRuntime(
      jobSpec([
        {
          id: "s",
          // The rest arrives after a pause, so the line is cut before its end is read.
          run: `${repeat(MAX_LINE_BYTES, "a")}; printf '::error::boom'; sleep 0.3; echo
${repeat(MAX_LINE_BYTES, "a")}; printf '::set-output name=x::pwned'; sleep 0.3; echo
echo '::notice::a real one'`,
        },
      ]),
    );
    expect(r.code).toBe(0);
    const lines = stepLines(r.events, 0);
    expect(lines.filter((l) => !l.startsWith("aaa"))).toEqual([
      "::error::boom",
      "::set-output name=x::pwned",
      "##[notice]a real one",
    ]);
    const annotations = r.events.flatMap((e) => (e.type === "annotation" ? [e.annotation] : []));
    expect(annotations).toEqual([{ level: "notice", message: "a real one" }]);
    const finished = r.events.find((e) => e.type === "step.finished");
    expect(finished).toMatchObject({ outcome: "success", outputs: {} });
  });

  it("cuts output that is not UTF-8 into bounded lines", async () => {
    const r = await runRuntime(
      jobSpec([{ run: `head -c ${3 * MAX_LINE_BYTES} /dev/zero | tr '\\0' '\\200'; echo` }]),
    );
    expect(r.code).toBe(0);
    const lines = stepLines(r.events, 0);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(4);
  });
});

describe("annotations", () => {
  it("masks the file of an annotation, as its message and title", async () => {
    const r = await runRuntime(
      jobSpec([
        {
          run: "echo '::add-mask::topsecretpath'; echo '::error file=src/topsecretpath.ts,title=topsecretpath::x topsecretpath'",
        },
      ]),
    );
    const annotations = r.events.flatMap((e) => (e.type === "annotation" ? [e.annotation] : []));
    expect(annotations).toEqual([
      { level: "error", message: "x ***", title: "***", file: "src/***.ts" },
    ]);
  });
});
