/**
 * Phase 6: the graph. Reports dependency cycles (each once, every edge located) and orders the
 * instances topologically, ties in declaration order.
 *
 * @module
 */
import type { Instance } from "../graph.ts";
import type { DiagnosticSink, InstanceDraft } from "./common.ts";

/** Reports every cycle among the instances; `edgeNode` locates each `"child->parent"` edge. */
export function reportCycles(
  instances: readonly InstanceDraft[],
  edgeNode: ReadonlyMap<string, unknown>,
  sink: DiagnosticSink,
): void {
  const byName = new Map(instances.map((i) => [i.inst.name, i]));
  for (const cycle of findCycles(instances.map((i) => i.inst))) {
    const names = cycle.map((n) => byName.get(n)!);
    const stagesOn = [...new Set(names.map((n) => n.draft.name))];
    const edges = cycle.map((n, k) => edgeNode.get(`${cycle[(k + 1) % cycle.length]}->${n}`));
    sink.push({
      field: `stages.${stagesOn[0]}.deps`,
      message: `Dependency cycle through stages ${stagesOn.map((s) => `"${s}"`).join(", ")}: ${
        [...cycle, cycle[0]].join(" -> ")
      }`,
      location: sink.at(edges[0] ?? names[0]!.draft.nameNode),
      related: edges.slice(1).map((e) => sink.at(e)),
    });
  }
}

/** The cycles of a graph, each rotated to start at its smallest name, each reported once. */
export function findCycles(instances: readonly Instance[]): string[][] {
  const byName = new Map(instances.map((i) => [i.name, i]));
  const color = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    color.set(n, 1);
    stack.push(n);
    for (const up of byName.get(n)?.upstream ?? []) {
      const c = color.get(up) ?? 0;
      if (c === 0) visit(up);
      else if (c === 1) {
        const cyc = stack.slice(stack.indexOf(up)).reverse();
        // rotate to start at the smallest name, for a stable message
        const min = cyc.indexOf([...cyc].sort()[0]!);
        const rot = [...cyc.slice(min), ...cyc.slice(0, min)];
        const tag = [...rot].sort().join("|");
        if (!seen.has(tag)) {
          seen.add(tag);
          cycles.push(rot);
        }
      }
    }
    stack.pop();
    color.set(n, 2);
  };
  for (const i of instances) if ((color.get(i.name) ?? 0) === 0) visit(i.name);
  return cycles;
}

/** Kahn's algorithm; among ready instances the earliest declared goes first (a binary heap). */
export function topoOrder(instances: readonly InstanceDraft[]): InstanceDraft[] {
  const byName = new Map(instances.map((i) => [i.inst.name, i]));
  const indeg = new Map<string, number>();
  const children = new Map<string, InstanceDraft[]>();
  for (const i of instances) {
    indeg.set(i.inst.name, i.inst.upstream.length);
    for (const u of i.inst.upstream) {
      const l = children.get(u) ?? [];
      l.push(i);
      children.set(u, l);
    }
  }
  const ready = new MinHeap<InstanceDraft>((a, b) => a.index - b.index);
  for (const i of instances) if (i.inst.upstream.length === 0) ready.push(i);
  const out: InstanceDraft[] = [];
  while (ready.size) {
    const next = ready.pop()!;
    out.push(next);
    for (const c of children.get(next.inst.name) ?? []) {
      const n = indeg.get(c.inst.name)! - 1;
      indeg.set(c.inst.name, n);
      if (n === 0) ready.push(byName.get(c.inst.name)!);
    }
  }
  return out;
}

class MinHeap<T> {
  #items: T[] = [];
  #cmp: (a: T, b: T) => number;
  constructor(cmp: (a: T, b: T) => number) {
    this.#cmp = cmp;
  }
  get size(): number {
    return this.#items.length;
  }
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#cmp(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.#items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#cmp(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.#cmp(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
