import assert from "node:assert/strict";
import {
  decodeTensorFile,
  encodeTensorFile,
  getTensor,
  readTensorFile,
  writeTensorFile,
} from "../../lib/data/tensor_file.ts";
import { readSplitFile, writeSplitFile } from "../../lib/data/split_file.ts";

const sample = () => ({
  meta: { z: 1, a: "x" },
  tensors: [
    { name: "u", shape: [3], data: new Uint8Array([1, 2, 255]) },
    { name: "f", shape: [2, 2], data: new Float32Array([0.5, -1, 3.25, 1e-7]) },
    { name: "i", shape: [1], data: new Int32Array([-7]) },
  ],
});

Deno.test("tensor file: round trip of all dtypes, metadata, 8-byte aligned data", () => {
  const bytes = encodeTensorFile(sample());
  const back = decodeTensorFile(bytes);
  assert.deepEqual(back.meta, { a: "x", z: 1 });
  assert.deepEqual(back.tensors.map((t) => [t.name, t.shape, [...t.data]]), [
    ["u", [3], [1, 2, 255]],
    ["f", [2, 2], [0.5, -1, 3.25, Math.fround(1e-7)]],
    ["i", [1], [-7]],
  ]);
  assert.ok(back.tensors[1]!.data instanceof Float32Array);
  const headerLength = new DataView(bytes.buffer).getUint32(8, true);
  assert.equal((16 + headerLength) % 8, 0);
});

Deno.test("tensor file: deterministic bytes regardless of meta key order", () => {
  const a = encodeTensorFile(sample());
  const b = encodeTensorFile({ ...sample(), meta: { a: "x", z: 1 } });
  assert.deepEqual(a, b);
});

Deno.test("tensor file: refuses bad input with clear errors", () => {
  assert.throws(
    () =>
      encodeTensorFile({ meta: {}, tensors: [{ name: "a", shape: [2], data: new Uint8Array(3) }] }),
    TypeError,
  );
  const bytes = encodeTensorFile(sample());
  assert.throws(
    () => decodeTensorFile(bytes.subarray(0, bytes.length - 5), "w.bin"),
    /"w\.bin".*past the end/,
  );
  const bad = bytes.slice();
  bad[0] = 0x58;
  assert.throws(() => decodeTensorFile(bad, "m.bin"), /"m\.bin".*magic/);
  const file = decodeTensorFile(bytes);
  assert.throws(() => getTensor(file, "nope"), /Missing tensor "nope"/);
  assert.throws(() => getTensor(file, "u", { dtype: "float32" }), /expected dtype float32/);
  assert.throws(() => getTensor(file, "f", { shape: [2, 3] }), /expected shape \[2,3\]/);
  assert.equal(getTensor(file, "f", { shape: [2, undefined] }).name, "f");
});

Deno.test("split file: write and read back a split", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const split = {
      dataset: "mnist",
      split: "test",
      classes: ["a", "b"],
      count: 2,
      height: 2,
      width: 3,
      images: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      labels: new Uint8Array([1, 0]),
    };
    await writeSplitFile(`${dir}/s.bin`, split);
    const back = await readSplitFile(`${dir}/s.bin`);
    assert.deepEqual({ ...back, images: [...back.images], labels: [...back.labels] }, {
      ...split,
      images: [...split.images],
      labels: [...split.labels],
    });
    await writeTensorFile(`${dir}/t.bin`, sample());
    assert.equal((await readTensorFile(`${dir}/t.bin`)).tensors.length, 3);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["s.bin", "t.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
