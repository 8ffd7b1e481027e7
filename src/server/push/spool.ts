import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type PushEvent, parsePushEvent } from "./push-event.ts";

/**
 * The durable hand-off for pushes the server did not acknowledge: one JSON file per
 * event in `DATA/spool/`, named `<pushed_at ms>-<id>.json` so a directory listing
 * is the replay order. A file appears whole or not at all (written aside, fsynced,
 * renamed); the server replays and removes it at start. Nothing here deletes a file
 * it cannot read: that goes to `bad/` for a person to look at.
 */

export interface SpooledEvent {
  /** Absolute path of the spool file (give it to `removeSpooled` once handled). */
  file: string;
  event: PushEvent;
}

export interface SpoolProblem {
  /** Where the unreadable file now is (under `bad/`). */
  file: string;
  error: string;
}

export interface SpoolContents {
  /** Oldest push first. */
  events: SpooledEvent[];
  problems: SpoolProblem[];
}

const SPOOL_FILE = /^(\d+)-([0-9A-Za-z-]+)\.json$/;

/** Writes `event` durably to `dir` (created if missing); returns the file's path. */
export async function writeSpool(dir: string, event: PushEvent): Promise<string> {
  await mkdir(dir, { recursive: true });
  const ms = Date.parse(event.pushed_at);
  const name = `${String(Number.isNaN(ms) ? Date.now() : ms).padStart(13, "0")}-${event.id}.json`;
  // A leading dot keeps a half-written file out of readSpool after a crash.
  const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
  const file = join(dir, name);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(event)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDir(dir);
  return file;
}

/**
 * The spooled events, oldest first. A file that does not parse as a push event is
 * moved to `<dir>/bad/` and reported, never thrown over and never deleted. A
 * missing `dir` is an empty spool.
 */
export async function readSpool(dir: string): Promise<SpoolContents> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { events: [], problems: [] };
    throw err;
  }
  const entries = names
    .map((name) => ({ name, match: SPOOL_FILE.exec(name) }))
    .filter((e): e is { name: string; match: RegExpExecArray } => e.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]) || a.name.localeCompare(b.name));
  const events: SpooledEvent[] = [];
  const problems: SpoolProblem[] = [];
  for (const { name } of entries) {
    const file = join(dir, name);
    let error: string;
    try {
      const parsed = parsePushEvent(JSON.parse(await readFile(file, "utf8")));
      if (parsed.ok) {
        events.push({ file, event: parsed.value });
        continue;
      }
      error = parsed.error;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // replayed meanwhile
      error = `not JSON: ${(err as Error).message}`;
    }
    problems.push({ file: await moveToBad(dir, name), error: `${name}: ${error}` });
  }
  return { events, problems };
}

/** Removes a handled spool file; one already gone is fine. */
export async function removeSpooled(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Moves a spool file the server could not handle to `bad/` for a person to look at;
 * returns where it now is.
 */
export function moveSpooledToBad(file: string): Promise<string> {
  return moveToBad(dirname(file), basename(file));
}

async function moveToBad(dir: string, name: string): Promise<string> {
  const badDir = join(dir, "bad");
  await mkdir(badDir, { recursive: true });
  let target = join(badDir, name);
  try {
    // Never overwrite an earlier bad file of the same name.
    await open(target, "wx").then((h) => h.close());
  } catch {
    target = join(badDir, `${name}.${randomUUID()}`);
  }
  await rename(join(dir, name), target);
  return target;
}

async function syncDir(dir: string): Promise<void> {
  // The rename is durable only once the directory is; some platforms refuse to
  // fsync a directory, and then there is nothing more to do.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {}
}
