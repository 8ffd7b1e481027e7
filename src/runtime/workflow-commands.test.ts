import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import type { Annotation } from "../core/events.ts";
import { LineBlocks, MAX_LINE_BYTES } from "./line-blocks.ts";
import {
  CommandProcessor,
  type CommandProcessorOptions,
  escapeData,
  escapeProperty,
  parseWorkflowCommand,
  type WorkflowCommand,
} from "./workflow-commands.ts";

describe("parseWorkflowCommand", () => {
  const cmd = (
    name: string,
    data: string,
    properties: Record<string, string> = {},
  ): WorkflowCommand => ({ name, properties, data });

  it.each<[string, WorkflowCommand | null]>([
    ["::warning::hello", cmd("warning", "hello")],
    ["::warning::", cmd("warning", "")],
    ["::WARNING::Hello", cmd("warning", "Hello")],
    ["   \t::debug::indented", cmd("debug", "indented")],
    ["::set-output name=x::value", cmd("set-output", "value", { name: "x" })],
    ["::set-output NAME=x::value", cmd("set-output", "value", { name: "x" })],
    ["::set-output name=X::value", cmd("set-output", "value", { name: "X" })],
    [
      "::error file=a.ts,line=3,endLine=4,title=T::msg",
      cmd("error", "msg", { file: "a.ts", line: "3", endline: "4", title: "T" }),
    ],
    ["::error  title=a  ::m", cmd("error", "m", { title: "a" })],
    ["::error title=a=b=c::m", cmd("error", "m", { title: "a=b=c" })],
    ["::error title=,,file=f,::m", cmd("error", "m", { file: "f" })],
    ["::error title=,empty=,=v::m", cmd("error", "m", {})],
    ["::error title=a,title=b::m", cmd("error", "m", { title: "b" })],
    // Keys are not trimmed after a comma, as in the runner.
    ["::error title=a, file=b::m", cmd("error", "m", { title: "a", " file": "b" })],
    ["::error::a%25b%0Dc%0Ad", cmd("error", "a%b\rc\nd")],
    ["::error::%250A stays %0A", cmd("error", "%0A stays \n")],
    ["::error::%3A%2C not data escapes", cmd("error", "%3A%2C not data escapes")],
    ["::error::lowercase %0a is literal", cmd("error", "lowercase %0a is literal")],
    ["::error title=a%3Ab%2Cc%25d%0Ae::m", cmd("error", "m", { title: "a:b,c%d\ne" })],
    ["::error::data with :: inside", cmd("error", "data with :: inside")],
    ["::unknown-thing::x", cmd("unknown-thing", "x")],
    ["::", null],
    ["::nodata", null],
    ["::::", null],
    [":: warning::x", null],
    ["x ::warning::x", null],
    [":warning::x", null],
    ["##[warning]x", null],
    ["", null],
  ])("%j", (line, expected) => {
    expect(parseWorkflowCommand(line)).toEqual(expected);
  });

  it.each(["plain", "100%", "a\r\nb", "%0A", "a:b,c", "%25%3A"])("escapes round-trip %j", (s) => {
    expect(parseWorkflowCommand(`::x::${escapeData(s)}`)?.data).toBe(s);
    expect(parseWorkflowCommand(`::x p=${escapeProperty(s)}::`)?.properties.p).toBe(s);
  });

  it("escapes exactly the reserved characters", () => {
    expect(escapeData("%\r\n:,")).toBe("%25%0D%0A:,");
    expect(escapeProperty("%\r\n:,")).toBe("%25%0D%0A%3A%2C");
  });
});

type Effect =
  | ["mask", string]
  | ["annotation", Annotation]
  | ["output" | "state" | "env", string, string]
  | ["path", string];

function transcript(
  lines: string[],
  opts: Partial<Omit<CommandProcessorOptions, "effects">> = {},
): { out: string[]; effects: Effect[]; failed: boolean } {
  const effects: Effect[] = [];
  const processor = new CommandProcessor({
    debug: false,
    allowUnsecureCommands: false,
    ...opts,
    effects: {
      mask: (v) => effects.push(["mask", v]),
      annotation: (a) => effects.push(["annotation", a]),
      output: (n, v) => effects.push(["output", n, v]),
      state: (n, v) => effects.push(["state", n, v]),
      env: (n, v) => effects.push(["env", n, v]),
      path: (d) => effects.push(["path", d]),
    },
  });
  const out = lines.flatMap((line) => processor.processLine(line));
  return { out, effects, failed: processor.failed };
}

const ann = (level: Annotation["level"], message: string, rest: Partial<Annotation> = {}) =>
  ["annotation", { level, message, ...rest }] as Effect;

const DEPRECATED = (c: string) =>
  `The \`${c}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/`;
const DISABLED = (c: string) =>
  `The \`${c}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`;
const UNABLE = (c: string) => `Unable to process command '${c}' successfully.`;
const BAD_TOKEN =
  "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command. For more information see: https://docs.github.com/actions/learn-github-actions/workflow-commands-for-github-actions#example-stopping-and-starting-workflow-commands or opt into insecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS` environment variable to `true`.";

interface Case {
  name: string;
  lines: string[];
  opts?: Partial<Omit<CommandProcessorOptions, "effects">>;
  out: string[];
  effects?: Effect[];
  failed?: boolean;
}

const cases: Case[] = [
  { name: "plain lines pass through", lines: ["hello", "", "  x"], out: ["hello", "", "  x"] },
  {
    name: "unknown commands pass through",
    lines: ["::frobnicate::x", "::"],
    out: ["::frobnicate::x", "::"],
  },
  {
    name: "add-mask",
    lines: ["::add-mask::s3cret", "after"],
    out: ["after"],
    effects: [["mask", "s3cret"]],
  },
  {
    name: "add-mask multi-line value is passed whole",
    lines: ["::add-mask::line1%0Aline2"],
    out: [],
    effects: [["mask", "line1\nline2"]],
  },
  {
    name: "add-mask with an empty value warns",
    lines: ["::add-mask::  "],
    out: ["##[warning]Can't add secret mask for empty string in ##[add-mask] command."],
    effects: [ann("warning", "Can't add secret mask for empty string in ##[add-mask] command.")],
  },
  {
    name: "group and endgroup",
    lines: ["::group::Build", "inside", "::endgroup::ignored"],
    out: ["##[group]Build", "inside", "##[endgroup]"],
  },
  { name: "debug hidden without step debug", lines: ["::debug::details"], out: [] },
  {
    name: "debug shown with step debug, every line tagged",
    lines: ["::debug::one%0Atwo"],
    opts: { debug: true, echo: false },
    out: ["##[debug]one", "##[debug]two"],
  },
  {
    name: "annotations",
    lines: [
      "::notice::n",
      "::warning title=T,file=src/a.ts,line=3,endLine=5::w",
      "::error file=a.ts,line=2,col=4,endColumn=9::e",
    ],
    out: ["##[notice]n", "##[warning]w", "##[error]e"],
    effects: [
      ann("notice", "n"),
      ann("warning", "w", { title: "T", file: "src/a.ts", line: 3, endLine: 5 }),
      ann("error", "e", { file: "a.ts", line: 2, col: 4, endColumn: 9 }),
    ],
  },
  {
    name: "annotation: column alias, non-numeric values dropped",
    lines: ["::error line=7,column=3,endColumn=x::e"],
    out: ["##[error]e"],
    effects: [ann("error", "e", { line: 7, col: 3 })],
  },
  {
    name: "annotation: the runner's line/column fix-ups",
    lines: [
      "::error endLine=4::lone end line becomes the line",
      "::error line=1,endColumn=6::lone end column becomes the column",
      "::error col=3::columns need a line",
      "::error line=1,endLine=2,col=3::columns need a single line",
      "::error line=5,endLine=2::inverted lines dropped",
      "::error line=5,col=9,endColumn=2::inverted columns dropped",
    ],
    out: [
      "##[error]lone end line becomes the line",
      "##[error]lone end column becomes the column",
      "##[error]columns need a line",
      "##[error]columns need a single line",
      "##[error]inverted lines dropped",
      "##[error]inverted columns dropped",
    ],
    effects: [
      ann("error", "lone end line becomes the line", { line: 4, endLine: 4 }),
      ann("error", "lone end column becomes the column", { line: 1, col: 6, endColumn: 6 }),
      ann("error", "columns need a line"),
      ann("error", "columns need a single line", { line: 1, endLine: 2 }),
      ann("error", "inverted lines dropped"),
      ann("error", "inverted columns dropped", { line: 5 }),
    ],
  },
  {
    name: "multi-line annotation: tag on the first line only",
    lines: ["::error::first%0Asecond"],
    out: ["##[error]first", "second"],
    effects: [ann("error", "first\nsecond")],
  },
  {
    name: "set-output warns and sets",
    lines: ["::set-output name=result::42"],
    out: [`##[warning]${DEPRECATED("set-output")}`],
    effects: [ann("warning", DEPRECATED("set-output")), ["output", "result", "42"]],
  },
  {
    name: "save-state warns and sets",
    lines: ["::save-state name=pid::123"],
    out: [`##[warning]${DEPRECATED("save-state")}`],
    effects: [ann("warning", DEPRECATED("save-state")), ["state", "pid", "123"]],
  },
  {
    name: "set-output without a name fails",
    lines: ["::set-output::42"],
    out: [
      `##[warning]${DEPRECATED("set-output")}`,
      `##[error]${UNABLE("::set-output::42")}`,
      "##[error]Required field 'name' is missing in ##[set-output] command.",
    ],
    effects: [
      ann("warning", DEPRECATED("set-output")),
      ann("error", UNABLE("::set-output::42")),
      ann("error", "Required field 'name' is missing in ##[set-output] command."),
    ],
    failed: true,
  },
  {
    name: "set-env refused",
    lines: ["::set-env name=A::1"],
    out: [`##[error]${UNABLE("::set-env name=A::1")}`, `##[error]${DISABLED("set-env")}`],
    effects: [ann("error", UNABLE("::set-env name=A::1")), ann("error", DISABLED("set-env"))],
    failed: true,
  },
  {
    name: "add-path refused",
    lines: ["::add-path::/opt/bin"],
    out: [`##[error]${UNABLE("::add-path::/opt/bin")}`, `##[error]${DISABLED("add-path")}`],
    effects: [ann("error", UNABLE("::add-path::/opt/bin")), ann("error", DISABLED("add-path"))],
    failed: true,
  },
  {
    name: "set-env and add-path allowed",
    lines: ["::set-env name=A::1", "::add-path::/opt/bin"],
    opts: { allowUnsecureCommands: true },
    out: [],
    effects: [
      ["env", "A", "1"],
      ["path", "/opt/bin"],
    ],
  },
  {
    name: "set-env cannot set NODE_OPTIONS",
    lines: ["::set-env name=node_options::--x"],
    opts: { allowUnsecureCommands: true },
    out: ["##[error]Can't update NODE_OPTIONS environment variable using ::set-env:: command."],
    effects: [
      ann("error", "Can't update NODE_OPTIONS environment variable using ::set-env:: command."),
    ],
  },
  {
    name: "stop-commands: lines verbatim until the token, token masked",
    lines: [
      "::stop-commands::pause-token-123",
      "::warning::not a warning",
      "::add-mask::not a mask",
      "::stop-commands::other",
      "::pause-token-123::",
      "::warning::a warning again",
    ],
    out: [
      "::stop-commands::pause-token-123",
      "::warning::not a warning",
      "::add-mask::not a mask",
      "::stop-commands::other",
      "::pause-token-123::",
      "##[warning]a warning again",
    ],
    effects: [["mask", "pause-token-123"], ann("warning", "a warning again")],
  },
  {
    name: "stop-commands: resume is case-insensitive",
    lines: ["::stop-commands::MyToken1", "::MYTOKEN1::", "::endgroup::"],
    out: ["::stop-commands::MyToken1", "::MYTOKEN1::", "##[endgroup]"],
    effects: [["mask", "MyToken1"]],
  },
  {
    name: "stop-commands: short tokens are not masked",
    lines: ["::stop-commands::abc", "::abc::"],
    out: ["::stop-commands::abc", "::abc::"],
    effects: [],
  },
  {
    name: "stop-commands: a command name is not a valid token",
    lines: ["::stop-commands::warning", "::warning::still processed"],
    out: [
      `##[error]${UNABLE("::stop-commands::warning")}`,
      `##[error]${BAD_TOKEN}`,
      "##[warning]still processed",
    ],
    effects: [
      ann("error", UNABLE("::stop-commands::warning")),
      ann("error", BAD_TOKEN),
      ann("warning", "still processed"),
    ],
    failed: true,
  },
  {
    name: "stop-commands: an empty token is invalid",
    lines: ["::stop-commands::"],
    out: [`##[error]${UNABLE("::stop-commands::")}`, `##[error]${BAD_TOKEN}`],
    effects: [ann("error", UNABLE("::stop-commands::")), ann("error", BAD_TOKEN)],
    failed: true,
  },
  {
    name: "stop-commands: invalid tokens allowed on request",
    lines: ["::stop-commands::pause-logging", "::warning::x", "::pause-logging::"],
    opts: { allowUnsecureStopCommandTokens: true },
    out: ["::stop-commands::pause-logging", "::warning::x", "::pause-logging::"],
    effects: [["mask", "pause-logging"]],
  },
  {
    name: "echo: commands echoed before their effect, except the omitted ones",
    lines: [
      "::echo::on",
      "::group::G",
      "::set-output name=a::1",
      "::add-mask::secret",
      "::warning::w",
      "::debug::d",
      "::endgroup::",
      "::echo::off",
      "::group::quiet",
    ],
    out: [
      "::group::G",
      "##[group]G",
      "::set-output name=a::1",
      `##[warning]${DEPRECATED("set-output")}`,
      "::add-mask::***",
      "##[warning]w",
      "::endgroup::",
      "##[endgroup]",
      "::echo::off",
      "##[group]quiet",
    ],
    effects: [
      ann("warning", DEPRECATED("set-output")),
      ["output", "a", "1"],
      ["mask", "secret"],
      ann("warning", "w"),
    ],
  },
  {
    name: "echo defaults to on with step debug",
    lines: ["::group::G"],
    opts: { debug: true },
    out: ["::group::G", "##[group]G"],
  },
  {
    name: "echo: ON/Off accepted, anything else fails",
    lines: ["::echo:: ON ", "::echo::Off", "::echo::maybe"],
    // Echo happens before the command runs: `on` is not echoed, `off` is.
    out: [
      "::echo::Off",
      `##[error]${UNABLE("::echo::maybe")}`,
      "##[error]Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: 'maybe'.",
    ],
    effects: [
      ann("error", UNABLE("::echo::maybe")),
      ann(
        "error",
        "Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: 'maybe'.",
      ),
    ],
    failed: true,
  },
  {
    name: "problem matcher commands are consumed",
    lines: ["::add-matcher::.github/matcher.json", "::remove-matcher owner=x::"],
    out: [],
  },
  {
    name: "CRLF output",
    lines: ["::warning::w\r", "plain\r"],
    out: ["##[warning]w", "plain\r"],
    effects: [ann("warning", "w")],
  },
];

describe("CommandProcessor", () => {
  it.each(cases)("$name", (c) => {
    const result = transcript(c.lines, c.opts);
    expect(result.out).toEqual(c.out);
    expect(result.effects).toEqual(c.effects ?? []);
    expect(result.failed).toBe(c.failed ?? false);
  });
});

describe("CommandProcessor.processBlock", () => {
  it("runs commands of whole lines, but not at the start of a cut line's rest", () => {
    const outputs: string[] = [];
    const processor = new CommandProcessor({
      debug: false,
      allowUnsecureCommands: false,
      effects: {
        mask: () => {},
        annotation: () => {},
        output: (name, value) => outputs.push(`${name}=${value}`),
        state: () => {},
        env: () => {},
        path: () => {},
      },
    });
    const blocks = new LineBlocks();
    const first = blocks.push(Buffer.alloc(MAX_LINE_BYTES, "a"));
    expect(first).toBeNull();
    const cut = blocks.push(Buffer.from("::set-output name=x::pwned"))!;
    expect(processor.processBlock(cut)).toEqual(["a".repeat(MAX_LINE_BYTES)]);
    const rest = blocks.push(Buffer.from("\n::set-output name=y::ok\n"))!;
    expect(processor.processBlock(rest)).toEqual([
      "::set-output name=x::pwned",
      `##[warning]${DEPRECATED("set-output")}`,
    ]);
    expect(outputs).toEqual(["y=ok"]);
  });
});
