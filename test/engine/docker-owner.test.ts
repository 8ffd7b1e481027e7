import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { type OwnerVantage, ownerGone, ownerId } from "../../src/engine/docker/owner.ts";

// Who may remove a container at startup: only an owner this process can see is gone.
// Two servers in different containers (PID namespaces) may share one engine.

const BOOT = "5d1c0f4e-1111-4222-8333-944445555666";
/** This process's view: pid 100 runs, started at tick 5000; nothing else does. */
const here: OwnerVantage = {
  host: "ci-box",
  pidNamespace: "4026531836",
  bootId: BOOT,
  processStart: (pid) => (pid === 100 ? "5000" : null),
};

describe("ownerGone", () => {
  it("judges an owner of this host, namespace and boot by its pid and start time", () => {
    expect(ownerGone(`ci-box:100:5000:4026531836:${BOOT}`, here)).toBe(false);
    expect(ownerGone(`ci-box:100:4999:4026531836:${BOOT}`, here)).toBe(true); // pid reused
    expect(ownerGone(`ci-box:200:7000:4026531836:${BOOT}`, here)).toBe(true); // no such pid
  });

  it("never judges an owner in another PID namespace, though its pid is not seen here", () => {
    expect(ownerGone(`ci-box:200:7000:4026532999:${BOOT}`, here)).toBe(false);
    expect(ownerGone("ci-box:200:7000:?:?", here)).toBe(false);
  });

  it("judges an owner of an earlier boot of the same namespace gone", () => {
    expect(ownerGone("ci-box:100:5000:4026531836:0000-earlier-boot", here)).toBe(true);
  });

  it("leaves other hosts' owners and unreadable labels alone", () => {
    expect(ownerGone(`other-box:200:7000:4026531836:${BOOT}`, here)).toBe(false);
    expect(ownerGone("ci-box", here)).toBe(false);
    expect(ownerGone(`ci-box:200:7000:4026531836:${BOOT}:extra`, here)).toBe(false);
  });

  it("judges an old owner (host:pid:start) by its pid, as before", () => {
    expect(ownerGone("ci-box:100:5000", here)).toBe(false);
    expect(ownerGone("ci-box:200:7000", here)).toBe(true);
  });

  it("names this process with its namespace and boot, and sees it alive", () => {
    const id = ownerId();
    const [host, pid, start, namespace, boot] = id.split(":");
    expect(host).toBe(hostname());
    expect(pid).toBe(String(process.pid));
    expect(start).toMatch(/^\d+$/);
    expect(namespace).toMatch(/^\d+$/);
    expect(boot).toMatch(/^[0-9a-f-]{36}$/);
    expect(ownerGone(id)).toBe(false);
  });
});
