import { describe, expect, it } from "vitest";
import {
  defaultLabelConfig,
  hostOption,
  type JobToPlace,
  parseLabelConfig,
  placeJob,
} from "./labels.ts";

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
    const r = placeJob(
      defaultLabelConfig(),
      {
        runsOn: "ubuntu-latest",
        container: {
          image: "debian:12",
          env: { A: 1 },
          options: "--cpus 1 --label 'x=a b'",
          volumes: ["/data:/data:ro"],
        },
        services: null,
      },
      null,
      "trusted",
    );
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

describe("the containers policy", () => {
  const withPolicy = (policy: string) => {
    const r = parse(
      `containers: ${policy}\nlabels:\n  on-docker: docker://img:1\n  sandbox: bwrap\n`,
    );
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const job = (over: Partial<JobToPlace>): JobToPlace => ({
    runsOn: "sandbox",
    container: null,
    services: null,
    ...over,
  });
  const error = (r: ReturnType<typeof placeJob>) => (r.ok ? null : r.error);

  it("reads the policy, and names a bad one", () => {
    expect(withPolicy("deny").containers).toBe("deny");
    expect(parse("labels: {}").ok && parse("labels: {}")).toMatchObject({
      value: { containers: null },
    });
    expect(error(placeJob(defaultLabelConfig(), job({})))).toBeNull();
    const bad = parse("containers: maybe");
    expect(bad).toMatchObject({
      ok: false,
      error: "labels.yml: containers: expected one of trusted, restricted, deny, got 'maybe'",
    });
  });

  it("is restricted unless the config or the caller says otherwise", () => {
    const privileged = job({
      services: { x: { image: "img", options: "--privileged -v /:/host" } },
    });
    expect(error(placeJob(defaultLabelConfig(), privileged))).toBe(
      "services.x.options: '--privileged' is not allowed: the label config's containers policy is restricted",
    );
    expect(error(placeJob(defaultLabelConfig(), privileged, null, "trusted"))).toBeNull();
    expect(error(placeJob(withPolicy("trusted"), privileged))).toBeNull();
    // The file's word wins over the caller's default.
    expect(error(placeJob(withPolicy("restricted"), privileged, null, "trusted"))).toContain(
      "'--privileged' is not allowed",
    );
  });

  it.each([
    ["--privileged", "'--privileged'"],
    ["--privileged=false", "'--privileged=false'"],
    ["--cap-add SYS_ADMIN", "'--cap-add'"],
    ["--cap-add=ALL", "'--cap-add=ALL'"],
    ["--device /dev/sda", "'--device'"],
    ["--pid=host", "'--pid=host'"],
    ["--ipc host", "'--ipc'"],
    ["--network host", "'--network'"],
    ["--net=host", "'--net=host'"],
    ["--security-opt seccomp=unconfined", "'--security-opt'"],
    ["--userns=host", "'--userns=host'"],
    ["--uts host", "'--uts'"],
    ["--cgroupns=host", "'--cgroupns=host'"],
    ["--mount type=bind,src=/,dst=/host", "'--mount'"],
    ["--volumes-from other", "'--volumes-from'"],
    ["--runtime runc", "'--runtime'"],
    ["--group-add 0", "'--group-add'"],
    ["--env-file /etc/shadow", "'--env-file'"],
    ["-v /:/host", "'-v /:/host' (a host path"],
    ["-v/:/host", "'-v /:/host' (a host path"],
    ["-itv /var/run/docker.sock:/s", "'-v /var/run/docker.sock:/s'"],
    ["--volume /etc:/x:ro", "'--volume /etc:/x:ro'"],
    ["--volume=./here:/x", "'--volume ./here:/x'"],
    ["-p 80:80", "'-p' (use ports:)"],
    ["-P", "'-P' (use ports:)"],
  ])("refuses %j in restricted mode, naming it", (options, named) => {
    const r = error(placeJob(defaultLabelConfig(), job({ container: { image: "img", options } })));
    expect(r).toMatch(/^container\.options: /);
    expect(r).toContain(named);
    expect(r).toMatch(/ is not allowed: the label config's containers policy is restricted$/);
  });

  it.each([
    "--health-cmd 'redis-cli ping' --health-interval 1s",
    "--entrypoint sh --cpus 2 --memory=1g -e A=B --env C -u 1000 -w /x",
    "-v cache:/cache --volume=data:/data:ro -v /anonymous",
    "-e --privileged", // a value, not an option
    "--tmpfs /run --shm-size 1g --ulimit nofile=1024 --add-host db:10.0.0.1",
  ])("allows %j in restricted mode", (options) => {
    expect(
      error(placeJob(defaultLabelConfig(), job({ container: { image: "img", options } }))),
    ).toBeNull();
  });

  it("refuses host-path volumes and ports on other interfaces, naming the service", () => {
    expect(
      error(
        placeJob(
          defaultLabelConfig(),
          job({ container: { image: "img", volumes: ["named:/ok", "/srv:/srv"] } }),
        ),
      ),
    ).toContain("container.volumes: '/srv:/srv' (a host path");
    expect(
      error(
        placeJob(
          defaultLabelConfig(),
          job({ services: { db: { image: "pg", ports: ["0.0.0.0:5432:5432"] } } }),
        ),
      ),
    ).toContain("services.db.ports: '0.0.0.0:5432:5432' (published on 0.0.0.0");
    for (const ports of [[5432], ["5432:5432"], ["127.0.0.1:5432:5432"], ["[::1]:80:80"]])
      expect(
        error(placeJob(defaultLabelConfig(), job({ services: { db: { image: "pg", ports } } }))),
      ).toBeNull();
  });

  it("checks a job's container: only where it is used, and never a label's own options", () => {
    const escaping = { image: "img", options: "--privileged" };
    expect(error(placeJob(defaultLabelConfig(), job({ container: escaping }), "host"))).toBeNull();
    const labelled = parse("labels:\n  big: {executor: docker, options: --privileged}\n");
    if (!labelled.ok) throw new Error(labelled.error);
    expect(error(placeJob(labelled.value, job({ runsOn: "big" })))).toBeNull();
  });

  it("deny: a job's own container and services only on a label that places it on docker", () => {
    const deny = withPolicy("deny");
    expect(error(placeJob(deny, job({ container: "img:2" })))).toBe(
      "container: not allowed here: the label config's containers policy is deny, which allows a job's own container or services only when its runs-on label places it on docker",
    );
    expect(error(placeJob(deny, job({ services: { db: "pg" } })))).toContain(
      "services.db: not allowed here",
    );
    expect(
      error(
        placeJob(deny, job({ runsOn: "on-docker", container: "img:2", services: { db: "pg" } })),
      ),
    ).toBeNull();
    expect(
      error(
        placeJob(
          deny,
          job({ runsOn: "on-docker", services: { db: { image: "pg", options: "--pid host" } } }),
        ),
      ),
    ).toContain("services.db.options: '--pid' is not allowed");
  });
});

describe("hostOption", () => {
  it("reads a value given apart, attached or with =, and stops at the value of a one-letter option", () => {
    expect(hostOption(["--workdir", "/x", "--volume", "v:/v", "-e", "--privileged"])).toBeNull();
    expect(hostOption(["-ev", "--privileged"])).toBe("'--privileged'");
    expect(hostOption(["-dv", "/:/h"])).toBe("'-v /:/h' (a host path; named volumes are fine)");
    expect(hostOption(["-v=/:/h"])).toBe("'-v /:/h' (a host path; named volumes are fine)");
  });
});
