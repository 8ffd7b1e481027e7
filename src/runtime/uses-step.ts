import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { evaluateCondition, interpolate } from "../core/expressions/index.ts";
import type { StepSpec, UsesStepSpec } from "../core/job-spec.ts";
import { splitArgs } from "../core/split-args.ts";
import { readStep } from "../core/workflow/read-step.ts";
import { checkout } from "./checkout.ts";
import { evalOptions, stepContexts } from "./contexts.ts";
import { git } from "./git.ts";
import { type CommandRun, type CommandSpec, fail, runCommand } from "./run-step.ts";
import { jobStatus, type StepRecord } from "./state.ts";
import { evaluateTemplates, runSteps, type StepContext, type StepRun } from "./steps.ts";

/** `uses:` — the native checkout, local actions, and remote actions when a source is configured. */
export async function runUsesStep(ctx: StepContext, step: UsesStepSpec): Promise<StepRun> {
  const contexts = stepContexts(ctx.state, ctx.scope, ctx.env);
  const withValues = evaluateTemplates(step.with, contexts, evalOptions(ctx.state));
  if (!withValues.ok) return fail(ctx, `with.${withValues.error}`);
  const uses = step.uses.trim();

  if (/^actions\/checkout@/i.test(uses)) return checkout(ctx, withValues.value);
  // A docker:// step is a Docker action with nothing but its image, as in Actions.
  if (uses.startsWith("docker://"))
    return runDockerAction(ctx, uses, null, { image: uses }, withValues.value);
  if (uses.startsWith("./") || uses === ".") {
    const dir = resolve(ctx.state.spec.paths.workspace, uses);
    return runAction(ctx, uses, dir, withValues.value);
  }
  const fetched = await fetchRemoteAction(ctx, uses);
  if (!fetched.ok) return fail(ctx, fetched.error);
  return runAction(ctx, uses, fetched.dir, withValues.value);
}

interface ActionManifest {
  name?: string;
  inputs?: Record<string, { default?: unknown; required?: boolean }>;
  outputs?: Record<string, { value?: string }>;
  runs?: {
    using?: string;
    main?: string;
    pre?: string;
    "pre-if"?: string;
    post?: string;
    "post-if"?: string;
    steps?: unknown[];
    image?: string;
    entrypoint?: string;
    "pre-entrypoint"?: string;
    "post-entrypoint"?: string;
    args?: unknown[];
    env?: Record<string, unknown>;
  };
}

async function runAction(
  ctx: StepContext,
  uses: string,
  dir: string,
  withValues: Record<string, string>,
): Promise<StepRun> {
  const manifestPath = ["action.yml", "action.yaml"]
    .map((f) => join(dir, f))
    .find((f) => existsSync(f));
  if (!manifestPath)
    return fail(
      ctx,
      `Can't find 'action.yml' or 'action.yaml' for action '${uses}' (looked in ${dir})`,
    );
  let manifest: ActionManifest;
  try {
    manifest = (parseYaml(await readFile(manifestPath, "utf8")) ?? {}) as ActionManifest;
  } catch (err) {
    return fail(
      ctx,
      `Action '${uses}': ${manifestPath} is not valid YAML: ${(err as Error).message}`,
    );
  }

  // Inputs: declared defaults (which may use expressions), overridden by `with`.
  const inputs: Record<string, string> = {};
  const contexts = stepContexts(ctx.state, ctx.scope, ctx.env);
  for (const [name, def] of Object.entries(manifest.inputs ?? {})) {
    if (def?.default === undefined) continue;
    const r = interpolate(String(def.default), contexts, evalOptions(ctx.state));
    inputs[name.toLowerCase()] = r.ok ? r.value : String(def.default);
  }
  for (const [name, value] of Object.entries(withValues)) inputs[name.toLowerCase()] = value;
  for (const [name, def] of Object.entries(manifest.inputs ?? {})) {
    if (def?.required && inputs[name.toLowerCase()] === undefined) {
      ctx.state.out.log(ctx.logIndex, [`##[warning]Input required and not supplied: ${name}`]);
    }
  }

  const using = String(manifest.runs?.using ?? "");
  if (using === "composite") return runComposite(ctx, uses, dir, manifest, inputs);
  if (/^node\d+$/.test(using)) {
    if (!manifest.runs?.main) return fail(ctx, `Action '${uses}' (${using}) has no runs.main`);
    const env: Record<string, string> = { GITHUB_ACTION_PATH: dir };
    for (const [name, value] of Object.entries(inputs)) {
      env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
    }
    return runNodeAction(ctx, uses, dir, manifest.runs, env);
  }
  if (using === "docker") return runDockerAction(ctx, uses, dir, manifest.runs ?? {}, inputs);
  return fail(
    ctx,
    `Action '${uses}' uses '${using}', which is not supported (composite, node* and docker are)`,
  );
}

/**
 * A node action: `pre` (when its `pre-if` holds) and `main` run in this step; `post`
 * is registered to run after the job's steps, with what `main` saved in
 * `GITHUB_STATE` as `STATE_<name>`. (Actions runs `pre` at job start; running it
 * just before `main` keeps the step list the workflow's own.)
 */
async function runNodeAction(
  ctx: StepContext,
  uses: string,
  dir: string,
  runs: NonNullable<ActionManifest["runs"]>,
  env: Record<string, string>,
): Promise<StepRun> {
  const { state } = ctx;
  const node = (stepCtx: StepContext, script: string, saved: Record<string, string>) =>
    runCommand(stepCtx, {
      program: state.spec.node ?? process.execPath,
      args: [join(dir, script)],
      cwd: state.spec.paths.workspace,
      extraEnv: { ...env, ...stateVariables(saved) },
      stateFile: true,
    });
  // Each stage sees what the earlier ones saved with GITHUB_STATE.
  let saved: Record<string, string> = {};
  if (runs.pre && conditionHolds(ctx, runs["pre-if"])) {
    const pre = await node(ctx, runs.pre, saved);
    if (pre.outcome !== "success") return pre;
    saved = pre.saved;
  }
  const main = await node(ctx, runs.main!, saved);
  saved = { ...saved, ...main.saved };
  const post = runs.post;
  if (post) registerPost(ctx, uses, runs["post-if"], saved, (postCtx, s) => node(postCtx, post, s));
  return main;
}

/** Whether an action's `pre-if`/`post-if` holds now (`always()` when it has none). */
function conditionHolds(ctx: StepContext, condition: string | undefined): boolean {
  const r = evaluateCondition(
    condition ?? "always()",
    stepContexts(ctx.state, ctx.scope, ctx.env),
    evalOptions(ctx.state),
  );
  return r.ok && r.value;
}

/** What an action saved with `GITHUB_STATE`, as its later stages see it: `STATE_<name>`. */
function stateVariables(saved: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(saved).map(([name, value]) => [`STATE_${name}`, value]));
}

/** Registers an action's post stage (`post:`, `post-entrypoint:`) to run after the job's steps. */
function registerPost(
  ctx: StepContext,
  uses: string,
  postIf: string | undefined,
  saved: Record<string, string>,
  run: (postCtx: StepContext, saved: Record<string, string>) => Promise<StepRun>,
): void {
  ctx.state.posts.push({
    kind: "post",
    id: null,
    name: `Post ${uses}`,
    if: postIf ?? "always()",
    env: {},
    continueOnError: false,
    timeoutMinutes: null,
    run: (postCtx) => run(postCtx, saved),
  });
}

async function runComposite(
  ctx: StepContext,
  uses: string,
  dir: string,
  manifest: ActionManifest,
  inputs: Record<string, string>,
): Promise<StepRun> {
  const { state } = ctx;
  const steps = (manifest.runs?.steps ?? []).map((s, i) =>
    compositeStep(s as Record<string, unknown>, i),
  );
  const bad = steps.find((s) => typeof s === "string");
  if (bad !== undefined) return fail(ctx, `Action '${uses}': ${bad}`);

  const scope = {
    steps: {} as Record<string, StepRecord>,
    inputs,
    logIndex: ctx.logIndex,
    actionPath: dir,
  };
  // A composite has its own success state: a failing inner step fails this step only.
  const outerStatus = state.status;
  state.status = "success";
  await runSteps(state, scope, steps as StepSpec[]);
  const failed = jobStatus(state) === "failure";
  state.status = outerStatus;

  const outputs: Record<string, string> = {};
  const contexts = stepContexts(state, scope, ctx.env);
  for (const [name, def] of Object.entries(manifest.outputs ?? {})) {
    const r = interpolate(String(def?.value ?? ""), contexts, evalOptions(state));
    outputs[name] = r.ok ? r.value : "";
  }
  if (state.cancelled) return { outcome: "cancelled", outputs };
  return { outcome: failed ? "failure" : "success", outputs };
}

/** A composite's step, or a message saying what is wrong with it. */
function compositeStep(raw: Record<string, unknown>, i: number): StepSpec | string {
  if (typeof raw.uses !== "string" && typeof raw.run !== "string") {
    return `runs.steps[${i}] needs 'run' or 'uses'`;
  }
  if (typeof raw.uses !== "string" && typeof raw.shell !== "string") {
    return `runs.steps[${i}]: 'shell' is required for run steps in composite actions`;
  }
  return readStep(raw);
}

type Fetched = { ok: true; dir: string } | { ok: false; error: string };

/**
 * Remote actions (`owner/repo[/path]@ref`) are cloned from the configured actions
 * URL and cached per ref in the tool cache. Without a URL, the step fails naming the
 * action: a skipped step that should have run is worse than a clear failure.
 */
async function fetchRemoteAction(ctx: StepContext, uses: string): Promise<Fetched> {
  const m = /^([\w.-]+)\/([\w.-]+)((?:\/[\w.-]+)*)@(.+)$/.exec(uses);
  if (!m)
    return {
      ok: false,
      error: `Can't parse action reference '${uses}' (expected owner/repo[/path]@ref or ./path)`,
    };
  const [, owner, repo, subpath, ref] = m as unknown as [string, string, string, string, string];
  const base = ctx.state.spec.actionsUrl;
  if (!base) {
    return {
      ok: false,
      error: `Can't fetch action '${uses}': no actions source is configured (set --actions-url or EQUINOX_ACTIONS_URL to a git server hosting ${owner}/${repo})`,
    };
  }
  const cache = join(
    ctx.state.spec.paths.toolCache,
    "_actions",
    owner,
    repo,
    ref.replace(/[^\w.-]/g, "_"),
  );
  if (!existsSync(join(cache, ".complete"))) {
    const url = `${base.replace(/\/+$/, "")}/${owner}/${repo}`;
    const tmp = `${cache}.tmp-${process.pid}`;
    try {
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      await git(tmp, ["init", "-q"]);
      await git(tmp, ["fetch", "-q", "--depth=1", url, ref]);
      await git(tmp, ["checkout", "-q", "FETCH_HEAD"]);
      await git(tmp, ["config", "core.hooksPath", "/dev/null"]);
      await rm(cache, { recursive: true, force: true });
      await rename(tmp, cache);
      await mkdir(join(cache, ".complete"));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      return { ok: false, error: `Can't fetch action '${uses}' from ${url}: ${detail}` };
    }
  }
  return { ok: true, dir: join(cache, subpath) };
}

/** A step that runs in a container next to the job (see containers.ts). */
function runContainerStep(
  ctx: StepContext,
  uses: string,
  container: NonNullable<CommandSpec["container"]>,
  env: Record<string, string>,
): Promise<CommandRun> {
  return runCommand(ctx, {
    program: uses,
    args: container.args,
    cwd: ctx.state.spec.paths.workspace,
    extraEnv: env,
    container,
    stateFile: true,
  });
}

/**
 * A Docker action (or a `docker://` step, which is one with only an image), as Actions
 * runs it: its image (`docker://…`, or a Dockerfile built with its own folder as the
 * context), `runs.args` with `${{ inputs.* }}` evaluated (else the `args` input, split
 * like a shell would), `runs.entrypoint` (else the `entryPoint` input), every input as
 * `INPUT_*`, and `runs.env` where the step does not set the variable itself;
 * `pre-entrypoint` and `post-entrypoint` share what each saves in `GITHUB_STATE`.
 */
async function runDockerAction(
  ctx: StepContext,
  uses: string,
  dir: string | null,
  runs: NonNullable<ActionManifest["runs"]>,
  inputs: Record<string, string>,
): Promise<StepRun> {
  const image = String(runs.image ?? "");
  if (!image) return fail(ctx, `Action '${uses}' (docker) has no runs.image`);
  if (!image.startsWith("docker://") && dir === null)
    return fail(ctx, `'${uses}': no image to run`);
  const input = (name: string) =>
    Object.entries(inputs).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  const contexts = { ...stepContexts(ctx.state, ctx.scope, ctx.env), inputs };
  const evaluate = (value: unknown) => interpolate(String(value), contexts, evalOptions(ctx.state));
  let args: string[] = [];
  if (runs.args && runs.args.length > 0) {
    for (const arg of runs.args) {
      const r = evaluate(arg);
      if (!r.ok) return fail(ctx, `Action '${uses}': runs.args: ${r.error}`);
      args.push(r.value);
    }
  } else if (input("args")) {
    const split = splitArgs(input("args")!);
    if (!split.ok) return fail(ctx, `'${uses}': with.args: ${split.error}`);
    args = split.args;
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(runs.env ?? {})) {
    if (name in ctx.env || name in env) continue;
    const r = evaluate(value);
    if (!r.ok) return fail(ctx, `Action '${uses}': runs.env.${name}: ${r.error}`);
    env[name] = r.value;
  }
  let containerImage: NonNullable<CommandSpec["container"]>["image"];
  if (image.startsWith("docker://")) containerImage = { name: image.slice("docker://".length) };
  else {
    const dockerfile = resolve(dir!, image);
    containerImage = { build: dirname(dockerfile), dockerfile: basename(dockerfile) };
  }
  const container = (
    stepCtx: StepContext,
    entrypoint: string | null,
    saved: Record<string, string>,
  ) =>
    runContainerStep(
      stepCtx,
      uses,
      { image: containerImage, entrypoint, args },
      { ...env, ...stateVariables(saved) },
    );
  let saved: Record<string, string> = {};
  const pre = runs["pre-entrypoint"];
  if (pre && conditionHolds(ctx, runs["pre-if"])) {
    const run = await container(ctx, pre, saved);
    if (run.outcome !== "success") return run;
    saved = run.saved;
  }
  const main = await container(ctx, runs.entrypoint || input("entryPoint") || null, saved);
  saved = { ...saved, ...main.saved };
  const post = runs["post-entrypoint"];
  if (post)
    registerPost(ctx, uses, runs["post-if"], saved, (postCtx, s) => container(postCtx, post, s));
  return main;
}
