import type { Buffer } from "node:buffer";
import type { Annotation, AnnotationLevel } from "../core/events.ts";
import { blockLines, continuesLine } from "./line-blocks.ts";

/**
 * Workflow commands on a step's stdout: `::name key=value,key2=value2::data`.
 * Behaviour follows the reference runner's ActionCommandManager, including its
 * messages word for word.
 */

export interface WorkflowCommand {
  /** Lowercased. */
  name: string;
  /** Keys lowercased; values unescaped. */
  properties: Record<string, string>;
  data: string;
}

/**
 * Parses one line, or returns null when it is not a command. Leading whitespace is
 * allowed; anything else before `::` is not. Unknown command names still parse.
 */
/**
 * False when no line of `block` can be a workflow command or need its `\r` dropped,
 * so the block can be logged as it is: every command has `::` in it.
 */
export function mayHoldCommand(block: Buffer): boolean {
  return block.indexOf("::") !== -1 || block.indexOf(0x0d) !== -1;
}

export function parseWorkflowCommand(line: string): WorkflowCommand | null {
  const message = line.trimStart();
  if (!message.startsWith("::")) return null;
  const end = message.indexOf("::", 2);
  if (end < 0) return null;
  const info = message.slice(2, end);
  const space = info.indexOf(" ");
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (name === "") return null;

  const properties: Record<string, string> = {};
  if (space > 0) {
    const pairs = info
      .slice(space + 1)
      .trim()
      .split(",");
    for (const pair of pairs) {
      const equals = pair.indexOf("=");
      // Like the runner, `key=` and `=value` are dropped rather than rejected.
      if (equals <= 0 || equals === pair.length - 1) continue;
      properties[pair.slice(0, equals).toLowerCase()] = unescapeProperty(pair.slice(equals + 1));
    }
  }
  return { name, properties, data: unescapeData(message.slice(end + 2)) };
}

const DATA_ESCAPES: Record<string, string> = { "%": "%25", "\r": "%0D", "\n": "%0A" };
const PROPERTY_ESCAPES: Record<string, string> = { ...DATA_ESCAPES, ":": "%3A", ",": "%2C" };
const DATA_UNESCAPES = invert(DATA_ESCAPES);
const PROPERTY_UNESCAPES = invert(PROPERTY_ESCAPES);

function invert(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));
}

export function escapeData(s: string): string {
  return s.replace(/[%\r\n]/g, (c) => DATA_ESCAPES[c]!);
}

export function escapeProperty(s: string): string {
  return s.replace(/[%\r\n:,]/g, (c) => PROPERTY_ESCAPES[c]!);
}

// Single-pass replacement, so `%250A` becomes `%0A` and not a newline.
function unescapeData(s: string): string {
  return s.replace(/%(?:25|0D|0A)/g, (e) => DATA_UNESCAPES[e]!);
}

function unescapeProperty(s: string): string {
  return s.replace(/%(?:25|0D|0A|3A|2C)/g, (e) => PROPERTY_UNESCAPES[e]!);
}

export interface CommandEffects {
  mask(value: string): void;
  annotation(a: Annotation): void;
  output(name: string, value: string): void;
  state(name: string, value: string): void;
  env(name: string, value: string): void;
  path(dir: string): void;
}

export interface CommandProcessorOptions {
  /** ACTIONS_STEP_DEBUG: show `::debug::` lines. */
  debug: boolean;
  /** ACTIONS_ALLOW_UNSECURE_COMMANDS: allow `set-env` and `add-path`. */
  allowUnsecureCommands: boolean;
  /** ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS: allow empty or command-name stop tokens. */
  allowUnsecureStopCommandTokens?: boolean;
  /** Initial echo state; the runner starts with echo on when step debug is on. */
  echo?: boolean;
  effects: CommandEffects;
}

/** Every command the runner knows; other `::x::` lines are ordinary output. */
const KNOWN = new Set([
  "add-mask",
  "add-matcher",
  "add-path",
  "debug",
  "echo",
  "endgroup",
  "error",
  "group",
  "notice",
  "remove-matcher",
  "save-state",
  "set-env",
  "set-output",
  "stop-commands",
  "warning",
]);

/** Commands the runner never echoes: their output already is the echo, or holds a secret. */
const OMIT_ECHO = new Set(["add-mask", "debug", "notice", "warning", "error"]);

const deprecated = (command: string) =>
  `The \`${command}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/`;

const disabled = (command: string) =>
  `The \`${command}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`;

const INVALID_STOP_TOKEN =
  "You cannot use a endToken that is an empty string, the string 'pause-logging', or another workflow command. For more information see: https://docs.github.com/actions/learn-github-actions/workflow-commands-for-github-actions#example-stopping-and-starting-workflow-commands or opt into insecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS` environment variable to `true`.";

/** A command that could not be processed: logged as errors and fails the step. */
class CommandFailure extends Error {}

/**
 * Processes a step's stdout line by line. Stateful (stop-commands, echo), so use one
 * per step. Returned lines are unmasked; the caller masks them.
 */
export class CommandProcessor {
  private readonly opts: CommandProcessorOptions;
  private echo: boolean;
  private stopToken: string | null = null;
  private failedCommand = false;

  constructor(opts: CommandProcessorOptions) {
    this.opts = opts;
    this.echo = opts.echo ?? opts.debug;
  }

  /** A command failed to process; the runner fails the step for that. */
  get failed(): boolean {
    return this.failedCommand;
  }

  /**
   * Processes a block of whole lines from LineBlocks; returns the lines to log instead.
   * A first line that is the rest of a cut line is output, not a command: it was never
   * at the start of a line.
   */
  processBlock(block: Buffer): string[] {
    const lines = blockLines(block);
    const shown: string[] = [];
    const continued = continuesLine(block);
    for (let i = 0; i < lines.length; i++) {
      if (i === 0 && continued) shown.push(lines[0]!);
      else for (const out of this.processLine(lines[i]!)) shown.push(out);
    }
    return shown;
  }

  /** Processes one stdout line (without its newline); returns the lines to log instead. */
  processLine(line: string): string[] {
    // Stdout is read with CRLF-aware line reading in the runner.
    const input = line.endsWith("\r") ? line.slice(0, -1) : line;
    const command = parseWorkflowCommand(input);

    if (this.stopToken !== null) {
      // The runner registers the token as a command name; its line is still shown.
      if (command !== null && command.name === this.stopToken.toLowerCase()) this.stopToken = null;
      return [line];
    }
    if (command === null || !KNOWN.has(command.name)) return [line];

    const out: string[] = [];
    try {
      // stop-commands is handled ahead of the other commands in the runner: never echoed,
      // but its line is always shown.
      if (command.name === "stop-commands") {
        this.stop(command.data);
        out.push(input);
        return out;
      }
      if (this.echo && !OMIT_ECHO.has(command.name)) out.push(input);
      this.run(command, out);
    } catch (err) {
      if (!(err instanceof CommandFailure)) throw err;
      const information = OMIT_ECHO.has(command.name) ? command.name : input;
      this.issue(out, "error", `Unable to process command '${information}' successfully.`);
      this.issue(out, "error", err.message);
      this.failedCommand = true;
    }
    return out;
  }

  private run(command: WorkflowCommand, out: string[]): void {
    const { effects } = this.opts;
    const { name, properties, data } = command;
    switch (name) {
      case "add-mask":
        if (data.trim() === "") {
          this.issue(
            out,
            "warning",
            "Can't add secret mask for empty string in ##[add-mask] command.",
          );
          return;
        }
        if (this.echo) out.push("::add-mask::***");
        effects.mask(data);
        return;
      case "debug":
        if (this.opts.debug) for (const l of lines(data)) out.push(`##[debug]${l}`);
        return;
      case "notice":
      case "warning":
      case "error":
        this.issue(out, name, data, annotationLocation(properties));
        return;
      case "group":
        out.push(...prefixed("##[group]", data));
        return;
      case "endgroup":
        out.push("##[endgroup]");
        return;
      case "echo":
        this.setEcho(data);
        return;
      case "set-output":
      case "save-state": {
        this.issue(out, "warning", deprecated(name));
        const key = properties.name;
        if (!key)
          throw new CommandFailure(`Required field 'name' is missing in ##[${name}] command.`);
        if (name === "set-output") effects.output(key, data);
        else effects.state(key, data);
        return;
      }
      case "set-env": {
        if (!this.opts.allowUnsecureCommands) throw new CommandFailure(disabled(name));
        const key = properties.name;
        if (!key)
          throw new CommandFailure(`Required field 'name' is missing in ##[${name}] command.`);
        if (key.toUpperCase() === "NODE_OPTIONS") {
          this.issue(
            out,
            "error",
            "Can't update NODE_OPTIONS environment variable using ::set-env:: command.",
          );
          return;
        }
        effects.env(key, data);
        return;
      }
      case "add-path":
        if (!this.opts.allowUnsecureCommands) throw new CommandFailure(disabled(name));
        if (data === "")
          throw new CommandFailure("Required field 'path' is missing in ##[add-path] command.");
        effects.path(data);
        return;
      case "add-matcher":
      case "remove-matcher":
        // Problem matchers are not supported; the runner consumes these lines silently.
        if (this.opts.debug)
          out.push(`##[debug]Problem matchers are not supported: ignoring ${name}`);
        return;
    }
  }

  private setEcho(value: string): void {
    const normalized = value.trim().toUpperCase();
    if (normalized !== "ON" && normalized !== "OFF") {
      throw new CommandFailure(
        `Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '${value}'.`,
      );
    }
    this.echo = normalized === "ON";
  }

  private stop(token: string): void {
    const lower = token.toLowerCase();
    const invalid = token === "" || KNOWN.has(lower) || lower === "pause-logging";
    if (invalid && !this.opts.allowUnsecureStopCommandTokens) {
      throw new CommandFailure(INVALID_STOP_TOKEN);
    }
    // The runner masks only tokens longer than 6 chars: a short one would mask common words.
    if (token.length > 6) this.opts.effects.mask(token);
    this.stopToken = token;
  }

  private issue(
    out: string[],
    level: AnnotationLevel,
    message: string,
    location: Omit<Annotation, "level" | "message"> = {},
  ): void {
    this.opts.effects.annotation({ level, message, ...location });
    out.push(...prefixed(`##[${level}]`, message));
  }
}

/** Splits a multi-line message into log lines. */
function lines(s: string): string[] {
  return s.split(/\r?\n/);
}

/** The runner writes the tag once; continuation lines of a message are plain. */
function prefixed(tag: string, message: string): string[] {
  const [first, ...rest] = lines(message);
  return [tag + first, ...rest];
}

function parseInteger(s: string | undefined): number | undefined {
  if (s === undefined || !/^\s*[+-]?\d+\s*$/.test(s)) return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Annotation fields from command properties, with the runner's ValidateLinesAndColumns
 * fix-ups: a lone end fills in the start, columns need a line (and a single-line
 * range), and an inverted range is dropped.
 */
function annotationLocation(
  properties: Record<string, string>,
): Omit<Annotation, "level" | "message"> {
  let line = parseInteger(properties.line);
  let endLine = parseInteger(properties.endline);
  let col = parseInteger(properties.col ?? properties.column);
  let endColumn = parseInteger(properties.endcolumn);
  const hasColumn = col !== undefined || endColumn !== undefined;

  if (endLine !== undefined && line === undefined) line = endLine;
  if (endColumn !== undefined && col === undefined) col = endColumn;
  if (line === undefined && hasColumn) col = endColumn = undefined;
  if (endLine !== undefined && line !== endLine && hasColumn) col = endColumn = undefined;
  if (line !== undefined && endLine !== undefined && endLine < line) line = endLine = undefined;
  if (col !== undefined && endColumn !== undefined && endColumn < col) col = endColumn = undefined;

  const location: Omit<Annotation, "level" | "message"> = {};
  if (properties.title !== undefined) location.title = properties.title;
  if (properties.file !== undefined) location.file = properties.file;
  if (line !== undefined) location.line = line;
  if (endLine !== undefined) location.endLine = endLine;
  if (col !== undefined) location.col = col;
  if (endColumn !== undefined) location.endColumn = endColumn;
  return location;
}
