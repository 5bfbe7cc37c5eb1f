import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { gunzip, parseIdx, readIdxGz } from "../../lib/data/idx.ts";

function idx(dims: number[], values: number[], type = 8): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  out[2] = type;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

Deno.test("parseIdx: reads dims and data", () => {
  const r = parseIdx(idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), "f", {
    dims: [2, 2, 3],
  });
  assert.deepEqual(r.dims, [2, 2, 3]);
  assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

Deno.test("parseIdx: wrong magic, type, dims, counts name the file", () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 0, 8, 1]), "a.idx"), /"a\.idx".*magic/);
  assert.throws(() => parseIdx(idx([1], [0], 0x0d), "b.idx"), /"b\.idx".*type code 0x08/);
  assert.throws(
    () => parseIdx(idx([3], [0, 1, 2]), "c.idx", { dims: [3, 28, 28] }),
    /"c\.idx".*magic number 2051.*got 2049/,
  );
  assert.throws(
    () => parseIdx(idx([3], [0, 1, 2]), "d.idx", { dims: [4] }),
    /"d\.idx".*dimension 0 to be 4, got 3/,
  );
  assert.throws(() => parseIdx(idx([3], [0, 1]), "e.idx"), /"e\.idx".*promises 3 values, got 2/);
  assert.throws(() => parseIdx(idx([3], [0, 1, 2, 3]), "f.idx"), /promises 3 values, got 4/);
});

Deno.test("gunzip: round trip; truncated and non-gzip input are refused with the file name", async () => {
  const raw = idx([5], [1, 2, 3, 4, 5]);
  const gz = new Uint8Array(gzipSync(raw));
  assert.deepEqual(await gunzip(gz, "x.gz"), raw);
  await assert.rejects(() => gunzip(gz.subarray(0, gz.length - 4), "x.gz"), /"x\.gz".*truncated/);
  await assert.rejects(() => gunzip(raw, "y.gz"), /"y\.gz".*gzip magic/);
});

Deno.test("readIdxGz: reads a gzip IDX file from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/l.gz`, gzipSync(idx([4], [3, 1, 4, 1])));
    const r = await readIdxGz(`${dir}/l.gz`, { dims: [4] });
    assert.deepEqual([...r.data], [3, 1, 4, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
