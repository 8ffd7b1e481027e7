/** Splits a byte stream into lines; `\r\n` and `\n` end a line, a partial line waits. */
export class LineSplitter {
  private rest = "";

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split("\n");
    this.rest = parts.pop() ?? "";
    return parts.map(stripCr);
  }

  end(): string[] {
    const rest = this.rest;
    this.rest = "";
    return rest === "" ? [] : [stripCr(rest)];
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
