import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { fetchDatasetFile, resolveDataDir, sha256Hex } from "../../lib/data/source.ts";
import type { DatasetInfo } from "../../lib/data/registry.ts";
import { loadDataset } from "../../lib/data/load.ts";
import { getDataset } from "../../lib/data/registry.ts";

const labelsIdx = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1]);
const labelsGz = new Uint8Array(gzipSync(labelsIdx));

async function fakeInfo(): Promise<DatasetInfo> {
  const sha = await sha256Hex(labelsGz);
  const file = { name: "labels.gz", sha256: sha };
  return {
    name: "toy",
    classes: ["a", "b", "c"],
    imageSize: [1, 1],
    counts: { train: 3, test: 3 },
    files: { trainImages: file, trainLabels: file, testImages: file, testLabels: file },
    mirrors: ["https://bad.example/", "https://good.example/"],
  };
}

function fakeFetch(body: Uint8Array, calls: string[]): typeof fetch {
  return ((input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    if (url.startsWith("https://bad.example/")) {
      return Promise.resolve(new Response("nope", { status: 404 }));
    }
    return Promise.resolve(new Response(body as Uint8Array<ArrayBuffer>));
  }) as typeof fetch;
}

Deno.test("resolveDataDir: env overrides the param; neither is an error", () => {
  assert.equal(resolveDataDir("/p", { env: "/e" }), "/e");
  assert.equal(resolveDataDir("/p", {}), "/p");
  assert.equal(resolveDataDir("rel", {}), `${Deno.cwd()}/rel`);
  assert.throws(() => resolveDataDir(null, { env: "" }), /data\.dir.*QUARRY_DATA/);
});

Deno.test("fetchDatasetFile: downloads a missing file, verifies it, falls over mirrors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const info = await fakeInfo();
    const calls: string[] = [];
    const bytes = await fetchDatasetFile(info, "trainLabels", {
      dir,
      fetch: fakeFetch(labelsGz, calls),
    });
    assert.deepEqual(bytes, labelsGz);
    assert.deepEqual(calls, ["https://bad.example/labels.gz", "https://good.example/labels.gz"]);
    assert.deepEqual(await Deno.readFile(`${dir}/toy/labels.gz`), labelsGz);
    assert.deepEqual([...Deno.readDirSync(`${dir}/toy`)].map((e) => e.name), ["labels.gz"]);
    // Present now: no more fetching.
    await fetchDatasetFile(info, "trainLabels", { dir, fetch: fakeFetch(labelsGz, calls) });
    assert.equal(calls.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchDatasetFile: a wrong download is refused and nothing is written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const info = await fakeInfo();
    const wrong = new Uint8Array(gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 9])));
    await assert.rejects(
      () => fetchDatasetFile(info, "trainLabels", { dir, fetch: fakeFetch(wrong, []) }),
      (e: Error) =>
        e instanceof RangeError && /labels\.gz/.test(e.message) && /SHA-256/.test(e.message),
    );
    const left = [...Deno.readDirSync(dir)].flatMap((e) =>
      e.isDirectory ? [...Deno.readDirSync(`${dir}/${e.name}`)].map((f) => f.name) : [e.name]
    );
    assert.deepEqual(left, []);
    await assert.rejects(
      () => fetchDatasetFile(info, "trainLabels", { dir, download: false }),
      /Missing dataset file .*labels\.gz.*downloads are off/,
    );
    await assert.rejects(
      () => fetchDatasetFile(info, "trainLabels", { dir: `${dir}/nowhere` }),
      /Data directory .*nowhere" does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchDatasetFile: a present file with the wrong checksum is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const info = await fakeInfo();
    await Deno.mkdir(`${dir}/toy`);
    await Deno.writeFile(`${dir}/toy/labels.gz`, new Uint8Array([1, 2, 3]));
    await assert.rejects(
      () => fetchDatasetFile(info, "testLabels", { dir, download: false }),
      /Checksum mismatch for ".*labels\.gz": expected SHA-256 [0-9a-f]{64}, got/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const shared = Deno.env.get("QUARRY_DATA");
Deno.test({
  name: "loadDataset: the real MNIST files verify and have the published label counts",
  ignore: shared === undefined,
  async fn() {
    const ds = await loadDataset("mnist", { dir: shared!, download: false });
    assert.equal(ds.train.count, 60000);
    assert.equal(ds.test.images.length, 10000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of ds.test.labels) counts[l]++;
    assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert.deepEqual([...ds.train.labels.subarray(0, 8)], [5, 0, 4, 1, 9, 2, 1, 3]);
    assert.equal(getDataset("fashion-mnist").classes[9], "Ankle boot");
  },
});
