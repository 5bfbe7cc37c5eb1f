/**
 * The contract between the runner and a stage module: a stage's `run` module exports
 * `async function run(ctx: StageContext): Promise<void>` and receives everything it may touch here.
 *
 * @module
 */

/** A JSON-compatible value, as found in the params tree. */
export type ParamValue =
  | string
  | number
  | boolean
  | null
  | ParamValue[]
  | { [key: string]: ParamValue };

/** What a stage instance receives from the runner. */
export interface StageContext {
  /** Instance name, `stage` or `stage@v1-v2` for matrix instances. */
  readonly name: string;
  /** Matrix values of this instance, by matrix key (empty for a plain stage). */
  readonly vars: Readonly<Record<string, ParamValue>>;
  /** The params the stage declared, by dotted key, resolved for the active profile. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Declared deps, interpolated, relative to the workspace (the process's cwd). */
  readonly deps: readonly string[];
  /**
   * Where to write each declared out, same order as declared: paths inside the instance's
   * temporary folder. A path ending in `/` is a folder the stage creates and fills.
   */
  readonly outs: readonly string[];
  /** Reports progress of long work; drives the runner's live progress bar. */
  progress(done: number, total: number): void;
  /**
   * Reports a measurement of the run itself (e.g. `"samples_per_second"`): it goes to the
   * runner's timing record (`.quarry/timing.json`) and the log, never to an out, a key or the
   * lock. Wall-clock values must go here, not into an out. Optional so that hand-built contexts
   * (tests) may leave it out; the runner always provides it.
   */
  measure?(name: string, value: number): void;
}

/** The signature of a stage module's `run` export. */
export type StageRun = (ctx: StageContext) => Promise<void>;

/** A problem a stage module found in its own params, reported before anything runs. */
export interface ParamIssue {
  /** The dotted param key at fault (one the stage declared), e.g. `"select.batch"`. */
  readonly param: string;
  /** What was expected, e.g. `"expected a positive integer, got 0"`. */
  readonly message: string;
}

/**
 * Optional second export of a stage module: `export function validate(params, vars)` checks the
 * resolved params of one instance. The runner calls it during validation (before anything runs)
 * and reports each issue at the param's position in `pipeline.yaml`. Keep it pure and cheap.
 */
export type StageValidate = (
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
) => ParamIssue[];
