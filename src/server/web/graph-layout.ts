import type { Job, PlanNode } from "../../store/records.ts";

/**
 * Where the job graph's boxes go: one column per dependency depth (a job with no
 * `needs` is depth 0, otherwise one more than its deepest need), boxes sized by how many
 * job instances they show, edges as curves from a need's right edge to the job's left.
 * Pixel positions are computed here rather than in CSS so the page needs no script.
 */

export const COLUMN_WIDTH = 210;
const GAP_X = 48;
const GAP_Y = 14;
const HEAD_HEIGHT = 30;
const ROW_HEIGHT = 24;
const PADDING = 8;
/** More matrix instances than this fold into a "+N more" row; the jobs list has them all. */
export const MAX_ROWS = 8;

export interface GraphNode {
  jobId: string;
  name: string;
  needs: string[];
  /** This node's job rows (several for a matrix), in the order given. */
  jobs: Job[];
  column: number;
  x: number;
  y: number;
  height: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** An SVG path. */
  path: string;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export function layoutGraph(plan: PlanNode[], jobs: Job[]): GraphLayout {
  const planned = [...plan];
  // Jobs the plan does not know (a plan made before the format had one) still get a box.
  for (const job of jobs) {
    if (!planned.some((p) => p.jobId === job.jobId)) {
      planned.push({ jobId: job.jobId, name: job.name, needs: [] });
    }
  }
  const byId = new Map(planned.map((p) => [p.jobId, p]));
  const depths = new Map<string, number>();
  const depth = (id: string, visiting: Set<string>): number => {
    const known = depths.get(id);
    if (known !== undefined) return known;
    // A cycle cannot run; placing it at depth 0 keeps the drawing finite.
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const needs = byId.get(id)?.needs.filter((n) => byId.has(n)) ?? [];
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => depth(n, visiting)));
    visiting.delete(id);
    depths.set(id, d);
    return d;
  };

  const columns: PlanNode[][] = [];
  for (const p of planned) {
    const d = depth(p.jobId, new Set());
    const column = columns[d] ?? [];
    column.push(p);
    columns[d] = column;
  }

  const nodes = new Map<string, GraphNode>();
  const rowOf = new Map<string, number>();
  let height = 0;
  columns.forEach((column, c) => {
    // Order by the mean row of a node's needs, which keeps most edges from crossing.
    const order = (p: PlanNode) => {
      const rows = p.needs.map((n) => rowOf.get(n)).filter((r) => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    const sorted = c === 0 ? column : [...column].sort((a, b) => order(a) - order(b));
    let y = 0;
    sorted.forEach((p, row) => {
      rowOf.set(p.jobId, row);
      const own = jobs.filter((j) => j.jobId === p.jobId);
      const rows = own.length > MAX_ROWS ? MAX_ROWS + 1 : Math.max(1, own.length);
      const h = HEAD_HEIGHT + rows * ROW_HEIGHT + PADDING;
      nodes.set(p.jobId, {
        jobId: p.jobId,
        name: p.name,
        needs: p.needs.filter((n) => byId.has(n)),
        jobs: own,
        column: c,
        x: c * (COLUMN_WIDTH + GAP_X),
        y,
        height: h,
      });
      y += h + GAP_Y;
    });
    height = Math.max(height, y - GAP_Y);
  });

  const edges: GraphEdge[] = [];
  for (const node of nodes.values()) {
    for (const need of node.needs) {
      const from = nodes.get(need)!;
      const x1 = from.x + COLUMN_WIDTH;
      const y1 = from.y + HEAD_HEIGHT / 2;
      const x2 = node.x;
      const y2 = node.y + HEAD_HEIGHT / 2;
      const bend = GAP_X / 2;
      edges.push({
        from: need,
        to: node.jobId,
        path: `M${x1} ${y1} C${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}`,
      });
    }
  }

  const width =
    columns.length === 0 ? 0 : columns.length * COLUMN_WIDTH + (columns.length - 1) * GAP_X;
  return { nodes: [...nodes.values()], edges, width, height: Math.max(height, 0) };
}
