import { Buffer } from "node:buffer";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Job logs as append-only files, one per job (`DIR/<jobId>.log`, each line ending in
 * `\n`); the store's `log_chunks` rows say which lines sit at which bytes. Logs are
 * most of what a CI server stores: in files they are written by the OS in the
 * background rather than twice through the database's pages on the server's thread,
 * and served as they are.
 */
export class LogFiles {
  private made = false;

  constructor(readonly dir: string) {}

  path(jobId: number): string {
    return join(this.dir, `${jobId}.log`);
  }

  /**
   * Appends `data`; resolves with the offset it starts at. The caller runs appends to
   * one job one after another (the offset is the file's size when this one starts).
   */
  async append(jobId: number, data: Buffer): Promise<number> {
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const file = await open(this.path(jobId), "a");
    try {
      // After a crash the file may end with bytes no chunk points at: they stay unread.
      const { size } = await file.stat();
      const { bytesWritten } = await file.write(data);
      if (bytesWritten !== data.length)
        throw new Error(`wrote ${bytesWritten} of ${data.length} bytes to ${this.path(jobId)}`);
      return size;
    } finally {
      await file.close();
    }
  }

  /** `length` bytes from `offset`; an error if the file holds fewer. */
  async read(jobId: number, offset: number, length: number): Promise<Buffer> {
    const data = Buffer.allocUnsafe(length);
    const file = await open(this.path(jobId), "r");
    try {
      let read = 0;
      while (read < length) {
        const { bytesRead } = await file.read(data, read, length - read, offset + read);
        if (bytesRead === 0)
          throw new Error(
            `the log file of job ${jobId} ends before byte ${offset + length} (${this.path(jobId)})`,
          );
        read += bytesRead;
      }
      return data;
    } finally {
      await file.close();
    }
  }

  async remove(jobIds: readonly number[]): Promise<void> {
    await Promise.all(jobIds.map((id) => rm(this.path(id), { force: true })));
  }
}
