import { setTimeout as sleep } from "node:timers/promises";
import type { ServicePlacement } from "../executor.ts";
import { docker, dockerOk, isPodman } from "./cli.ts";
import { ensureImage } from "./images.ts";
import { JOB_LABEL, OWNER_LABEL } from "./owner.ts";
import { containerVariables } from "./variables.ts";

/** What the job's `job.services` context says of each service. */
export type ServiceContext = Record<
  string,
  { id: string; network: string; ports: Record<string, string> }
>;

export interface StartedServices {
  /** The job's network: a container job joins it and reaches each service by its name. */
  network: string;
  services: ServiceContext;
  remove(): Promise<void>;
}

/** How long a service may take to become healthy (its own health check decides). */
const HEALTHY_WITHIN_MS = 5 * 60_000;
const POLL_MS = 250;

/**
 * Starts a job's `services:` on a network of its own, each reachable by its name on
 * that network and by its published ports from the host, and waits until every one
 * runs and, when its image or options define a health check, is healthy. On failure
 * everything started is removed and the error says which service and why, with the
 * end of its log. When `signal` fires, waiting (for an image, for health) stops and
 * everything started is removed.
 */
export async function startServices(
  jobKey: string,
  owner: string,
  services: readonly ServicePlacement[],
  signal?: AbortSignal,
): Promise<StartedServices> {
  const labels = ["--label", `${OWNER_LABEL}=${owner}`, "--label", `${JOB_LABEL}=${jobKey}`];
  const network = `equinox-${jobKey}`.slice(0, 200);
  const names: string[] = [];
  const remove = async () => {
    if (names.length > 0) await docker(["rm", "-f", "-v", ...names]);
    await docker(["network", "rm", network]);
  };
  try {
    await dockerOk(["network", "create", ...labels, network]);
    for (const service of services) {
      await ensureImage(service.image, service.credentials, signal);
      const name = `${network}-${service.name}`.slice(0, 250);
      names.push(name);
      const variables = await containerVariables(service.env);
      try {
        await dockerOk(serviceRunArgs(service, name, network, labels, variables.args), {
          env: variables.env,
        });
      } finally {
        await variables.remove();
      }
    }
    const context: ServiceContext = {};
    await Promise.all(
      services.map(async (service, i) => {
        const name = names[i]!;
        await waitHealthy(service.name, name, signal);
        context[service.name] = { id: name, network, ports: await publishedPorts(name) };
      }),
    );
    return { network, services: context, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/**
 * `docker run` for one service: its variables come by name (`variableArgs`, from
 * containerVariables), never with their values on the command line.
 */
export function serviceRunArgs(
  service: ServicePlacement,
  name: string,
  network: string,
  labels: readonly string[],
  variableArgs: readonly string[],
): string[] {
  return [
    "run",
    "-d",
    "--name",
    name,
    ...labels,
    "--network",
    network,
    "--network-alias",
    service.name,
    ...variableArgs,
    ...service.volumes.flatMap((v) => ["-v", v]),
    ...service.ports.flatMap((p) => ["-p", publishSpec(p)]),
    ...service.options,
    service.image,
  ];
}

/**
 * A `ports:` entry as `-p` takes it, on the host's loopback unless it names an address:
 * `6379` → `127.0.0.1::6379` (a free port), `8080:80` → `127.0.0.1:8080:80`.
 */
export function publishSpec(port: string): string {
  if (port.startsWith("[")) return port; // [::1]:8080:80
  const parts = port.split(":");
  if (parts.length === 1) return `127.0.0.1::${port}`;
  if (parts.length === 2) return `127.0.0.1:${port}`;
  return parts[0] ? port : `127.0.0.1${port}`; // `::80`: no address given either
}

async function waitHealthy(
  service: string,
  container: string,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  for (;;) {
    if (signal?.aborted) throw new Error(`stopped waiting for service '${service}'`);
    const state = await dockerOk([
      "inspect",
      "--format",
      "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
      container,
    ]);
    const [status, health] = state.trim().split(" ");
    if (status === "running" && (!health || health === "healthy")) return;
    // Podman runs health checks from systemd timers; without systemd nobody does, so
    // we run the check ourselves and wait for a pass until the deadline.
    if (status === "running" && health && isPodman()) {
      if ((await docker(["healthcheck", "run", container])).code === 0) return;
    } else if (status === "exited" || status === "dead" || health === "unhealthy")
      throw new Error(
        `service '${service}' ${health === "unhealthy" ? "is unhealthy" : `has ${status}`}${await logTail(container)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `service '${service}' was not healthy after ${HEALTHY_WITHIN_MS / 1000} s${await logTail(container)}`,
      );
    await sleep(POLL_MS, undefined, signal ? { signal } : {}).catch(() => {});
  }
}

async function logTail(container: string): Promise<string> {
  const logs = await docker(["logs", "--tail", "20", container]);
  const text = `${logs.stdout}${logs.stderr}`.trim();
  return text ? `; its last lines:\n${text}` : "";
}

/** `docker port` → container port → host port (`6379` → `49153`). */
async function publishedPorts(container: string): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const line of (await dockerOk(["port", container])).split("\n")) {
    const m = /^(\d+)\/\w+ -> .*:(\d+)$/.exec(line.trim());
    if (m && !(m[1]! in ports)) ports[m[1]!] = m[2]!;
  }
  return ports;
}
