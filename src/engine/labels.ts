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
}

export const DEFAULT_DOCKER_IMAGE = "debian:bookworm";

export function defaultLabelConfig(): LabelConfig {
  return { labels: new Map(), fallback: { executor: "host" }, dockerImage: DEFAULT_DOCKER_IMAGE };
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
      error: `${file}: expected a mapping with 'labels', 'default', 'docker-image'`,
    };
  for (const key of Object.keys(doc))
    if (!["labels", "default", "docker-image"].includes(key))
      return {
        ok: false,
        error: `${file}: unknown key '${key}' (expected labels, default, docker-image)`,
      };
  const { labels, default: fallback, "docker-image": dockerImage } = doc as Record<string, unknown>;
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
 * config's default.
 */
export function placeJob(
  config: LabelConfig,
  job: JobToPlace,
  override: ExecutorKind | null = null,
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
  return { ok: true, value: { placement, services: services.value } };
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
    for (const [k, v] of Object.entries(c.env)) env[k] = String(v);
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
