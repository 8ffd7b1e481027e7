import type { PushEvent, PushReply } from "./push-event.ts";
import { moveSpooledToBad, readSpool, removeSpooled } from "./spool.ts";

/**
 * Replays the spool, oldest push first, and resolves once done; it never rejects.
 * Each event is handled on its own: one whose handling throws (a commit the server
 * cannot read, a store error) is moved to `bad/` and logged, so it neither blocks
 * the pushes after it nor stops the server from starting. A push the server refuses
 * (a repository deleted since) is logged and removed, as the hook would have been
 * told. Calls while a replay is under way share it.
 */
export function spoolDrainer(
  dir: string,
  push: (event: PushEvent) => Promise<PushReply>,
  log: (line: string) => void,
): () => Promise<void> {
  let running: Promise<void> | null = null;
  const drain = async () => {
    let spooled: Awaited<ReturnType<typeof readSpool>>;
    try {
      spooled = await readSpool(dir);
    } catch (err) {
      log(`equinox: spool: ${(err as Error).message}`);
      return;
    }
    for (const p of spooled.problems) log(`equinox: spool: ${p.file}: ${p.error} (moved aside)`);
    for (const { file, event } of spooled.events) {
      try {
        const reply = await push(event);
        if (!reply.ok) log(`equinox: spooled push ${file}: ${reply.error}`);
        await removeSpooled(file);
      } catch (err) {
        const message = (err as Error).message;
        const moved = await moveSpooledToBad(file).catch((moveErr: Error) => {
          log(`equinox: spool: cannot move ${file} aside: ${moveErr.message}`);
          return null;
        });
        log(
          `equinox: spooled push ${file} failed: ${message}${moved ? ` (moved to ${moved})` : ""}`,
        );
      }
    }
  };
  return () => {
    running ??= drain().finally(() => {
      running = null;
    });
    return running;
  };
}
