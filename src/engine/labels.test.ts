import { describe, expect, it } from "vitest";
import { defaultLabelConfig, parseLabelConfig, placeJob } from "./labels.ts";

const parse = (text: string) => parseLabelConfig(text, "labels.yml");

describe("parseLabelConfig", () => {
  it("reads the map form with executors, images, network and limits", () => {
    const r = parse(`
docker-image: equinox-test/debian:bookworm
default: bwrap
labels:
  ubuntu-latest: docker://equinox-test/debian:bookworm
  self-hosted: host
  plain-docker: docker
  offline:
    executor: bwrap
    network: false
    limits: { memory: 2GiB, processes: 256, cpu-seconds: 600, file-size: 10MB, open-files: 1024 }
`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.fallback).toEqual({ executor: "bwrap", network: true, limits: {} });
    expect(r.value.labels.get("ubuntu-latest")).toMatchObject({
      executor: "docker",
      container: { image: "equinox-test/debian:bookworm" },
    });
    expect(r.value.labels.get("plain-docker")).toMatchObject({
      container: { image: "equinox-test/debian:bookworm" },
    });
    expect(r.value.labels.get("self-hosted")).toEqual({ executor: "host" });
    expect(r.value.labels.get("offline")).toEqual({
      executor: "bwrap",
      network: false,
      limits: {
        memoryBytes: 2 * 1024 ** 3,
        processes: 256,
        cpuSeconds: 600,
        fileBytes: 10_000_000,
        openFiles: 1024,
      },
    });
  });

  it("reads act_runner's list form (label:docker://image, label:host)", () => {
    const r = parse(`labels:\n  - ubuntu-22.04:docker://node:20-bookworm\n  - self-hosted:host\n`);
    expect(r.ok && r.value.labels.get("ubuntu-22.04")).toMatchObject({
      container: { image: "node:20-bookworm" },
    });
    expect(r.ok && r.value.labels.get("self-hosted")).toEqual({ executor: "host" });
  });

  it.each([
    ["labels: [nolabel]", "labels: 'nolabel': expected LABEL:EXECUTOR"],
    ["labels: {x: lxc}", "labels.x: executor: expected one of host, bwrap, docker, vm, got 'lxc'"],
    [
      "labels: {x: {executor: host, network: false}}",
      "labels.x: 'network' does not apply to the host executor",
    ],
    [
      "labels: {x: {executor: bwrap, limits: {memory: lots}}}",
      "labels.x: limits.memory: expected a positive size",
    ],
    ["labels: {x: {executor: bwrap, limits: {disk: 1}}}", "labels.x: limits: unknown limit 'disk'"],
    ["labels: {x: 'docker://'}", "labels.x: docker:// needs an image"],
    ["runners: 3", "labels.yml: unknown key 'runners'"],
    ["labels: [a: b", "labels.yml: not valid YAML"],
  ])("refuses %j, naming the file and entry", (text, error) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });
});

describe("placeJob", () => {
  const config = (() => {
    const r = parse(`labels:\n  ubuntu-latest: docker://img:1\n  sandbox: bwrap\n`);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  })();

  it("takes the first configured label, else the default (host)", () => {
    expect(
      placeJob(config, { runsOn: ["self-hosted", "sandbox"], container: null, services: null }),
    ).toMatchObject({
      ok: true,
      value: { placement: { executor: "bwrap" }, services: [] },
    });
    expect(
      placeJob(config, { runsOn: "ubuntu-latest", container: null, services: null }),
    ).toMatchObject({
      value: { placement: { executor: "docker", container: { image: "img:1" } } },
    });
    expect(
      placeJob(defaultLabelConfig(), { runsOn: "ubuntu-latest", container: null, services: null }),
    ).toMatchObject({
      value: { placement: { executor: "host" } },
    });
  });

  it("runs a job with a container: in that container, with its env, options and volumes", () => {
    const r = placeJob(defaultLabelConfig(), {
      runsOn: "ubuntu-latest",
      container: {
        image: "debian:12",
        env: { A: 1 },
        options: "--cpus 1 --label 'x=a b'",
        volumes: ["/data:/data:ro"],
      },
      services: null,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        placement: {
          executor: "docker",
          container: {
            image: "debian:12",
            fromJob: true,
            env: { A: "1" },
            options: ["--cpus", "1", "--label", "x=a b"],
            volumes: ["/data:/data:ro"],
            credentials: null,
          },
        },
        services: [],
      },
    });
  });

  it("lets --executor override the labels; docker then uses the label's image or the default image", () => {
    expect(
      placeJob(config, { runsOn: "ubuntu-latest", container: null, services: null }, "host"),
    ).toMatchObject({
      value: { placement: { executor: "host" } },
    });
    expect(
      placeJob(config, { runsOn: "ubuntu-latest", container: null, services: null }, "docker"),
    ).toMatchObject({
      value: { placement: { container: { image: "img:1" } } },
    });
    expect(
      placeJob(config, { runsOn: "other", container: null, services: null }, "docker"),
    ).toMatchObject({
      value: { placement: { container: { image: "debian:bookworm" } } },
    });
    expect(
      placeJob(config, { runsOn: "other", container: null, services: null }, "bwrap"),
    ).toMatchObject({
      value: { placement: { executor: "bwrap", network: true } },
    });
  });

  it("reads services with ports, and says what is wrong with a bad one", () => {
    const r = placeJob(defaultLabelConfig(), {
      runsOn: "x",
      container: null,
      services: { redis: { image: "redis:7", ports: [6379] }, db: "postgres:16" },
    });
    expect(r.ok && r.value.services.map((s) => [s.name, s.image, s.ports])).toEqual([
      ["redis", "redis:7", ["6379"]],
      ["db", "postgres:16", []],
    ]);
    const bad = placeJob(defaultLabelConfig(), {
      runsOn: "x",
      container: null,
      services: { "bad name": "x" },
    });
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining("services.bad name") });
    const noImage = placeJob(defaultLabelConfig(), {
      runsOn: "x",
      container: { env: {} },
      services: null,
    });
    expect(noImage).toMatchObject({ ok: false, error: "container.image: expected an image name" });
  });
});
