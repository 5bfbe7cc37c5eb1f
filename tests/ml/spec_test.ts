import assert from "node:assert/strict";
import {
  featureShape,
  LENET,
  modelSpecIssues,
  paramShapes,
  parseModelSpec,
} from "../../lib/ml/spec.ts";
import { parseTrainConfig, trainConfigIssues } from "../../lib/ml/params.ts";

Deno.test("LENET: the thesis's CNN, 431,080 parameters, 4x4x50 features", () => {
  assert.deepEqual(featureShape(LENET), [4, 4, 50]);
  const shapes = paramShapes(LENET);
  assert.deepEqual(shapes.map((p) => p.name), [
    "conv0/kernel",
    "conv0/bias",
    "conv1/kernel",
    "conv1/bias",
    "dense0/kernel",
    "dense0/bias",
    "dense1/kernel",
    "dense1/bias",
  ]);
  assert.deepEqual(shapes[4]!.shape, [800, 500]);
  const total = shapes.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(total, 431080);
});

Deno.test("parseModelSpec: names, partial objects, clear errors", () => {
  assert.equal(parseModelSpec("lenet"), LENET);
  const mlp = parseModelSpec({ conv: [], dense: [64] });
  assert.deepEqual(paramShapes(mlp).map((p) => p.shape), [[784, 64], [64], [64, 10], [10]]);
  assert.throws(() => parseModelSpec("vgg", "target.model"), /target\.model.*"lenet".*"vgg"/);
  assert.throws(
    () => parseModelSpec({ conv: [{ filters: 0, kernel: 5 }] }, "m"),
    /m\.conv\[0\]\.filters: expected a positive integer, got 0/,
  );
  assert.throws(() => parseModelSpec({ conv: [{ filters: 2, kernel: 40 }] }), /does not fit/);
  assert.deepEqual(modelSpecIssues({ bogus: 1 }).map((i) => i[0]), ["bogus"]);
});

Deno.test("parseTrainConfig: defaults and validation issues by dotted key", () => {
  const c = parseTrainConfig({}, "target");
  assert.equal(c.epochs, 10);
  assert.equal(c.batchSize, 64);
  assert.equal(c.learningRate, 0.001);
  assert.equal(c.patience, null);
  assert.equal(c.lrDecay, 1);
  assert.deepEqual(
    trainConfigIssues(
      { "target.batch": 0, "target.lr": -1, "target.lr_decay": 1.5, "target.model": "x" },
      "target",
    ).map((i) => i.param),
    ["target.batch", "target.lr", "target.lr_decay", "target.model"],
  );
  assert.throws(
    () => parseTrainConfig({ "t.epochs": 1.5 }, "t"),
    /Invalid param "t\.epochs": expected an integer >= 1, got 1\.5/,
  );
});
