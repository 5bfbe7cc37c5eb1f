/** The fair PyTorch comparison of `bench/train.ts`: configurations, best picks and the verdict. */

import assert from "node:assert/strict";
import { type Rounds, summarize, torchConfigs } from "../../bench/train.ts";

const peer = { version: "1.13", blas: "OpenBLAS" };

/** Rounds where configuration i trains at 100 + i and infers at 1000 - i, tfjs at given rates. */
function rounds(n: number, train: number, infer: number): Rounds {
  return {
    tfjs: { train: [train, train - 10, train + 10], infer: [infer, infer + 5, infer - 5] },
    torch: Array.from({ length: n }, (_, i) => ({
      train: [100 + i, 90 + i, 110 + i],
      infer: [1000 - i, 990 - i, 1010 - i],
    })),
  };
}

Deno.test("torchConfigs covers OpenBLAS 1/default x oneDNN on/off x each thread count", () => {
  const configs = torchConfigs([1, 2]);
  assert.equal(configs.length, 8);
  assert.equal(new Set(configs.map((c) => JSON.stringify(c))).size, 8);
  assert.deepEqual(torchConfigs([2]).map((c) => c.threads), [2, 2, 2, 2]);
});

Deno.test("summarize compares tfjs with PyTorch's best configuration per phase", () => {
  const configs = torchConfigs([1, 2]);
  const load = { start: 0.5, end: 0.8, cores: 2 };
  const result = summarize(rounds(8, 200, 1200), configs, peer, 2, load);
  assert.equal(result.verdict, "ok");
  assert.deepEqual(result.tfjs.windows.train, { median: 200, min: 190, max: 210 });
  // Training: the last 2-thread configuration (index 7) is best; inference: the first (index 1).
  assert.equal(result.ratio?.best_train, result.torch?.configs[7]?.name);
  assert.equal(result.ratio?.best_infer, result.torch?.configs[1]?.name);
  assert.equal(result.ratio?.train_vs_best, Math.round((200 / 107) * 1000) / 1000);
  assert.equal(result.ratio?.infer_vs_best, Math.round((1200 / 999) * 1000) / 1000);
  assert.equal(result.ratio?.infer_vs_any, Math.round((1200 / 1000) * 1000) / 1000);
  assert.deepEqual(result.torch?.["2"], { train: 107, infer: 999 });
  assert.deepEqual(result.torch?.["1"], { train: 106, infer: 1000 });
});

Deno.test("summarize refuses a verdict when the load at the start is above half the cores", () => {
  const configs = torchConfigs([2]);
  const busy = summarize(rounds(4, 200, 1200), configs, peer, 2, {
    start: 1.3,
    end: 0.4,
    cores: 2,
  });
  assert.equal(busy.verdict, "machine busy");
  // The load at the end counts the benchmark's own 2 threads too: up to 1 + 2 is no other work.
  const own = summarize(rounds(4, 200, 1200), configs, peer, 2, { start: 0.4, end: 2.9, cores: 2 });
  assert.equal(own.verdict, "ok");
  const later = summarize(rounds(4, 200, 1200), configs, peer, 2, {
    start: 0.9,
    end: 4.2,
    cores: 2,
  });
  assert.equal(later.verdict, "machine busy");
  assert.notEqual(busy.ratio, null);
  const alone = summarize(rounds(0, 200, 1200), [], null, 2, { start: 0, end: 0, cores: 2 });
  assert.equal(alone.verdict, "no peer");
  assert.equal(alone.ratio, null);
});
