/** Calls back once per line of a text stream; the last partial line on `end()`. */
export class LineReader {
  private rest = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.rest + chunk).split("\n");
    this.rest = parts.pop() ?? "";
    for (const line of parts) this.onLine(line);
  }

  end(): void {
    if (this.rest !== "") this.onLine(this.rest);
    this.rest = "";
  }
}
