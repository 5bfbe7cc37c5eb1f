/**
 * Which waiting instance gets the next free worker: the deepest in the DAG first (ties: graph
 * order). So a selection run's transfer and stopping instances start right after it, while its
 * checkpoints are still in this machine's cache, instead of queueing behind every other selection
 * run; a grid interrupted at the end of a session then leaves finished chains, not a pile of
 * upstream runs whose large outs the next machine would have to rerun.
 *
 * @module
 */

/** What ranking needs of an instance. */
export interface RankNode {
  readonly name: string;
  readonly upstream: readonly string[];
}

/**
 * Each instance's rank (lower starts first): depth (longest upstream chain) descending; at equal
 * depth, more direct downstream instances first (a dataset's ceiling, which every transfer on it
 * reads, before the selection runs beside it); then the nodes' order, which is topological.
 *
 * @example A chain a → b and an independent c: b outranks c, which outranks a
 * ```ts
 * import { workerRanks } from "./priority.ts";
 * const r = workerRanks([
 *   { name: "a", upstream: [] },
 *   { name: "c", upstream: [] },
 *   { name: "b", upstream: ["a"] },
 * ]);
 * if (!(r.get("b")! < r.get("a")!)) throw new Error("b must outrank a");
 * ```
 */
export function workerRanks(nodes: readonly RankNode[]): Map<string, number> {
  const depth = new Map<string, number>();
  for (const n of nodes) {
    depth.set(n.name, 1 + Math.max(-1, ...n.upstream.map((u) => depth.get(u) ?? -1)));
  }
  const fanOut = new Map<string, number>();
  for (const n of nodes) for (const u of n.upstream) fanOut.set(u, (fanOut.get(u) ?? 0) + 1);
  const order = nodes.map((n, i) => ({
    name: n.name,
    i,
    d: depth.get(n.name)!,
    f: fanOut.get(n.name) ?? 0,
  }));
  order.sort((a, b) => b.d - a.d || b.f - a.f || a.i - b.i);
  return new Map(order.map((o, rank) => [o.name, rank]));
}

/**
 * A worker limit that grants free workers by rank. Instances announced as ready (their upstream
 * is done, they may ask for a worker soon) hold a free worker back from waiters they outrank
 * until they ask for it or say they won't (`unready`), so a downstream instance whose upstream
 * just finished is not overtaken by an upstream one that queued earlier.
 */
export class PriorityGate {
  #free: number;
  readonly #waiting = new Map<string, { rank: number; grant: () => void }>();
  readonly #ready = new Map<string, number>();

  constructor(workers: number) {
    this.#free = Math.max(1, workers);
  }

  /** Instances ready or waiting for a worker. */
  get wanting(): number {
    return this.#ready.size + this.#waiting.size;
  }

  /** The instance may ask for a worker soon. */
  markReady(name: string, rank: number): void {
    if (this.#waiting.has(name)) return;
    this.#ready.set(name, rank);
  }

  /** The instance will not ask for a worker (it finished, or it waits on something else). */
  unready(name: string): void {
    if (this.#ready.delete(name)) this.#dispatch();
  }

  /** Resolves when the instance holds a worker. */
  acquire(name: string, rank: number): Promise<void> {
    this.#ready.delete(name);
    const granted = new Promise<void>((grant) => this.#waiting.set(name, { rank, grant }));
    this.#dispatch();
    return granted;
  }

  /** Gives a worker back. */
  release(): void {
    this.#free++;
    this.#dispatch();
  }

  #dispatch(): void {
    while (this.#free > 0 && this.#waiting.size) {
      const [name, best] = [...this.#waiting].reduce((a, b) => b[1].rank < a[1].rank ? b : a);
      const held = Math.min(Infinity, ...this.#ready.values());
      if (held < best.rank) return;
      this.#waiting.delete(name);
      this.#free--;
      best.grant();
    }
  }
}

/** Each node's direct downstream nodes, in the nodes' order. */
export function downstreamIndex<T extends RankNode>(nodes: readonly T[]): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const n of nodes) {
    for (const up of n.upstream) index.set(up, [...(index.get(up) ?? []), n]);
  }
  return index;
}
