import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ownerGone, ownerId } from "../engine/docker/owner.ts";

/** A second server on one data directory would reconcile away the first one's runs. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: string,
  ) {
    super(`another equinox serve (${owner}) is using the data directory ${dataDir}; stop it first`);
  }
}

const LOCK_FILE = "serve.lock";

/**
 * Claims `dataDir` for this process: a lock file naming it (`host:pid:start…`, as
 * container owners are named). A lock whose process is gone is taken over; one held
 * by a live process fails with DataDirInUse. Returns the release.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  const me = ownerId();
  const holder = async () => (await readFile(path, "utf8").catch(() => "")).trim();
  for (let attempt = 1; ; attempt++) {
    try {
      const file = await open(path, "wx", 0o600);
      await file.writeFile(`${me}\n`);
      await file.close();
      return async () => {
        if ((await holder()) === me) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await holder();
    // An empty file is a claim being written; a few tries settle a race.
    if ((owner && !ownerGone(owner)) || attempt === 3)
      throw new DataDirInUse(dataDir, owner || "starting");
    // Left by a server that was killed: ours now.
    if (owner) await rm(path, { force: true });
    else await new Promise((r) => setTimeout(r, 100));
  }
}
