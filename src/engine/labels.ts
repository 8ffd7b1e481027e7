import { parse as parseYaml } from "yaml";
import { splitArgs } from "../core/split-args.ts";
import type {
  ContainerPlacement,
  ExecutorKind,
  Placement,
  ResourceLimits,
  ServicePlacement,
} from "./executor.ts";
import { runsOnLabels } from "./slots.ts";

/**
 * Which executor runs a job, from its `runs-on` labels: the label config shared by
 * `equinox run`, `serve` and the runner (docs/executors.md).
 */
export interface LabelConfig {
  /** Label → where its jobs run. The first of a job's labels found here decides. */
  labels: Map<string, Placement>;
  /** For jobs none of whose labels is listed. */
  fallback: Placement;
  /** The image of a docker job that names none (`--executor docker`, a bare `docker` label). */
  dockerImage: string;
  /** What a job's own `container:` and `services:` may ask of docker; null: the caller's default. */
  containers: ContainerPolicy | null;
}

/**
 * What a job's own `container:` and `services:` may ask of docker (the label config's
 * `containers` key). `trusted`: anything, as in Actions (`--privileged`, host volumes).
 * `restricted`: nothing that reaches the host (CONTAINER_HOST_OPTIONS, host-path
 * volumes, ports on other interfaces than loopback). `deny`: restricted, and only for a
 * job whose label places it on docker. A label's own `options` are the admin's: never checked.
 */
export type ContainerPolicy = "trusted" | "restricted" | "deny";
const POLICIES: readonly ContainerPolicy[] = ["trusted", "restricted", "deny"];

export const DEFAULT_DOCKER_IMAGE = "debian:bookworm";

export function defaultLabelConfig(): LabelConfig {
  return {
    labels: new Map(),
    fallback: { executor: "host" },
    dockerImage: DEFAULT_DOCKER_IMAGE,
    containers: null,
  };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const KINDS: readonly ExecutorKind[] = ["host", "bwrap", "docker", "vm"];

/**
 * Reads a label config file's text. Labels are a map (`label: docker://image`, or
 * `label: {executor, image, network, limits}`) or act_runner's list form
 * (`- label:docker://image`, `- label:host`). Errors name the file and the entry.
 */
export function parseLabelConfig(text: string, file: string): Parsed<LabelConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { ok: false, error: `${file}: not valid YAML: ${(err as Error).message}` };
  }
  const config = defaultLabelConfig();
  if (doc === null || doc === undefined) return { ok: true, value: config };
  if (typeof doc !== "object" || Array.isArray(doc))
    return {
      ok: false,
      error: `${file}: expected a mapping with 'labels', 'default', 'docker-image', 'containers'`,
    };
  for (const key of Object.keys(doc))
    if (!["labels", "default", "docker-image", "containers"].includes(key))
      return {
        ok: false,
        error: `${file}: unknown key '${key}' (expected labels, default, docker-image, containers)`,
      };
  const {
    labels,
    default: fallback,
    "docker-image": dockerImage,
    containers,
  } = doc as Record<string, unknown>;
  if (containers !== undefined) {
    if (!POLICIES.includes(containers as ContainerPolicy))
      return {
        ok: false,
        error: `${file}: containers: expected one of ${POLICIES.join(", ")}, got '${String(containers)}'`,
      };
    config.containers = containers as ContainerPolicy;
  }
  if (dockerImage !== undefined) {
    if (typeof dockerImage !== "string" || dockerImage.trim() === "")
      return { ok: false, error: `${file}: docker-image: expected an image name` };
    config.dockerImage = dockerImage.trim();
  }
  const entries: [string, unknown][] = [];
  if (Array.isArray(labels)) {
    for (const item of labels) {
      const colon = typeof item === "string" ? item.indexOf(":") : -1;
      if (colon <= 0)
        return {
          ok: false,
          error: `${file}: labels: '${String(item)}': expected LABEL:EXECUTOR (e.g. ubuntu-latest:docker://debian:bookworm)`,
        };
      entries.push([(item as string).slice(0, colon), (item as string).slice(colon + 1)]);
    }
  } else if (labels && typeof labels === "object") {
    entries.push(...Object.entries(labels));
  } else if (labels !== undefined && labels !== null) {
    return { ok: false, error: `${file}: labels: expected a mapping or a list` };
  }
  for (const [label, value] of entries) {
    const placement = parsePlacement(value, config.dockerImage);
    if (!placement.ok) return { ok: false, error: `${file}: labels.${label}: ${placement.error}` };
    config.labels.set(label, placement.value);
  }
  if (fallback !== undefined) {
    const placement = parsePlacement(fallback, config.dockerImage);
    if (!placement.ok) return { ok: false, error: `${file}: default: ${placement.error}` };
    config.fallback = placement.value;
  }
  return { ok: true, value: config };
}

/** `host`, `bwrap`, `docker`, `docker://image`, or `{executor, image, network, limits}`. */
function parsePlacement(value: unknown, dockerImage: string): Parsed<Placement> {
  if (typeof value === "string") {
    const text = value.trim();
    if (text.startsWith("docker://")) {
      const image = text.slice("docker://".length);
      if (!image) return { ok: false, error: "docker:// needs an image" };
      return { ok: true, value: dockerPlacement(image) };
    }
    return parsePlacement({ executor: text }, dockerImage);
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    return {
      ok: false,
      error: "expected host, bwrap, docker://IMAGE or a mapping with 'executor'",
    };
  const entry = value as Record<string, unknown>;
  const executor = entry.executor;
  if (typeof executor !== "string" || !KINDS.includes(executor as ExecutorKind))
    return {
      ok: false,
      error: `executor: expected one of ${KINDS.join(", ")}, got '${String(executor)}'`,
    };
  const allowed: Record<ExecutorKind, string[]> = {
    host: ["executor"],
    bwrap: ["executor", "network", "limits"],
    docker: ["executor", "image", "options"],
    vm: ["executor", "image"],
  };
  for (const key of Object.keys(entry))
    if (!allowed[executor as ExecutorKind].includes(key))
      return { ok: false, error: `'${key}' does not apply to the ${executor} executor` };
  switch (executor as ExecutorKind) {
    case "host":
      return { ok: true, value: { executor: "host" } };
    case "bwrap": {
      if (entry.network !== undefined && typeof entry.network !== "boolean")
        return { ok: false, error: "network: expected true or false" };
      const limits = parseLimits(entry.limits);
      if (!limits.ok) return limits;
      return {
        ok: true,
        value: { executor: "bwrap", network: entry.network !== false, limits: limits.value },
      };
    }
    case "docker": {
      const image = entry.image ?? dockerImage;
      if (typeof image !== "string" || !image.trim())
        return { ok: false, error: "image: expected an image name" };
      const options =
        entry.options === undefined
          ? { ok: true as const, args: [] }
          : splitArgs(String(entry.options));
      if (!options.ok) return { ok: false, error: `options: ${options.error}` };
      return {
        ok: true,
        value: {
          executor: "docker",
          container: { ...dockerPlacement(image.trim()).container, options: options.args },
        },
      };
    }
    case "vm": {
      if (typeof entry.image !== "string" || !entry.image.trim())
        return { ok: false, error: "image: expected an image name" };
      return { ok: true, value: { executor: "vm", image: entry.image.trim() } };
    }
  }
}

function dockerPlacement(image: string): Placement & { executor: "docker" } {
  return {
    executor: "docker",
    container: { image, fromJob: false, env: {}, options: [], volumes: [], credentials: null },
  };
}

const LIMIT_KEYS: Record<string, keyof ResourceLimits> = {
  memory: "memoryBytes",
  processes: "processes",
  "cpu-seconds": "cpuSeconds",
  "file-size": "fileBytes",
  "open-files": "openFiles",
};
const SIZE_KEYS = new Set(["memory", "file-size"]);

function parseLimits(value: unknown): Parsed<ResourceLimits> {
  if (value === undefined || value === null) return { ok: true, value: {} };
  if (typeof value !== "object" || Array.isArray(value))
    return {
      ok: false,
      error: `limits: expected a mapping of ${Object.keys(LIMIT_KEYS).join(", ")}`,
    };
  const limits: ResourceLimits = {};
  for (const [key, raw] of Object.entries(value)) {
    const field = LIMIT_KEYS[key];
    if (!field)
      return {
        ok: false,
        error: `limits: unknown limit '${key}' (expected ${Object.keys(LIMIT_KEYS).join(", ")})`,
      };
    const n = SIZE_KEYS.has(key) ? parseSize(raw) : typeof raw === "number" ? raw : Number.NaN;
    if (!Number.isInteger(n) || n <= 0)
      return {
        ok: false,
        error: `limits.${key}: expected a positive ${SIZE_KEYS.has(key) ? "size (e.g. 2GiB, 512MiB, 1000000)" : "integer"}`,
      };
    limits[field] = n;
  }
  return { ok: true, value: limits };
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};

function parseSize(raw: unknown): number {
  if (typeof raw === "number") return raw;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(raw));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit ? Math.round(Number(m[1]) * unit) : Number.NaN;
}

/** What the scheduler knows of a job when it places it (templates already evaluated). */
export interface JobToPlace {
  runsOn: unknown;
  /** `jobs.<id>.container`: an image string or `{image, env, options, volumes, credentials}`. */
  container: unknown;
  /** `jobs.<id>.services`: name → image string or the same mapping plus `ports`. */
  services: unknown;
}

export interface JobPlace {
  placement: Placement;
  services: ServicePlacement[];
}

/**
 * Places a job: `override` (`--executor`) first, then the job's own `container:`
 * (a container job runs on docker), then its first configured label, then the
 * config's default. The job's own `container:` and `services:` must pass the config's
 * container policy, or `defaultPolicy` when it sets none (restricted unless the caller
 * runs only its user's own code, as `equinox run` does).
 */
export function placeJob(
  config: LabelConfig,
  job: JobToPlace,
  override: ExecutorKind | null = null,
  defaultPolicy: ContainerPolicy = "restricted",
): Parsed<JobPlace> {
  const services = parseServices(job.services);
  if (!services.ok) return services;
  const container =
    job.container === null || job.container === undefined || job.container === ""
      ? null
      : parseContainer(job.container, "container");
  if (container && !container.ok) return container;
  const labelled = runsOnLabels(job.runsOn)
    .map((label) => config.labels.get(label))
    .find((p) => p !== undefined);
  let placement: Placement;
  if (override === "docker" || (override === null && container)) {
    placement = container
      ? { executor: "docker", container: container.value }
      : labelled?.executor === "docker"
        ? labelled
        : dockerPlacement(config.dockerImage);
  } else if (override) {
    placement =
      labelled?.executor === override
        ? labelled
        : override === "bwrap"
          ? { executor: "bwrap", network: true, limits: {} }
          : override === "vm"
            ? { executor: "vm", image: "" }
            : { executor: "host" };
  } else {
    placement = labelled ?? config.fallback;
  }
  const policy = config.containers ?? defaultPolicy;
  if (policy !== "trusted") {
    const onDocker = override === "docker" || labelled?.executor === "docker";
    const asked: { where: string; value: ContainerPlacement }[] = [
      // A job's `container:` counts where it is used (not under `--executor host`).
      ...(placement.executor === "docker" && placement.container.fromJob
        ? [{ where: "container", value: placement.container }]
        : []),
      ...services.value.map((s) => ({ where: `services.${s.name}`, value: s })),
    ];
    for (const { where, value } of asked) {
      const problem =
        policy === "deny" && !onDocker
          ? `${where}: not allowed here: the label config's containers policy is deny, which allows a job's own container or services only when its runs-on label places it on docker`
          : restrictedProblem(value, where);
      if (problem) return { ok: false, error: problem };
    }
  }
  return { ok: true, value: { placement, services: services.value } };
}

/**
 * `docker run` options that reach the host or other containers (Docker's and
 * Podman's): refused for a job's own container and services unless they are trusted.
 */
export const CONTAINER_HOST_OPTIONS: ReadonlySet<string> = new Set([
  "--privileged",
  "--cap-add",
  "--device",
  "--device-cgroup-rule",
  "--gpus",
  "--pid",
  "--ipc",
  "--network",
  "--net",
  "--link",
  "--security-opt",
  "--userns",
  "--uts",
  "--cgroupns",
  "--cgroup-parent",
  "--mount",
  "--volumes-from",
  "--runtime",
  "--group-add",
  "--publish",
  "--publish-all",
  // Read or write a file of the host.
  "--env-file",
  "--label-file",
  "--cidfile",
  // Podman's.
  "--rootfs",
  "--pod",
  "--env-host",
  "--pidfile",
  "--conmon-pidfile",
  "--init-path",
  "--preserve-fds",
  "--preserve-fd",
  "--annotation",
  "--secret",
  "--hostuser",
]);

/** `docker run`'s one-letter options that take a value (`-e X`, `-eX`, `-dv X`). */
const SHORT_WITH_VALUE = new Set("acehlmpuvw");

/** Why `restricted` refuses this container (`where`: `container`, `services.db`), or null. */
function restrictedProblem(c: ContainerPlacement, where: string): string | null {
  const why = "is not allowed: the label config's containers policy is restricted";
  const option = hostOption(c.options);
  if (option) return `${where}.options: ${option} ${why}`;
  const volume = c.volumes.find(isHostPathVolume);
  if (volume) return `${where}.volumes: '${volume}' (a host path; named volumes are fine) ${why}`;
  for (const port of (c as Partial<ServicePlacement>).ports ?? []) {
    const ip = publishedIp(port);
    if (ip && !/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(ip))
      return `${where}.ports: '${port}' (published on ${ip}, not on 127.0.0.1) ${why}`;
  }
  return null;
}

/**
 * The first option of `args` that reaches the host, quoted, or null. Reads
 * `--opt=value`, `--opt value` and clusters of one-letter options (`-itv /:/x`); an
 * argument it cannot tell is a value is checked as an option too, which errs on the
 * side of refusing.
 */
export function hostOption(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (CONTAINER_HOST_OPTIONS.has(name)) return `'${arg}'`;
      if (name === "--volume") {
        const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
        if (value !== undefined && isHostPathVolume(value))
          return `'--volume ${value}' (a host path; named volumes are fine)`;
      }
    } else if (arg.startsWith("-")) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (letter === "p" || letter === "P") return `'-${letter}' (use ports:)`;
        if (!SHORT_WITH_VALUE.has(letter)) continue;
        const value = j + 1 < arg.length ? arg.slice(j + 1).replace(/^=/, "") : args[++i];
        if (letter === "v" && value !== undefined && isHostPathVolume(value))
          return `'-v ${value}' (a host path; named volumes are fine)`;
        break;
      }
    }
  }
  return null;
}

/** `SOURCE:TARGET[:opts]` whose source is not a volume name (`/srv`, `./x`, `~/x`). */
function isHostPathVolume(spec: string): boolean {
  const colon = spec.indexOf(":");
  if (colon === -1) return false; // `/data`: an anonymous volume
  return !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(spec.slice(0, colon));
}

/** The address a `ports:` entry publishes on, when it names one (`0.0.0.0:80:80`). */
function publishedIp(port: string): string | null {
  if (port.startsWith("[")) return port.slice(0, port.indexOf("]") + 1);
  const parts = port.split(":");
  return parts.length >= 3 && parts[0] ? parts[0] : null;
}

function parseContainer(value: unknown, where: string): Parsed<ContainerPlacement> {
  if (typeof value === "string")
    return { ok: true, value: { ...dockerPlacement(value.trim()).container, fromJob: true } };
  if (!value || typeof value !== "object" || Array.isArray(value))
    return { ok: false, error: `${where}: expected an image name or a mapping with 'image'` };
  const c = value as Record<string, unknown>;
  if (typeof c.image !== "string" || !c.image.trim())
    return { ok: false, error: `${where}.image: expected an image name` };
  const env: Record<string, string> = {};
  if (c.env !== undefined) {
    if (!c.env || typeof c.env !== "object" || Array.isArray(c.env))
      return { ok: false, error: `${where}.env: expected a mapping` };
    for (const [k, v] of Object.entries(c.env)) {
      if (!/^[^=\0]+$/.test(k))
        return { ok: false, error: `${where}.env: '${k}' is not a variable name` };
      env[k] = String(v);
    }
  }
  const options =
    c.options === undefined ? { ok: true as const, args: [] } : splitArgs(String(c.options));
  if (!options.ok) return { ok: false, error: `${where}.options: ${options.error}` };
  const volumes = c.volumes ?? [];
  if (!Array.isArray(volumes) || volumes.some((v) => typeof v !== "string"))
    return { ok: false, error: `${where}.volumes: expected a list of SOURCE:TARGET[:ro]` };
  let credentials: ContainerPlacement["credentials"] = null;
  if (c.credentials !== undefined) {
    const cred = c.credentials as Record<string, unknown> | null;
    if (!cred || typeof cred.username !== "string" || typeof cred.password !== "string")
      return { ok: false, error: `${where}.credentials: expected username and password` };
    credentials = { username: cred.username, password: cred.password };
  }
  return {
    ok: true,
    value: {
      image: c.image.trim(),
      fromJob: true,
      env,
      options: options.args,
      volumes: volumes as string[],
      credentials,
    },
  };
}

function parseServices(value: unknown): Parsed<ServicePlacement[]> {
  if (value === null || value === undefined) return { ok: true, value: [] };
  if (typeof value !== "object" || Array.isArray(value))
    return { ok: false, error: "services: expected a mapping of name → image or container" };
  const services: ServicePlacement[] = [];
  for (const [name, raw] of Object.entries(value)) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
      return {
        ok: false,
        error: `services.${name}: a service name must be a host name ([a-zA-Z0-9_.-])`,
      };
    const container = parseContainer(raw, `services.${name}`);
    if (!container.ok) return container;
    const ports = (raw as { ports?: unknown })?.ports ?? [];
    if (!Array.isArray(ports) || ports.some((p) => typeof p !== "string" && typeof p !== "number"))
      return { ok: false, error: `services.${name}.ports: expected a list like [6379, "8080:80"]` };
    services.push({ ...container.value, name, ports: ports.map(String) });
  }
  return { ok: true, value: services };
}
