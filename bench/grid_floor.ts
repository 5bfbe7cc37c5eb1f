/**
 * The arithmetic floor of `bench/grid.ts`: the per-image costs a kernel could reach if it did
 * nothing but the model's multiply-adds at the core's peak, and so the shortest the grid can take
 * with kernels that do every multiply-add of the model (skipping products with an exact zero, as
 * ReLU and MNIST's background make many, could go below it and keep the bits).
 *
 * The peak is {@linkcode MACS_PER_CYCLE} multiply-adds a cycle per core: WebAssembly SIMD has
 * 128-bit vectors (4 float lanes), and a multiply then an add (no fused multiply-add, whose single
 * rounding would change the bits) can issue on two multiply and two add pipes a cycle on this
 * machine's AMD EPYC (Zen). Everything but the multiply-adds (pooling, ReLU, softmax, the
 * optimiser, the selections, data movement) counts as free, so the floor is a lower bound.
 *
 * @module
 */

import process from "node:process";
import type { ModelSpec } from "../lib/ml/spec.ts";
import type { Costs } from "./grid.ts";

/** 4-lane multiplies and 4-lane adds on 2 pipes each: 8 multiply-adds a cycle per core. */
export const MACS_PER_CYCLE = 8;

/** Multiply-adds of one forward pass of `spec` on one image, and of its first layer alone. */
export function forwardMacs(spec: ModelSpec): { total: number; first: number } {
  let [h, w, c] = spec.input;
  const layers: number[] = [];
  for (const conv of spec.conv) {
    const oh = h - conv.kernel + 1;
    const ow = w - conv.kernel + 1;
    layers.push(oh * ow * conv.filters * conv.kernel * conv.kernel * c);
    h = Math.floor(oh / conv.pool);
    w = Math.floor(ow / conv.pool);
    c = conv.filters;
  }
  let width = h * w * c;
  for (const units of [...spec.dense, spec.classes]) {
    layers.push(width * units);
    width = units;
  }
  return { total: layers.reduce((a, b) => a + b, 0), first: layers[0] ?? 0 };
}

/**
 * The per-image {@linkcode Costs} at `macsPerSecond`: a prediction is one forward pass; a
 * training sample a forward pass, the weight gradients (one pass' worth) and the input gradients
 * of every layer but the first; an input gradient (a PGD step) a forward and a backward pass; a
 * DeepFool step a forward pass and one backward pass per class, `deepfoolSteps` of them. The
 * selections cost nothing.
 */
export function floorCosts(
  spec: ModelSpec,
  macsPerSecond: number,
  deepfoolSteps: number,
  strategies: readonly string[],
): Costs {
  const { total, first } = forwardMacs(spec);
  const s = (macs: number) => macs / macsPerSecond;
  const train = s(3 * total - first);
  return {
    infer: s(total),
    train1: train,
    train32: train,
    train64: train,
    deepfool: deepfoolSteps * s((1 + spec.classes) * total),
    deepfoolSteps,
    grad: s(2 * total),
    select: Object.fromEntries(strategies.map((n) => [n, 0])),
  };
}

/**
 * The core's effective clock in Hz, measured: a chain of dependent integer operations (each
 * waits for the one before, one cycle each on x86-64) per CPU second, the best of 3. A virtual
 * machine's `/proc/cpuinfo` gives its nominal clock, which a boosting core beats.
 */
export function measureClockHz(): number {
  const chain = (n: number) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      x = (x + i) | 0;
      x = (x ^ 5) | 0;
      x = (x + 3) | 0;
      x = (x ^ i) | 0;
    }
    return x;
  };
  chain(1e7); // optimised before it is timed
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const n = 1e8;
    const t0 = cpuSeconds();
    sink ^= chain(n);
    best = Math.max(best, (4 * n) / (cpuSeconds() - t0));
  }
  return best;
}

// Keeps the chain's result alive, so that it is not optimised away.
let sink = 0;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The core clock in Hz from `/proc/cpuinfo`'s first "cpu MHz" line; null when it has none. */
export function clockFromCpuinfo(text: string): number | null {
  const match = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(text);
  return match ? Number(match[1]) * 1e6 : null;
}
