/**
 * Phase 5: link deps and outs. No two instances write one out and no out lies inside another;
 * every dep is produced by an instance (which becomes its upstream) or exists in the workspace.
 *
 * @module
 */
import { resolve } from "node:path";
import { exists } from "../fs_util.ts";
import { stripSlash } from "../graph.ts";
import type { DiagnosticSink, InstanceDraft } from "./common.ts";

/** One out of one instance. */
interface OwnedOut {
  path: string;
  owner: InstanceDraft;
  node: unknown;
}

/**
 * Checks outs, resolves deps to producers and fills each instance's `upstream`. Returns the
 * node of the dep behind each edge (`"child->parent"`), where cycles are reported.
 */
export function linkInstances(
  instances: readonly InstanceDraft[],
  workspace: string,
  sink: DiagnosticSink,
): Map<string, unknown> {
  const allOuts: OwnedOut[] = [];
  for (const i of instances) {
    i.inst.outs.forEach((p, k) => allOuts.push({ path: p, owner: i, node: i.outNodes[k] }));
  }
  allOuts.sort((a, b) => {
    const x = stripSlash(a.path);
    const y = stripSlash(b.path);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  checkOutClashes(allOuts, sink);
  const producersOf = producerIndex(allOuts);
  const edgeNode = new Map<string, unknown>();
  for (const i of instances) {
    const ups = new Set<string>();
    i.inst.deps.forEach((dep, k) => {
      const producers = producersOf(dep);
      const self = producers.filter((o) => o.owner === i);
      if (self.length) {
        sink.err(
          `stages.${i.draft.name}.deps[${k}]`,
          `Dep "${dep}" of ${i.inst.name} overlaps its own out "${self[0]!.path}"`,
          i.depNodes[k],
        );
        return;
      }
      for (const p of producers) {
        ups.add(p.owner.inst.name);
        const ek = `${i.inst.name}->${p.owner.inst.name}`;
        if (!edgeNode.has(ek)) edgeNode.set(ek, i.depNodes[k]);
      }
      if (!producers.length && !exists(resolve(workspace, dep))) {
        sink.err(
          `stages.${i.draft.name}.deps[${k}]`,
          `Missing dep "${dep}" in stages.${i.draft.name}.deps (instance ${i.inst.name}): no stage produces it and it does not exist`,
          i.depNodes[k],
        );
      }
    });
    i.inst.upstream = [...ups].sort();
  }
  return edgeNode;
}

/** Reports two instances writing one out, duplicate outs and nested outs (`sorted` by path). */
function checkOutClashes(sorted: readonly OwnedOut[], sink: DiagnosticSink): void {
  const reported = new Set<string>();
  for (let a = 0; a < sorted.length; a++) {
    for (let b = a + 1; b < sorted.length; b++) {
      const x = sorted[a]!;
      const y = sorted[b]!;
      const xs = stripSlash(x.path);
      const ys = stripSlash(y.path);
      if (!(ys === xs || ys.startsWith(`${xs}/`))) {
        if (ys > `${xs}/\uffff`) break;
        continue;
      }
      const tag = `${x.owner.inst.name}|${x.path}|${y.owner.inst.name}|${y.path}`;
      if (reported.has(tag)) continue;
      reported.add(tag);
      const field = `stages.${y.owner.draft.name}.outs`;
      const message = xs !== ys
        ? `Nested outs: "${y.path}" (${y.owner.inst.name}) lies inside "${x.path}" (${x.owner.inst.name})`
        : x.owner === y.owner
        ? `Duplicate out "${y.path}" in ${field} (instance ${y.owner.inst.name})`
        : `Two instances write one out: "${y.path}" is written by ${x.owner.inst.name} and ${y.owner.inst.name}`;
      sink.err(field, message, y.node, [sink.at(x.node)]);
    }
  }
}

/** A lookup from a dep to the outs that are it, contain it or lie inside it. */
function producerIndex(sorted: readonly OwnedOut[]): (dep: string) => OwnedOut[] {
  const keyed = sorted.map((o) => ({ key: stripSlash(o.path), o }));
  const byPath = new Map<string, OwnedOut[]>();
  for (const { key, o } of keyed) byPath.set(key, [...(byPath.get(key) ?? []), o]);
  return (dep) => {
    const d = stripSlash(dep);
    const found = [...(byPath.get(d) ?? [])];
    // outs that contain the dep (folder outs above it)
    for (let cut = d.lastIndexOf("/"); cut > 0; cut = d.lastIndexOf("/", cut - 1)) {
      found.push(...(byPath.get(d.slice(0, cut)) ?? []));
    }
    // outs inside the dep (the dep is a folder): a binary search in the sorted list
    const prefix = `${d}/`;
    let lo = 0;
    let hi = keyed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyed[mid]!.key < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < keyed.length && keyed[k]!.key.startsWith(prefix); k++) {
      found.push(keyed[k]!.o);
    }
    return found;
  };
}
