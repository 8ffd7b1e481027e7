import { describe, expect, it } from "vitest";
import { layoutGraph, MAX_ROWS } from "./graph-layout.ts";
import { makeJob } from "./test-support.ts";

describe("layoutGraph", () => {
  it("puts jobs in columns by the depth of their needs", () => {
    const layout = layoutGraph(
      [
        { jobId: "lint", name: "Lint", needs: [] },
        { jobId: "build", name: "Build", needs: [] },
        { jobId: "test", name: "Test", needs: ["build"] },
        { jobId: "deploy", name: "Deploy", needs: ["test", "lint"] },
      ],
      [],
    );
    const column = Object.fromEntries(layout.nodes.map((n) => [n.jobId, n.column]));
    expect(column).toEqual({ lint: 0, build: 0, test: 1, deploy: 2 });
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual([
      "build->test",
      "lint->deploy",
      "test->deploy",
    ]);
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(0);
  });

  it("survives cycles and unknown needs", () => {
    const layout = layoutGraph(
      [
        { jobId: "a", name: "A", needs: ["b", "ghost"] },
        { jobId: "b", name: "B", needs: ["a"] },
      ],
      [],
    );
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges.every((e) => e.from !== "ghost")).toBe(true);
  });

  it("gives jobs outside the plan a box, and sizes boxes by their instances", () => {
    const many = Array.from({ length: MAX_ROWS + 5 }, (_, i) =>
      makeJob({ id: i + 1, jobId: "matrix", name: `m (${i})` }),
    );
    const layout = layoutGraph([{ jobId: "one", name: "One", needs: [] }], many);
    const [one, matrix] = layout.nodes;
    expect(matrix?.jobs).toHaveLength(MAX_ROWS + 5);
    expect(matrix!.height).toBeGreaterThan(one!.height);
    expect(matrix!.y).toBeGreaterThan(one!.y);
  });

  it("draws nothing for an empty plan", () => {
    expect(layoutGraph([], [])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
