import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCli } from "../../lib/pipeline/cli.ts";

const shared = Deno.env.get("QUARRY_DATA");
const stage = (name: string) => fileURLToPath(new URL(`../../stages/${name}.ts`, import.meta.url));

/** A two-dataset pipeline of prepare + a tiny target, with absolute run paths. */
function pipeline(): string {
  return `params:
  datasets: [mnist, fashion-mnist]
  target: { epochs: 1, batch: 32, seed: 3, train_size: 96, test_size: 100 }
stages:
  prepare:
    run: ${stage("prepare")}
    matrix: { dataset: "\${params.datasets}" }
    outs: ["data/\${dataset}/"]
  target:
    run: ${stage("target")}
    matrix: { dataset: "\${params.datasets}" }
    params: [target.epochs, target.batch, target.seed, target.train_size, target.test_size]
    deps: ["data/\${dataset}/"]
    outs: ["target/\${dataset}/model.weights"]
    metrics: ["target/\${dataset}/metrics.json"]
`;
}

async function repro(jobs: number): Promise<Record<string, Uint8Array>> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/pipeline.yaml`, pipeline());
    let err = "";
    const code = await runCli(
      [
        "repro",
        "--pipeline",
        `${dir}/pipeline.yaml`,
        "--jobs",
        String(jobs),
        "--cache",
        `${dir}/cache`,
      ],
      { stdout: () => {}, stderr: (t) => (err += t), tty: false },
    );
    assert.equal(code, 0, err);
    const out: Record<string, Uint8Array> = {};
    for (const d of ["mnist", "fashion-mnist"]) {
      out[d] = await Deno.readFile(`${dir}/target/${d}/model.weights`);
      const m = JSON.parse(await Deno.readTextFile(`${dir}/target/${d}/metrics.json`));
      assert.equal(m.train_samples, 96);
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "target through the runner: byte-identical weights with --jobs 1 and --jobs 2",
  ignore: shared === undefined,
  async fn() {
    const one = await repro(1);
    const two = await repro(2);
    assert.deepEqual(one, two);
    assert.notDeepEqual(one.mnist, one["fashion-mnist"]);
  },
});
