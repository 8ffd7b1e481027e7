import type { Annotation, RuntimeEvent } from "../core/events.ts";
import type { Masker } from "../core/masking.ts";
import { encodeEvent } from "../core/ndjson.ts";

/**
 * The runtime's only way out: masked events, written as NDJSON. Writes go straight
 * to the stream; a slow reader applies back-pressure through `drain`.
 */
export class EventWriter {
  constructor(
    private readonly out: NodeJS.WritableStream,
    readonly masker: Masker,
  ) {}

  private pending: Promise<void> | null = null;

  emit(e: RuntimeEvent): void {
    const ok = this.out.write(encodeEvent(e));
    if (!ok && !this.pending) {
      this.pending = new Promise((resolve) =>
        this.out.once("drain", () => {
          this.pending = null;
          resolve();
        }),
      );
    }
  }

  /** Resolves once the stream has room again; steps await it between chunks. */
  ready(): Promise<void> {
    return this.pending ?? Promise.resolve();
  }

  log(step: number | null, lines: string[]): void {
    if (lines.length === 0) return;
    // A log line is one line: multi-line messages (e.g. git's stderr) are split.
    if (lines.some((l) => l.includes("\n"))) lines = lines.flatMap((l) => l.split(/\r?\n/));
    const masked = this.masker.size === 0 ? lines : lines.map((l) => this.masker.mask(l));
    this.emit({ type: "log", at: new Date().toISOString(), step, lines: masked });
  }

  annotation(step: number | null, a: Annotation): void {
    const masked = { ...a, message: this.masker.mask(a.message) };
    if (a.title !== undefined) masked.title = this.masker.mask(a.title);
    this.emit({ type: "annotation", at: new Date().toISOString(), step, annotation: masked });
  }

  /** Flushes: resolves when everything written so far has been handed to the OS. */
  end(): Promise<void> {
    return new Promise((resolve) => this.out.write("", () => resolve()));
  }
}
