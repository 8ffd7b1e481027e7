import { cp, mkdir, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { git } from "./git.ts";
import { fail } from "./run-step.ts";
import type { StepContext, StepRun } from "./steps.ts";

/**
 * The native `actions/checkout`: fetches the job's exact commit into the workspace
 * (or `with.path`) with the system git. Supported inputs: `path`, `ref`,
 * `fetch-depth` (default 1, 0 = full history); others are accepted and ignored.
 * For `equinox run`, `overlayFrom` then copies the working tree's uncommitted
 * changes on top, so a local run tests what is on disk.
 */
export async function checkout(ctx: StepContext, inputs: Record<string, string>): Promise<StepRun> {
  const { spec } = ctx.state;
  const log = (line: string) => ctx.state.out.log(ctx.logIndex, [line]);
  const workspace = spec.paths.workspace;
  const target = inputs.path
    ? isAbsolute(inputs.path)
      ? inputs.path
      : resolve(workspace, inputs.path)
    : workspace;
  if (!target.startsWith(workspace))
    return fail(ctx, `checkout: path '${inputs.path}' is outside the workspace`);
  const source = spec.checkout;
  try {
    switch (source.kind) {
      case "none":
        return fail(ctx, "checkout: this job has no repository to check out");
      case "dir": {
        log(`Copying ${source.path} into ${target}`);
        await mkdir(target, { recursive: true });
        await cp(source.path, target, {
          recursive: true,
          filter: (src) => !src.split("/").includes(".git"),
        });
        return { outcome: "success", outputs: {} };
      }
      case "git": {
        const ref = inputs.ref || source.sha;
        const depth = Number(inputs["fetch-depth"] ?? "1");
        await mkdir(target, { recursive: true });
        await git(target, ["init", "-q"]);
        await git(target, ["config", "advice.detachedHead", "false"]);
        log(`Fetching ${ref} from ${source.url}`);
        const depthArgs = Number.isFinite(depth) && depth > 0 ? [`--depth=${depth}`] : [];
        await git(target, ["fetch", "-q", "--no-tags", ...depthArgs, source.url, ref]);
        await git(target, ["checkout", "-q", "--force", "FETCH_HEAD"]);
        if (!inputs.ref && source.ref.startsWith("refs/heads/")) {
          // Tools that read the branch (e.g. `git rev-parse --abbrev-ref HEAD`) see it as in Actions.
          await git(target, ["checkout", "-q", "-B", source.ref.slice("refs/heads/".length)]);
        }
        const { stdout } = await git(target, ["rev-parse", "HEAD"]);
        log(`HEAD is now at ${stdout.trim()}`);
        if (source.overlayFrom) await overlayWorkingTree(source.overlayFrom, target, log);
        return { outcome: "success", outputs: {} };
      }
    }
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr || (err as Error).message).trim();
    return fail(ctx, `checkout failed: ${detail}`);
  }
}

/** Copies modified and untracked (not ignored) files, and removes deleted ones. */
async function overlayWorkingTree(from: string, to: string, log: (line: string) => void) {
  const list = async (args: string[]) =>
    (await git(from, ["ls-files", "-z", ...args])).stdout.split("\0").filter(Boolean);
  const deleted = new Set(await list(["--deleted"]));
  const changed = (await list(["--modified", "--others", "--exclude-standard"])).filter(
    (f) => !deleted.has(f),
  );
  for (const file of changed) {
    await mkdir(join(to, file, ".."), { recursive: true });
    await cp(join(from, file), join(to, file), { recursive: true });
  }
  for (const file of deleted) await rm(join(to, file), { force: true });
  if (changed.length + deleted.size > 0) {
    log(
      `Applied ${changed.length} changed and ${deleted.size} deleted file(s) from the working tree`,
    );
  }
}
