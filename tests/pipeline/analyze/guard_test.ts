import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzePipeline, formatDiagnostic } from "../../../lib/pipeline/mod.ts";
import { CodeHasher } from "../../../lib/pipeline/code_hash.ts";
import { HashCache } from "../../../lib/pipeline/hash.ts";
import { cleanup, cli } from "../_helpers.ts";

/** A workspace whose stage `a` (stages/a.ts, importing lib/helper.ts) writes `out`. */
function workspace(entry: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-guard-" });
  Deno.mkdirSync(join(dir, "stages"));
  Deno.mkdirSync(join(dir, "lib"));
  Deno.writeTextFileSync(join(dir, "lib/helper.ts"), "export const x = 1;\n");
  Deno.writeTextFileSync(
    join(dir, "stages/a.ts"),
    'import { x } from "../lib/helper.ts";\nexport async function run() {\n  void x;\n}\n',
  );
  Deno.writeTextFileSync(
    join(dir, "pipeline.yaml"),
    `stages:\n  a:\n    run: stages/a.ts\n${entry}`,
  );
  return dir;
}

async function firstError(entry: string): Promise<string> {
  const dir = workspace(entry);
  try {
    const code = new CodeHasher({ workspace: dir, hashes: new HashCache() });
    const r = await analyzePipeline(join(dir, "pipeline.yaml"), {
      importModules: false,
      codeFiles: async (abs) => Object.keys((await code.info(abs)).files),
    });
    assert.ok(!r.ok, `${entry} should be refused`);
    return formatDiagnostic(r.diagnostics[0]!).split("\n")[0]!;
  } finally {
    cleanup(dir);
  }
}

const OUTS: [string, RegExp][] = [
  [".git/hooks/pre-commit", /it lies inside the folder "\.git"/],
  [".git/", /it is the folder "\.git"/],
  [".quarry", /it is the folder "\.quarry"/],
  [".quarry/cache/", /it lies inside the folder "\.quarry"/],
  ["node_modules/x/", /it lies inside the folder "node_modules"/],
  ["pipeline.yaml", /it is the pipeline file "pipeline\.yaml"/],
  ["pipeline.lock", /it is the pipeline's lock "pipeline\.lock"/],
  ["deno.json", /it is Deno's config "deno\.json"/],
  ["deno.lock", /it is Deno's lock "deno\.lock"/],
  ["stages/a.ts", /it is a module of stage a's code "stages\/a\.ts"/],
  ["stages/", /it contains a module of stage a's code "stages\/a\.ts"/],
  ["lib/helper.ts", /it is a module of stage a's code "lib\/helper\.ts"/],
];

for (const [out, why] of OUTS) {
  Deno.test(`an out "${out}" is refused at its position`, async () => {
    const head = await firstError(`    outs: ["${out}"]\n`);
    assert.match(head, /pipeline\.yaml:4:12: Invalid out /);
    assert.ok(head.includes(`"${out}" in stages.a.outs`), head);
    assert.match(head, why);
    assert.match(head, /an out may not overwrite the workspace's own files/);
  });
}

Deno.test("metrics and plots are outs too", async () => {
  const head = await firstError(`    outs: [out/]\n    metrics: [deno.json]\n`);
  assert.match(head, /pipeline\.yaml:5:15: Invalid out "deno\.json" in stages\.a\.outs/);
});

for (const dep of [".quarry/cache/", "pipeline.lock", ".git/HEAD"]) {
  Deno.test(`a dep "${dep}" is refused: the runner or git writes it`, async () => {
    const head = await firstError(`    deps: ["${dep}"]\n    outs: [out/]\n`);
    assert.match(head, /pipeline\.yaml:4:12: Invalid dep /);
    assert.match(head, /not an input/);
  });
}

Deno.test("outs beside the workspace's files, and deps on code, pass", async () => {
  const dir = workspace(
    `    deps: [lib/helper.ts, stages/]\n    outs: [out/, .gitignore-not.txt]\n`,
  );
  try {
    Deno.writeTextFileSync(join(dir, "pipeline.lock"), "{}");
    const r = await analyzePipeline(join(dir, "pipeline.yaml"), { importModules: false });
    assert.ok(r.ok, r.ok ? "" : r.diagnostics.map(formatDiagnostic).join("\n"));
  } finally {
    cleanup(dir);
  }
});

Deno.test("the CLI knows each stage's code graph: dag refuses an out over an imported helper", async () => {
  const dir = workspace(`    outs: [lib/helper.ts]\n`);
  try {
    const r = await cli(["dag", "--pipeline", join(dir, "pipeline.yaml")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Invalid out "lib\/helper\.ts" .*a module of stage a's code/);
  } finally {
    cleanup(dir);
  }
});
