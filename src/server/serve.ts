import { createHmac } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { removeStaleJobDirectories } from "../engine/executors/job-dir.ts";
import { ExecutorRouter } from "../engine/executors/router.ts";
import { defaultLabelConfig, type LabelConfig, placeJob } from "../engine/labels.ts";
import { LogHub } from "../engine/log-hub.ts";
import { RunManager } from "../engine/run-manager.ts";
import { Slots } from "../engine/slots.ts";
import { openSqliteStore } from "../store/open.ts";
import type { Run } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { createApp } from "./app.ts";
import { hashPassword, validatePassword } from "./auth/passwords.ts";
import { generateToken, hashToken } from "./auth/tokens.ts";
import type { ServerContext } from "./context.ts";
import { CronLoop } from "./cron-loop.ts";
import { lockDataDir } from "./data-lock.ts";
import { RepoFiles } from "./git/repo-files.ts";
import { createHttpServer } from "./http.ts";
import { listenPushSocket } from "./push/push-socket.ts";
import { spoolDrainer } from "./push/spool-drain.ts";
import { ServerRunSource } from "./run-source.ts";
import { loadOrCreateKey } from "./secrets/cipher.ts";
import { SecretService } from "./secrets/secret-service.ts";
import { parseSecretsFile, type SecretsFileEntry } from "./secrets/secrets-file.ts";
import { Triggers } from "./triggers.ts";

export interface ServeOptions {
  dataDir: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Fixes the admin token at first start; otherwise one is generated and returned once. */
  adminToken?: string | null;
  /** Sets the `admin` user's password for the web login (at every start it is given). */
  adminPassword?: string | null;
  /** The URL users reach the server at, when not http://HOST:PORT (behind a proxy). */
  publicUrl?: string | null;
  secretsFile?: string | null;
  maxConcurrency: number;
  capacity?: Record<string, number>;
  /** Which runs-on label runs where (docs/executors.md). Default: every job on the host. */
  labels?: LabelConfig;
  proxyAuth?: { header: string; trusted: string[] } | null;
  actionsUrl?: string | null;
  /** The `equinox` executable the post-receive hooks run (default: this checkout's bin/equinox). */
  equinoxBin?: string;
  maxLogBytes?: number;
  runTimeoutMs?: number;
  /** How often the spool is checked for pushes the hook could not deliver. */
  spoolIntervalMs?: number;
  log?(line: string): void;
  onRunFinished?(run: Run): void;
}

export interface RunningServer {
  url: string;
  /** Set only at the first start when the token was generated: shown once. */
  generatedAdminToken: string | null;
  context: ServerContext;
  close(): Promise<void>;
}

/**
 * Starts `equinox serve`: the store, reconciliation, the durable queue, the push
 * socket and spool, the HTTP server (web UI, API, git) and the cron loop, in the
 * order that keeps every push: nothing is accepted before what was running when the
 * server last stopped has been reconciled.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dataDir);
  const store = await openSqliteStore(join(dataDir, "equinox.db")).catch(async (err) => {
    await unlock();
    throw err;
  });
  const cleanups: (() => Promise<void> | void)[] = [unlock, () => store.close()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    return await start(store, dataDir, options, log, cleanups, close);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

async function start(
  store: Store,
  dataDir: string,
  options: ServeOptions,
  log: (line: string) => void,
  cleanups: (() => Promise<void> | void)[],
  close: () => Promise<void>,
): Promise<RunningServer> {
  const key = await loadOrCreateKey(dataDir);
  const generatedAdminToken = await firstStart(store, options.adminToken ?? null);
  if (options.adminPassword) {
    const weak = validatePassword(options.adminPassword);
    if (weak) throw new Error(`the admin password: ${weak}`);
    await store.setPasswordHash("admin", await hashPassword(options.adminPassword));
  }

  let fileSecrets = new Map<string, SecretsFileEntry>();
  if (options.secretsFile) {
    const path = resolve(options.secretsFile);
    const parsed = parseSecretsFile(path, await readFile(path, "utf8"));
    if (parsed.errors.length > 0) throw new Error(parsed.errors.join("\n"));
    fileSecrets = parsed.value;
  }

  const repos = new RepoFiles(
    dataDir,
    options.equinoxBin ? { equinoxBin: options.equinoxBin } : {},
  );
  await repos.installHooks();
  // A bare repository put in place by hand (or left by an older store) is adopted.
  for (const name of await repos.list())
    if (!(await store.getRepo(name))) await store.createRepo(name);

  // What jobs of a server killed outright left behind (the data directory is ours alone).
  for (const problem of await removeStaleJobDirectories(join(dataDir, "work")))
    log(`equinox: cannot remove a job directory left by a previous run: ${problem}`);

  const labels = options.labels ?? defaultLabelConfig();
  const executor = new ExecutorRouter({
    root: join(dataDir, "work"),
    toolCache: join(dataDir, "tool-cache"),
    env: jobEnvironment(),
    keepWarm: true,
    dockerImage: labels.dockerImage,
  });
  executor.warm();
  cleanups.push(() => executor.dispose());
  // Containers of jobs this server ran before it was killed: nothing uses them now.
  const orphanContainers = await executor.removeOrphans();
  if (orphanContainers > 0)
    log(`equinox: removed ${orphanContainers} containers and networks left by a previous run`);
  const slots = new Slots({ global: options.maxConcurrency, perLabel: options.capacity ?? {} });
  const hub = new LogHub();
  const secrets = new SecretService(store, key, fileSecrets);
  let baseUrl = options.publicUrl?.replace(/\/+$/, "") ?? "";
  const source = new ServerRunSource({
    store,
    repos,
    baseUrl: () => baseUrl,
    secretsFor: (repo) => secrets.secretsFor(repo),
    actionsUrl: options.actionsUrl ?? null,
  });
  const manager = new RunManager(store, executor, slots, hub, source, {
    place: (job) => placeJob(labels, job),
    ...(options.maxLogBytes !== undefined ? { maxLogBytes: options.maxLogBytes } : {}),
    ...(options.runTimeoutMs !== undefined ? { runTimeoutMs: options.runTimeoutMs } : {}),
    onDiagnostic: (line) => log(`equinox: ${line}`),
    ...(options.onRunFinished ? { onRunFinished: options.onRunFinished } : {}),
  });
  const triggers = new Triggers({ store, repos, manager, baseUrl: () => baseUrl });

  const context: ServerContext = {
    store,
    repos,
    manager,
    triggers,
    hub,
    slots,
    secrets,
    baseUrl: () => baseUrl,
    csrfSecret: createHmac("sha256", key).update("equinox csrf").digest(),
    proxyAuth: options.proxyAuth ?? null,
    // Known once the listener has its address (below).
    secureCookies: false,
    executorInfo: executorInfo(labels, options),
  };

  // Reconcile before anything can queue a run: what was running is orphaned, queued runs start.
  const orphaned = await manager.start();
  cleanups.push(() => manager.stop());
  if (orphaned.runs > 0)
    log(
      `equinox: ${orphaned.runs} run(s) were running when the server stopped: marked failed (orphaned)`,
    );

  const http = createHttpServer(context, createApp(context));
  await new Promise<void>((resolveListen, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => resolveListen());
  });
  cleanups.push(
    () =>
      new Promise<void>((done) => {
        http.close(() => done());
        http.closeAllConnections();
      }),
  );
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  if (!baseUrl)
    baseUrl = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`;
  context.secureCookies = baseUrl.startsWith("https:");

  const socket = await listenPushSocket(join(dataDir, "equinox.sock"), (event) =>
    triggers.push(event),
  );
  cleanups.push(() => socket.close());

  // Never throws: an event that cannot be handled goes to spool/bad/ (spool-drain.ts).
  const drainSpool = spoolDrainer(join(dataDir, "spool"), (event) => triggers.push(event), log);
  await drainSpool();
  const spoolTimer = setInterval(() => void drainSpool(), options.spoolIntervalMs ?? 2000);
  cleanups.push(() => clearInterval(spoolTimer));

  const cron = new CronLoop({ store, repos, triggers, log });
  cron.start();
  cleanups.push(() => cron.stop());

  const serverFile = join(dataDir, "server.json");
  await writeFile(serverFile, `${JSON.stringify({ url: baseUrl, pid: process.pid })}\n`);
  await chmod(serverFile, 0o600);
  cleanups.push(() => rm(serverFile, { force: true }));

  return { url: baseUrl, generatedAdminToken, context, close };
}

/** Creates the admin user and token on the first start; returns the token when it was generated. */
async function firstStart(store: Store, fixedToken: string | null): Promise<string | null> {
  if (await store.getValue("initialized")) return null;
  const admin =
    (await store.getUser("admin")) ?? (await store.createUser("admin", { isAdmin: true }));
  if (!admin) throw new Error("could not create the admin user");
  const token = fixedToken ?? generateToken();
  await store.createToken({
    name: "admin",
    scope: "admin",
    userId: admin.id,
    hash: hashToken(token),
  });
  await store.setValue("initialized", new Date().toISOString());
  return fixedToken ? null : token;
}

/**
 * What a job's runtime starts from on the host: the basics a shell needs, never the
 * server's own environment (which may hold the admin token or database credentials).
 */
function jobEnvironment(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR"];
  const env: NodeJS.ProcessEnv = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

/** The settings page's executors: one row per kind a label (or the default) sends jobs to. */
function executorInfo(labels: LabelConfig, options: ServeOptions): ServerContext["executorInfo"] {
  const byKind = new Map<string, string[]>();
  const add = (kind: string, label: string | null) => {
    const list = byKind.get(kind) ?? [];
    if (label) list.push(label);
    byKind.set(kind, list);
  };
  add(labels.fallback.executor, null);
  for (const [label, placement] of labels.labels) add(placement.executor, label);
  return [...byKind].map(([kind, list]) => ({
    name: kind === labels.fallback.executor ? `${kind} (default)` : kind,
    kind,
    labels: list,
    capacity: options.maxConcurrency,
  }));
}
