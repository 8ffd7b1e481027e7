import { Buffer } from "node:buffer";

/**
 * The runtime's stdin: the job spec as its first line (or all of it, when the
 * executor closes stdin without a newline), then one JSON answer per line for the
 * step containers the runtime asked for.
 */
export class StdinChannel {
  private buffer: Buffer = Buffer.alloc(0);
  private spec: ((text: string) => void) | null = null;
  private specText: string | null = null;
  private ended = false;
  private endHandler: () => void = () => {};
  onLine: (line: string) => void = () => {};

  constructor(private readonly stream: NodeJS.ReadableStream) {
    stream.on("data", (chunk: Buffer) => this.push(chunk));
    stream.on("end", () => this.end());
    stream.on("error", () => this.end());
  }

  /** Called at EOF — at once when EOF has already come (it may come with the spec). */
  set onEnd(handler: () => void) {
    this.endHandler = handler;
    if (this.ended) handler();
  }

  /** Stops reading until `resume()`: the executor then has to wait before answering more. */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** The spec's text, once it has arrived. */
  firstLine(): Promise<string> {
    if (this.specText !== null) return Promise.resolve(this.specText);
    return new Promise((resolve) => {
      this.spec = resolve;
    });
  }

  private push(chunk: Buffer) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (let nl = this.buffer.indexOf(10); nl !== -1; nl = this.buffer.indexOf(10)) {
      const line = this.buffer.toString("utf8", 0, nl);
      this.buffer = this.buffer.subarray(nl + 1);
      this.line(line);
    }
  }

  private line(text: string) {
    if (this.specText === null) {
      this.specText = text;
      this.spec?.(text);
    } else if (text.trim() !== "") this.onLine(text);
  }

  private end() {
    if (this.buffer.length > 0) {
      const rest = this.buffer.toString("utf8");
      this.buffer = Buffer.alloc(0);
      this.line(rest);
    }
    if (this.specText === null) this.line("");
    this.ended = true;
    this.endHandler();
  }
}
