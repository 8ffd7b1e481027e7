import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { docker } from "./cli.ts";

/** Every container and network Equinox creates carries this label: who made it. */
export const OWNER_LABEL = "equinox.owner";
/** And these: which job it belongs to. */
export const JOB_LABEL = "equinox.job";
export const RUN_LABEL = "equinox.run";

/**
 * This process, as `host:pid:start:pidns:boot`: the start time (in clock ticks since
 * boot) tells a live owner from a later process that got the same pid; the PID
 * namespace and boot tell whose pids these are. Two servers in different containers
 * may share one engine, and one cannot see the other's processes.
 */
export function ownerId(pid = process.pid): string {
  return `${hostname()}:${pid}:${processStart(pid) ?? "?"}:${pidNamespace() ?? "?"}:${bootId() ?? "?"}`;
}

/** This process's PID namespace (the inode in `pid:[4026531836]`). */
function pidNamespace(): string | null {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    return null;
  }
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after its closing ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Where this process stands, to judge other owners by. */
export interface OwnerVantage {
  host: string;
  pidNamespace: string | null;
  bootId: string | null;
  processStart(pid: number): string | null;
}

const here: OwnerVantage = {
  host: hostname(),
  pidNamespace: pidNamespace(),
  bootId: bootId(),
  processStart,
};

/**
 * True only when the process that made a resource is surely gone: it ran on this host,
 * in this PID namespace, and either in an earlier boot or its pid now names another
 * process or none. An owner in another namespace (another container sharing the
 * engine) is alive for all we can see. An owner from before the namespace was part of
 * the id (`host:pid:start`) is judged by its pid, as then.
 */
export function ownerGone(owner: string, from: OwnerVantage = here): boolean {
  const [host, pid, start, namespace, boot, ...rest] = owner.split(":");
  if (host !== from.host || !pid || rest.length > 0) return false; // not ours to judge
  if (namespace !== undefined) {
    if (namespace === "?" || namespace !== from.pidNamespace) return false;
    if (boot && boot !== "?" && from.bootId && boot !== from.bootId) return true;
  }
  return from.processStart(Number(pid)) !== start;
}

/**
 * Removes the containers and networks left by Equinox processes that died without
 * cleaning up (a killed server or `equinox run`). Returns how many were removed.
 */
export async function removeOrphans(): Promise<number> {
  let removed = 0;
  for (const kind of ["container", "network"] as const) {
    const orphans = (await owned(kind)).filter((r) => ownerGone(r.owner)).map((r) => r.id);
    if (orphans.length === 0) continue;
    const rm = await docker(
      kind === "container" ? ["rm", "-f", "-v", ...orphans] : ["network", "rm", ...orphans],
    );
    if (rm.code === 0) removed += orphans.length;
  }
  return removed;
}

/**
 * The containers or networks that carry an owner label, with their owner. Listed by
 * id, then inspected: `inspect` templates read labels the same way in Docker and
 * Podman, `ps`/`ls` templates do not.
 */
async function owned(kind: "container" | "network"): Promise<{ id: string; owner: string }[]> {
  const listed = await docker([
    ...(kind === "container" ? ["ps", "-a"] : ["network", "ls"]),
    "--filter",
    `label=${OWNER_LABEL}`,
    "--format",
    "{{.ID}}",
  ]);
  const ids = listed.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (listed.code !== 0 || ids.length === 0) return [];
  const labels = kind === "container" ? ".Config.Labels" : ".Labels";
  const inspected = await docker([
    ...(kind === "container" ? ["container"] : ["network"]),
    "inspect",
    "--format",
    `{{.Id}} {{index ${labels} "${OWNER_LABEL}"}}`,
    ...ids,
  ]);
  // It fails for an id removed meanwhile, but still prints the others.
  return inspected.stdout
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter((fields): fields is [string, string] => Boolean(fields[0] && fields[1]))
    .map(([id, owner]) => ({ id, owner }));
}
