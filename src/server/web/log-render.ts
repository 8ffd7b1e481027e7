import Anser from "anser";
import type { LogSlice } from "../../store/records.ts";
import { escapeHtml } from "./escape-html.ts";

/**
 * Job logs as HTML. `renderLogLine` is the unit both the first page render and the live
 * stream use (the client script assembles streamed lines the way `renderLog` does), so a
 * line looks the same however it arrived. Log text is untrusted: every character of it
 * goes through `escapeHtml`, and the only markup is ours.
 */

export type LogLineKind = "line" | "group" | "endgroup";

export interface RenderedLine {
  kind: LogLineKind;
  /** One `<div class="line" id="L<n>">` element. */
  html: string;
}

// The runtime's workflow-command lines (src/runtime/workflow-commands.ts), prefix removed
// when shown; the label keeps the meaning readable without the colour.
const commands: Record<string, { cls: string; label: string }> = {
  error: { cls: "log-error", label: "Error: " },
  warning: { cls: "log-warning", label: "Warning: " },
  notice: { cls: "log-notice", label: "Notice: " },
  debug: { cls: "log-debug", label: "" },
  command: { cls: "log-command", label: "" },
};

const commandPattern = /^##\[(group|endgroup|error|warning|notice|debug|command)\]/;

export function renderLogLine(n: number, text: string): RenderedLine {
  const visible = afterCarriageReturn(text);
  const match = commandPattern.exec(visible);
  const command = match?.[1];
  const rest = match ? visible.slice(match[0].length) : visible;
  if (command === "group") return { kind: "group", html: lineHtml(n, "group-title", rest) };
  if (command === "endgroup") return { kind: "endgroup", html: lineHtml(n, "endgroup", "") };
  const style = command ? commands[command] : undefined;
  if (!style) return { kind: "line", html: lineHtml(n, "", rest) };
  return { kind: "line", html: lineHtml(n, style.cls, rest, style.label) };
}

/** Whether a raw line is an `##[error]` line: a group holding one starts unfolded. */
export function isErrorLine(text: string): boolean {
  return afterCarriageReturn(text).startsWith("##[error]");
}

/** The number of the slice's last line (`firstLine - 1` for an empty slice): where a live stream resumes. */
export function lastLineNumber(slice: LogSlice): number {
  return slice.firstLine + slice.lines.length - 1;
}

interface LineNode {
  html: string;
  error: boolean;
}

interface GroupNode {
  head: string;
  children: LogNode[];
  closed: boolean;
  error: boolean;
}

type LogNode = LineNode | GroupNode;

/**
 * The whole slice, groups folded as `<details>`: closed unless they hold an error line or
 * were never closed (the step still running, or a log cut short). A stray `##[endgroup]`
 * closes nothing; a group left open at the end is closed in the markup and marked
 * `data-unclosed`, which tells the client script where streamed lines go.
 */
export function renderLog(slice: LogSlice): string {
  const root: GroupNode = { head: "", children: [], closed: false, error: false };
  const stack: GroupNode[] = [root];
  slice.lines.forEach((text, i) => {
    const line = renderLogLine(slice.firstLine + i, text);
    const top = stack[stack.length - 1]!;
    if (line.kind === "group") {
      const group: GroupNode = { head: line.html, children: [], closed: false, error: false };
      top.children.push(group);
      stack.push(group);
    } else if (line.kind === "endgroup") {
      top.children.push({ html: line.html, error: false });
      if (stack.length > 1) {
        top.closed = true;
        stack.pop();
      }
    } else {
      const error = isErrorLine(text);
      top.children.push({ html: line.html, error });
      if (error) for (const g of stack) g.error = true;
    }
  });
  return root.children.map(serialize).join("");
}

function serialize(node: LogNode): string {
  if ("html" in node) return node.html;
  const open = node.error || !node.closed ? " open" : "";
  const unclosed = node.closed ? "" : " data-unclosed";
  return `<details class="group"${open}${unclosed}><summary>${node.head}</summary>${node.children.map(serialize).join("")}</details>`;
}

function lineHtml(n: number, cls: string, text: string, label = ""): string {
  const tag = label ? `<span class="log-label">${label}</span>` : "";
  return `<div class="line${cls ? ` ${cls}` : ""}" id="L${n}"><a href="#L${n}" class="ln">${n}</a><span class="lt">${tag}${ansiHtml(text)}</span></div>`;
}

/** A terminal shows what came after the last carriage return (progress bars redraw a line). */
function afterCarriageReturn(text: string): string {
  const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
  const cr = trimmed.lastIndexOf("\r");
  return cr < 0 ? trimmed : trimmed.slice(cr + 1);
}

const rgb = /^\d{1,3}, \d{1,3}, \d{1,3}$/;

/** SGR colours and decorations as spans; other escape sequences (cursor moves) are dropped. */
function ansiHtml(text: string): string {
  if (!text.includes("\x1b")) return linkify(text);
  return Anser.ansiToJson(text, { remove_empty: true })
    .map((entry) => {
      let fg = entry.fg && rgb.test(entry.fg) ? `rgb(${entry.fg})` : null;
      let bg = entry.bg && rgb.test(entry.bg) ? `rgb(${entry.bg})` : null;
      const decorations = entry.decorations.filter((d) => d !== "blink");
      if (decorations.includes("reverse")) {
        [fg, bg] = [bg ?? "var(--log-bg)", fg ?? "var(--log-fg)"];
      }
      const styles = [fg && `color:${fg}`, bg && `background-color:${bg}`].filter(Boolean);
      const classes = decorations.filter((d) => d !== "reverse").map((d) => `ansi-${d}`);
      const content = linkify(entry.content);
      if (styles.length === 0 && classes.length === 0) return content;
      const cls = classes.length ? ` class="${classes.join(" ")}"` : "";
      const style = styles.length ? ` style="${styles.join(";")}"` : "";
      return `<span${cls}${style}>${content}</span>`;
    })
    .join("");
}

const urlPattern = /https?:\/\/[^\s<>"'`]+/g;

/** Escaped text with http(s) URLs as links; trailing punctuation stays text. */
function linkify(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(urlPattern)) {
    const url = match[0].replace(/[.,;:!?)\]}]+$/, "");
    const start = match.index;
    out += escapeHtml(text.slice(last, start));
    const href = escapeHtml(url);
    out += `<a href="${href}" rel="nofollow noopener noreferrer" target="_blank">${href}</a>`;
    last = start + url.length;
  }
  return out + escapeHtml(text.slice(last));
}
