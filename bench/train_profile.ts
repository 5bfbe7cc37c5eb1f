/**
 * Per-kernel CPU time of the default model on the current backend: one training step (batch 64)
 * or, with `--infer`, one prediction batch (512). CPU time (user + system) instead of wall time,
 * so that a machine shared with other work still gives usable figures.
 *
 * Usage: `deno run -A bench/train_profile.ts [--steps N] [--infer] [--top K] [--threads T] [--wall]`
 * (`--wall`: time each kernel by the wall clock instead).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { parseArgs } from "node:util";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";
import { makeData } from "./train.ts";

/** CPU milliseconds (user + system) used by this process so far. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Wraps every kernel registered for `backend` so that the outermost kernel calls add their CPU
 * time to the returned map, keyed by kernel name and input shapes.
 */
export function instrumentKernels(
  backend: string,
  clock: () => number = cpuMs,
): Map<string, number> {
  const totals = new Map<string, number>();
  let depth = 0;
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        const start = clock();
        try {
          return inner(args);
        } finally {
          depth--;
          const shapes = Object.values(args.inputs).map((t) => t?.shape ?? null);
          const key = `${config.kernelName} ${JSON.stringify(shapes)}`;
          totals.set(key, (totals.get(key) ?? 0) + clock() - start);
        }
      },
    });
  }
  return totals;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: "string", default: "16" },
      infer: { type: "boolean", default: false },
      top: { type: "string", default: "16" },
      threads: { type: "string", default: "1" },
      wall: { type: "boolean", default: false },
    },
  });
  const steps = Number(values.steps);
  const batch = values.infer ? 512 : 64;
  const backend = await initBackend({ threads: Number(values.threads) });
  // Wall time per kernel shows what multi-threading buys; CPU time is steadier on a shared machine.
  const totals = instrumentKernels(backend, values.wall ? () => performance.now() : cpuMs);
  const data = makeData(batch * steps, 2);
  const model = createClassifier(LENET, { seed: 1, predictBatchSize: 512 });
  const run = async () => {
    if (values.infer) model.predictProba(data.x);
    else await model.fit(data.x, data.y, { epochs: 1, batchSize: 64 });
  };
  await run(); // warm-up
  totals.clear();
  const cpu0 = cpuMs();
  const wall0 = performance.now();
  await run();
  const cpu = (cpuMs() - cpu0) / steps;
  const wall = (performance.now() - wall0) / steps;
  model.dispose();
  const rows = [...totals].map(([k, v]) => [k, v / steps] as const).sort((a, b) => b[1] - a[1]);
  const kernels = rows.reduce((sum, [, v]) => sum + v, 0);
  console.log(
    `${backend}, ${values.infer ? "inference batch 512" : "training step, batch 64"}: ` +
      `${cpu.toFixed(1)} ms CPU (${wall.toFixed(1)} ms wall), kernels ${kernels.toFixed(1)} ms ` +
      `${values.wall ? "wall" : "CPU"}; ` +
      `${Math.round((batch * 1000) / cpu)} samples per CPU-second`,
  );
  for (const [key, ms] of rows.slice(0, Number(values.top))) {
    console.log(`${ms.toFixed(2).padStart(8)} ms  ${key}`);
  }
}

if (import.meta.main) {
  await main(Deno.args);
}
