/**
 * Instance keys: the SHA-256 of a canonical JSON of everything that decides an instance's outs.
 * `desc`, metrics/plots flags and formatting are left out, so cosmetic edits rerun nothing.
 *
 * @module
 */
import type { CodeInfo } from "./code_hash.ts";
import type { Instance } from "./graph.ts";
import { canonicalJson, type Digest, sha256 } from "./hash.ts";

/** Bump to invalidate every key when the runner's contract with stages changes. */
export const KEY_VERSION = 1;

/**
 * The key of an instance, given the content hashes of its deps and its code identity.
 *
 * @example Usage
 * ```ts
 * import { instanceKey } from "./fingerprint.ts";
 * const inst = {
 *   name: "a", stage: "a", vars: {}, run: "a.ts", params: { n: 1 }, deps: [], outs: ["o.txt"],
 *   metrics: [], plots: [], net: [], upstream: [],
 * };
 * const code = { files: {}, packages: [], deno: "2", hash: "c" };
 * const k1 = instanceKey(inst, {}, code);
 * const k2 = instanceKey({ ...inst, params: { n: 2 } }, {}, code);
 * if (k1 === k2 || k1.length !== 64) throw new Error("keys must differ");
 * ```
 */
export function instanceKey(
  instance: Instance,
  depHashes: Readonly<Record<string, Digest>>,
  code: CodeInfo,
): Digest {
  return sha256(canonicalJson({
    v: KEY_VERSION,
    name: instance.name,
    run: instance.run,
    vars: instance.vars,
    params: instance.params,
    deps: depHashes,
    outs: instance.outs,
    net: instance.net,
    code: code.hash,
  }));
}
