import type { Annotation } from "../core/events.ts";
import { linesOf } from "../core/log-block.ts";
import type { JobRecord, SchedulerEvent } from "../engine/scheduler.ts";

export interface RendererOptions {
  color: boolean;
  /** Only the summary (and failing jobs' errors) — no live output. */
  quiet: boolean;
}

const ANSI = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  blue: "\x1b[34m",
  cyan: "\x1b[36m",
};
const JOB_COLORS = [
  "\x1b[36m",
  "\x1b[35m",
  "\x1b[34m",
  "\x1b[33m",
  "\x1b[32m",
  "\x1b[96m",
  "\x1b[95m",
];

/**
 * Live terminal output for `equinox run`: every line prefixed by job, step starts
 * and ends marked, `##[group]` sections shown as headers with their lines indented,
 * and a summary table at the end. Colors only when asked (on a TTY).
 */
export class TerminalRenderer {
  private readonly jobColors = new Map<string, string>();
  private readonly inGroup = new Set<string>();
  private readonly stepStart = new Map<string, number>();
  private readonly stepNames = new Map<string, string>();
  /** Per job: where the annotation whose `##[level]` line comes next points. */
  private readonly pendingLocation = new Map<string, string>();
  /** Per job: the name of a started step whose header is not printed yet. */
  private readonly pendingHeader = new Map<string, string>();
  private width = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: RendererOptions,
  ) {}

  private paint(code: string, text: string): string {
    return this.options.color ? `${code}${text}${ANSI.reset}` : text;
  }

  private prefix(job: { key: string; name: string }): string {
    let color = this.jobColors.get(job.key);
    if (!color) {
      color = JOB_COLORS[this.jobColors.size % JOB_COLORS.length]!;
      this.jobColors.set(job.key, color);
    }
    this.width = Math.max(this.width, job.name.length);
    return this.paint(color, `[${job.name}]`);
  }

  private line(job: { key: string; name: string }, text: string) {
    if (this.options.quiet) return;
    this.write(`${this.prefix(job)} ${text}\n`);
  }

  handle(event: SchedulerEvent): void {
    switch (event.type) {
      case "job.started":
        this.line(event.job, this.paint(ANSI.bold, `⏵ job ${event.job.name}`));
        return;
      case "job.log":
        this.logLine(event.job, event.line);
        return;
      case "diagnostic":
        if (event.job) this.line(event.job, this.paint(ANSI.dim, `(runtime) ${event.line}`));
        else if (!this.options.quiet) this.write(`${event.line}\n`);
        return;
      case "job.finished":
        if (event.job.startedAt !== null) {
          this.line(
            event.job,
            `${this.resultMark(event.job.result)} job ${event.job.name} ${this.paint(ANSI.dim, duration(event.job))}`,
          );
        } else if (event.job.result === "failure") {
          this.line(event.job, `${this.resultMark("failure")} job ${event.job.name}`);
        }
        return;
      case "job.event": {
        const { job, event: e } = event;
        const stepKey = (index: number) => `${job.key}/${index}`;
        switch (e.type) {
          case "step.started":
            this.stepStart.set(stepKey(e.index), Date.parse(e.at));
            this.stepNames.set(stepKey(e.index), e.name);
            // The header waits for the step's first line: a silent or skipped step is one line.
            this.pendingHeader.set(job.key, e.name);
            return;
          case "log":
            this.flushHeader(job);
            for (const l of linesOf(e.data)) this.logLine(job, l);
            return;
          case "annotation":
            // The message follows as a `##[level]` log line; it gets the location appended.
            if (e.annotation.file) this.pendingLocation.set(job.key, location(e.annotation));
            return;
          case "step.finished": {
            this.inGroup.delete(job.key);
            this.pendingHeader.delete(job.key);
            const started = this.stepStart.get(stepKey(e.index));
            const took =
              started === undefined
                ? ""
                : ` ${this.paint(ANSI.dim, formatMs(Date.parse(e.at) - started))}`;
            const name = this.stepNames.get(stepKey(e.index)) ?? `step ${e.index + 1}`;
            const note =
              e.outcome !== e.conclusion
                ? this.paint(ANSI.dim, ` (outcome ${e.outcome}, continue-on-error)`)
                : "";
            if (e.outcome === "skipped") {
              this.line(
                job,
                `${this.resultMark("skipped")} ${this.paint(ANSI.dim, `${name} (skipped)`)}`,
              );
            } else {
              this.line(job, `${this.resultMark(e.outcome)} ${name}${took}${note}`);
            }
            return;
          }
          default:
            return;
        }
      }
    }
  }

  private flushHeader(job: { key: string; name: string }) {
    const name = this.pendingHeader.get(job.key);
    if (name === undefined) return;
    this.pendingHeader.delete(job.key);
    this.line(job, this.paint(ANSI.bold, `⏵ ${name}`));
  }

  private logLine(job: { key: string; name: string }, raw: string) {
    const directive = /^##\[(group|endgroup|error|warning|notice|debug)\](.*)$/.exec(raw);
    const indent = this.inGroup.has(job.key) ? this.paint(ANSI.dim, "│ ") : "";
    if (!directive) return this.line(job, `  ${indent}${raw}`);
    const [, kind, message] = directive as unknown as [string, string, string];
    const where =
      kind === "group" || kind === "endgroup" ? undefined : this.pendingLocation.get(job.key);
    if (where !== undefined) this.pendingLocation.delete(job.key);
    const text = where === undefined ? message : `${message} ${this.paint(ANSI.dim, `(${where})`)}`;
    switch (kind) {
      case "group":
        this.inGroup.add(job.key);
        return this.line(job, `  ${this.paint(ANSI.bold, `▾ ${text}`)}`);
      case "endgroup":
        this.inGroup.delete(job.key);
        return;
      case "error":
        return this.line(job, `  ${indent}${this.paint(ANSI.red, `Error: ${text}`)}`);
      case "warning":
        return this.line(job, `  ${indent}${this.paint(ANSI.yellow, `Warning: ${text}`)}`);
      case "notice":
        return this.line(job, `  ${indent}${this.paint(ANSI.blue, `Notice: ${text}`)}`);
      default:
        return this.line(job, `  ${indent}${this.paint(ANSI.dim, `Debug: ${text}`)}`);
    }
  }

  private resultMark(result: string): string {
    switch (result) {
      case "success":
        return this.paint(ANSI.green, "✓");
      case "failure":
        return this.paint(ANSI.red, "✗");
      case "cancelled":
        return this.paint(ANSI.yellow, "⊘");
      default:
        return this.paint(ANSI.dim, "–");
    }
  }

  /** The table printed when the run ends: job, result, duration. */
  summary(jobs: JobRecord[], result: string): void {
    const rows = jobs.map((j) => [
      j.name,
      j.result + (j.continueOnError && j.result === "failure" ? " (allowed)" : ""),
      duration(j),
    ]);
    const header = ["JOB", "RESULT", "DURATION"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd();
    const colorFor = (r: string) =>
      r.startsWith("success")
        ? ANSI.green
        : r.startsWith("failure")
          ? ANSI.red
          : r.startsWith("cancelled")
            ? ANSI.yellow
            : ANSI.dim;
    this.write(`\n${this.paint(ANSI.bold, fmt(header))}\n`);
    for (const row of rows) {
      const [name, res, took] = row as [string, string, string];
      const cells = fmt([name, res, took]);
      this.write(`${cells.replace(res, this.paint(colorFor(res), res))}\n`);
    }
    this.write(`\nRun ${this.paint(colorFor(result), result)}\n`);
  }
}

function location(a: Annotation): string {
  return `${a.file}${a.line !== undefined ? `:${a.line}` : ""}${a.col !== undefined ? `:${a.col}` : ""}`;
}

function duration(job: JobRecord): string {
  if (job.startedAt === null || job.finishedAt === null) return "-";
  return formatMs(job.finishedAt - job.startedAt);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}
