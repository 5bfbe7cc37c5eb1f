/**
 * Renders the stage graph as text or as a Mermaid flowchart.
 *
 * @module
 */
import type { Graph } from "./graph.ts";

/** Stage-level edges (upstream → downstream), deduplicated, in graph order. */
export function stageEdges(graph: Graph): [string, string][] {
  const stageOf = new Map(graph.instances.map((i) => [i.name, i.stage]));
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  for (const inst of graph.instances) {
    for (const up of inst.upstream) {
      const from = stageOf.get(up)!;
      const tag = `${from}\u0000${inst.stage}`;
      if (from !== inst.stage && !seen.has(tag)) {
        seen.add(tag);
        edges.push([from, inst.stage]);
      }
    }
  }
  return edges;
}

function stageOrder(graph: Graph): string[] {
  const order: string[] = [];
  for (const i of graph.instances) if (!order.includes(i.stage)) order.push(i.stage);
  return order;
}

/** A text rendering: each stage (in dependency order) with its instance count and upstream. */
export function renderDagText(graph: Graph): string {
  const counts = new Map<string, number>();
  for (const i of graph.instances) counts.set(i.stage, (counts.get(i.stage) ?? 0) + 1);
  const edges = stageEdges(graph);
  const lines = stageOrder(graph).map((s) => {
    const ups = edges.filter(([, to]) => to === s).map(([from]) => from);
    const n = counts.get(s) ?? 0;
    return `${s}${n > 1 ? ` (${n} instances)` : ""}${ups.length ? ` <- ${ups.join(", ")}` : ""}`;
  });
  return `${lines.join("\n")}\n`;
}

/** A Mermaid `flowchart TD` of the stages. */
export function renderDagMermaid(graph: Graph): string {
  const counts = new Map<string, number>();
  for (const i of graph.instances) counts.set(i.stage, (counts.get(i.stage) ?? 0) + 1);
  const order = stageOrder(graph);
  const id = (s: string) => `s${order.indexOf(s)}`;
  const lines = ["flowchart TD"];
  for (const s of order) {
    const n = counts.get(s) ?? 0;
    lines.push(`  ${id(s)}["${s.replaceAll('"', "#quot;")}${n > 1 ? ` ×${n}` : ""}"]`);
  }
  for (const [from, to] of stageEdges(graph)) lines.push(`  ${id(from)} --> ${id(to)}`);
  return `${lines.join("\n")}\n`;
}
