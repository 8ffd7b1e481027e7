import { describe, expect, it } from "vitest";
import { parseCapacityMap, runsOnLabels, Slots } from "./slots.ts";

describe("Slots", () => {
  it("holds jobs beyond the global limit until one releases", async () => {
    const slots = new Slots({ global: 2, perLabel: {} });
    const a = await slots.acquire(["x"]);
    const b = await slots.acquire(["x"]);
    let third = false;
    const c = slots.acquire(["x"]).then((release) => {
      third = true;
      return release;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect(slots.usage()).toMatchObject({ running: 2, waiting: 1 });
    a();
    a(); // idempotent: releasing twice frees one slot
    (await c)();
    expect(third).toBe(true);
    b();
    expect(slots.usage()).toMatchObject({ running: 0, waiting: 0 });
  });

  it("limits a label without holding up jobs for other labels behind it", async () => {
    const slots = new Slots({ global: 3, perLabel: { big: 1 } });
    const big1 = await slots.acquire(["big"]);
    const order: string[] = [];
    const big2 = slots.acquire(["big"]).then((r) => {
      order.push("big2");
      return r;
    });
    const small = slots.acquire(["small"]).then((r) => {
      order.push("small");
      return r;
    });
    (await small)();
    expect(order).toEqual(["small"]);
    big1();
    (await big2)();
    expect(order).toEqual(["small", "big2"]);
    expect(slots.usage().perLabel).toEqual({ big: 0 });
  });

  it("gives up waiting when the job is cancelled", async () => {
    const slots = new Slots({ global: 1, perLabel: {} });
    const held = await slots.acquire([]);
    const abort = new AbortController();
    const waiting = slots.acquire([], abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect(slots.usage().waiting).toBe(0);
    held();
    expect(slots.usage().running).toBe(0);
  });
});

describe("runsOnLabels / parseCapacityMap", () => {
  it("reads every form of runs-on", () => {
    expect(runsOnLabels("ubuntu-latest")).toEqual(["ubuntu-latest"]);
    expect(runsOnLabels(["self-hosted", "linux"])).toEqual(["self-hosted", "linux"]);
    expect(runsOnLabels({ group: "g", labels: ["a"] })).toEqual(["a"]);
    expect(runsOnLabels({ group: "g", labels: "b" })).toEqual(["b"]);
    expect(runsOnLabels(null)).toEqual([]);
  });

  it("parses Solstice's CAPACITY_MAP and names a bad entry", () => {
    expect(parseCapacityMap("illumos-latest=2, ubuntu-22.04=4")).toEqual({
      ok: true,
      value: { "illumos-latest": 2, "ubuntu-22.04": 4 },
    });
    expect(parseCapacityMap("")).toEqual({ ok: true, value: {} });
    expect(parseCapacityMap("a=0")).toMatchObject({
      ok: false,
      error: expect.stringContaining("'a=0'"),
    });
    expect(parseCapacityMap("noequals")).toMatchObject({ ok: false });
  });
});
