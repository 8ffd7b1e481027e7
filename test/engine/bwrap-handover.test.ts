import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { BwrapExecutor } from "../../src/engine/executors/bwrap.ts";
import { describeBwrap } from "../bwrap.ts";

// Run as root, the bwrap executor hands the shared tool cache to the sandbox user. The
// cache is the jobs' to write: a link a job left there must not hand over its target.

const root = mkdtempSync(join(tmpdir(), "equinox-handover-"));
chmodSync(root, 0o711); // the sandbox user must reach the executor's root below it
afterAll(() => rmSync(root, { recursive: true, force: true }));
const NOBODY = 65534;

describeBwrap("bwrap tool cache hand-over", () => {
  it.skipIf(process.getuid?.() !== 0)(
    "hands over files and directories, never what a symlink points to",
    async () => {
      const outside = join(root, "outside");
      mkdirSync(join(outside, "dir"), { recursive: true });
      writeFileSync(join(outside, "shadow"), "root only\n", { mode: 0o600 });
      writeFileSync(join(outside, "dir", "inner"), "root only\n", { mode: 0o600 });
      const cache = join(root, "work", ".tool-cache-sandbox");
      mkdirSync(join(cache, "node", "20"), { recursive: true });
      writeFileSync(join(cache, "node", "20", "bin"), "a tool\n");
      // What a job could leave: `ln -s /etc/shadow $RUNNER_TOOL_CACHE/p`.
      symlinkSync(join(outside, "shadow"), join(cache, "p"));
      symlinkSync(join(outside, "dir"), join(cache, "d"));

      const executor = new BwrapExecutor({ root: join(root, "work"), toolCache: cache });
      const session = await executor.prepare({
        jobKey: "handover-1",
        placement: { executor: "bwrap", network: false, limits: {} },
      });
      await session.cleanup();
      await executor.dispose?.();

      expect(statSync(join(cache, "node", "20", "bin")).uid).toBe(NOBODY);
      expect(statSync(join(cache, "node")).uid).toBe(NOBODY);
      for (const target of ["shadow", "dir", join("dir", "inner")])
        expect(statSync(join(outside, target)).uid, target).toBe(0);
      expect(lstatSync(join(cache, "p")).isSymbolicLink()).toBe(true);
    },
  );
});
