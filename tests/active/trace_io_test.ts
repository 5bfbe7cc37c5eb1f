import assert from "node:assert/strict";
import { parseTraceJson, traceToCsv, traceToJson } from "../../lib/active/trace_io.ts";
import type { TraceRow } from "../../lib/active/trace.ts";

const ROWS: TraceRow[] = [
  {
    kappa: null,
    round: 0,
    queries: 100,
    test_accuracy: 0.5,
    agreement: 0.25,
    batch_entropy: 2.25,
    stopping_entropy: 1,
  },
  {
    round: 1,
    queries: 200,
    test_accuracy: 0.75,
    agreement: 0.5,
    batch_entropy: null,
    stopping_entropy: 0.5,
    kappa: 0.125,
  },
];

Deno.test("traceToCsv() writes the columns in contract order, empty cells for null", () => {
  assert.equal(
    traceToCsv(ROWS),
    "round,queries,test_accuracy,agreement,batch_entropy,stopping_entropy,kappa\n" +
      "0,100,0.5,0.25,2.25,1,\n1,200,0.75,0.5,,0.5,0.125\n",
  );
});

Deno.test("traceToJson() round-trips through parseTraceJson() with keys in column order", () => {
  const text = traceToJson(ROWS);
  assert.ok(text.indexOf('"round"') < text.indexOf('"kappa"'));
  assert.deepEqual(parseTraceJson(text), ROWS);
});

Deno.test("parseTraceJson() names the row and column at fault", () => {
  assert.throws(
    () => parseTraceJson('[{"round": 0}]', "x.json"),
    (e: unknown) => e instanceof TypeError && /x\.json.*row 0.*"queries"/.test(e.message),
  );
  assert.throws(() => parseTraceJson("{}"), TypeError);
});
