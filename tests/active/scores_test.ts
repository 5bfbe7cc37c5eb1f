import assert from "node:assert/strict";
import {
  entropyOf,
  entropyScores,
  leastConfidenceScores,
  marginScores,
  meanEntropy,
} from "../../lib/active/scores.ts";
import { argmaxRows, createProbs, oneHot, probsFromRows } from "../../lib/active/probs.ts";
import { POOL } from "./_pool.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) < eps, `expected ${a} ≈ ${b}`);

Deno.test("entropyOf() uses nats, treats 0·log 0 as 0 and never returns NaN", () => {
  close(entropyOf([0.5, 0.5]), Math.LN2);
  close(entropyOf([0.25, 0.25, 0.25, 0.25]), Math.log(4));
  assert.equal(entropyOf([1, 0, 0]), 0);
  assert.equal(entropyOf([0, 0, 0]), 0);
  assert.ok(!Object.is(entropyOf([1, 0]), -0));
});

Deno.test("entropyOf() log10 variant is the nats value over ln 10", () => {
  close(entropyOf([0.5, 0.5], { log: "log10" }), Math.log10(2));
  close(entropyOf([0.1, 0.9], { log: "log10" }), entropyOf([0.1, 0.9]) / Math.LN10);
});

Deno.test("entropyScores(), leastConfidenceScores(), marginScores() on the hand-made pool", () => {
  const h = entropyScores(POOL);
  const expectedH = [
    0,
    Math.LN2,
    1.5 * Math.LN2,
    0.25 * 3 * Math.LN2 + 0.75 * Math.log(4 / 3),
    1.5 * Math.LN2,
    0,
    0.75 * Math.log(4 / 3) + 0.25 * Math.log(4),
    0.75 * Math.log(4 / 3) + 0.25 * Math.log(4),
  ];
  expectedH.forEach((v, i) => close(h[i]!, v));
  assert.deepEqual(Array.from(leastConfidenceScores(POOL)), [
    0,
    0.5,
    0.5,
    0.25,
    0.5,
    1,
    0.25,
    0.25,
  ]);
  assert.deepEqual(Array.from(marginScores(POOL)), [1, 0, 0.25, 0.625, 0.25, 0, 0.5, 0.5]);
});

Deno.test("marginScores() of a one-class row is its value", () => {
  assert.deepEqual(Array.from(marginScores(probsFromRows([[0.75]]))), [0.75]);
});

Deno.test("meanEntropy() averages given rows and returns null for none", () => {
  close(meanEntropy(POOL, [1, 5])!, Math.LN2 / 2);
  assert.equal(meanEntropy(POOL, []), null);
  close(meanEntropy(probsFromRows([[0.5, 0.5]]), undefined, { log: "log10" })!, Math.log10(2));
});

Deno.test("argmaxRows() breaks ties to the lower class, a row of zeros predicts 0", () => {
  assert.deepEqual(Array.from(argmaxRows(POOL)), [0, 0, 0, 1, 2, 0, 1, 2]);
});

Deno.test("createProbs() and oneHot() check shapes and labels", () => {
  assert.throws(() => createProbs(new Float32Array(5), 3), TypeError);
  assert.throws(() => createProbs(new Float32Array(6), 0), RangeError);
  assert.deepEqual(Array.from(oneHot([2, 0], 3).data), [0, 0, 1, 1, 0, 0]);
  assert.throws(() => oneHot([3], 3), RangeError);
});
