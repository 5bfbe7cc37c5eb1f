/**
 * Model specifications: the architecture as plain data, so that it can be a pipeline param
 * (`model: lenet`, or an object) and be recorded beside the weights it produced.
 *
 * @module
 */

/** One convolution block: `filters` kernels of `kernel`×`kernel` (valid padding, stride 1),
 * ReLU, then `pool`×`pool` max-pooling (stride `pool`; 1 = none). */
export interface ConvSpec {
  /** Number of output channels. */
  readonly filters: number;
  /** Square kernel size. */
  readonly kernel: number;
  /** Square max-pool size and stride (1: no pooling). */
  readonly pool: number;
}

/** A feed-forward image classifier: conv blocks, then dense ReLU layers, then `classes` logits. */
export interface ModelSpec {
  /** Input height, width, channels. */
  readonly input: readonly [number, number, number];
  /** Convolution blocks, in order. */
  readonly conv: readonly ConvSpec[];
  /** Hidden dense layer widths, in order (ReLU). */
  readonly dense: readonly number[];
  /** Number of classes (width of the output layer). */
  readonly classes: number;
}

/**
 * The thesis's "two-layer CNN" (LeNet-style, DESIGN §3): conv 5x5x20, max-pool 2, conv 5x5x50,
 * max-pool 2, dense 500, dense 10.
 */
export const LENET: ModelSpec = {
  input: [28, 28, 1],
  conv: [{ filters: 20, kernel: 5, pool: 2 }, { filters: 50, kernel: 5, pool: 2 }],
  dense: [500],
  classes: 10,
};

/** Named architectures accepted where a spec is expected. */
export const NAMED_MODELS: Readonly<Record<string, ModelSpec>> = { lenet: LENET };

const isPositiveInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;

/** Problems in a model param, as `[field, message]` pairs; empty when valid. */
export function modelSpecIssues(value: unknown): [string, string][] {
  if (typeof value === "string") {
    return Object.hasOwn(NAMED_MODELS, value) ? [] : [[
      "",
      `expected a model name (${Object.keys(NAMED_MODELS).map((n) => `"${n}"`).join(", ")}) ` +
      `or an object, got "${value}"`,
    ]];
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [["", `expected a model name or an object, got ${JSON.stringify(value)}`]];
  }
  const issues: [string, string][] = [];
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!["input", "conv", "dense", "classes"].includes(key)) {
      issues.push([key, `unknown field: expected input, conv, dense or classes`]);
    }
  }
  if (v.input !== undefined) {
    if (!Array.isArray(v.input) || v.input.length !== 3 || !v.input.every(isPositiveInt)) {
      issues.push(["input", `expected [height, width, channels] of positive integers`]);
    }
  }
  if (v.conv !== undefined) {
    if (!Array.isArray(v.conv)) issues.push(["conv", "expected a list of {filters, kernel, pool}"]);
    else {
      v.conv.forEach((c, i) => {
        const o = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
        for (const f of ["filters", "kernel"]) {
          if (!isPositiveInt(o[f])) {
            issues.push([
              `conv[${i}].${f}`,
              `expected a positive integer, got ${JSON.stringify(o[f])}`,
            ]);
          }
        }
        if (o.pool !== undefined && !isPositiveInt(o.pool)) {
          issues.push([
            `conv[${i}].pool`,
            `expected a positive integer, got ${JSON.stringify(o.pool)}`,
          ]);
        }
      });
    }
  }
  if (v.dense !== undefined && (!Array.isArray(v.dense) || !v.dense.every(isPositiveInt))) {
    issues.push(["dense", "expected a list of positive integers"]);
  }
  if (v.classes !== undefined && !(isPositiveInt(v.classes) && v.classes >= 2)) {
    issues.push(["classes", `expected an integer >= 2, got ${JSON.stringify(v.classes)}`]);
  }
  if (issues.length === 0) {
    try {
      featureShape(fill(v));
    } catch (error) {
      issues.push(["conv", (error as Error).message]);
    }
  }
  return issues;
}

function fill(v: Record<string, unknown>): ModelSpec {
  return {
    input: (v.input as [number, number, number] | undefined) ?? LENET.input,
    conv: ((v.conv as Record<string, number>[] | undefined) ?? LENET.conv).map((c) => ({
      filters: c.filters!,
      kernel: c.kernel!,
      pool: c.pool ?? 1,
    })),
    dense: (v.dense as number[] | undefined) ?? LENET.dense,
    classes: (v.classes as number | undefined) ?? LENET.classes,
  };
}

/**
 * Turns a model param into a spec: a name from {@linkcode NAMED_MODELS}, or an object whose
 * omitted fields default to {@linkcode LENET}'s.
 *
 * @example
 * ```ts
 * import { parseModelSpec } from "./spec.ts";
 * console.assert(parseModelSpec("lenet").dense[0] === 500);
 * console.assert(parseModelSpec({ dense: [128] }).conv.length === 2);
 * ```
 *
 * @throws {RangeError} naming `where` and the field at fault.
 */
export function parseModelSpec(value: unknown, where = "model"): ModelSpec {
  const issues = modelSpecIssues(value);
  if (issues.length > 0) {
    const [field, message] = issues[0]!;
    throw new RangeError(`Invalid model in ${where}${field ? `.${field}` : ""}: ${message}`);
  }
  return typeof value === "string" ? NAMED_MODELS[value]! : fill(value as Record<string, unknown>);
}

/**
 * Height, width and channels after the conv blocks.
 *
 * @throws {RangeError} when a kernel or pool does not fit the feature map.
 */
export function featureShape(spec: ModelSpec): [number, number, number] {
  let [h, w, c] = spec.input;
  spec.conv.forEach((block, i) => {
    h = h - block.kernel + 1;
    w = w - block.kernel + 1;
    if (h < 1 || w < 1) {
      throw new RangeError(
        `conv block ${i}: a ${block.kernel}x${block.kernel} kernel does not fit`,
      );
    }
    h = Math.floor(h / block.pool);
    w = Math.floor(w / block.pool);
    if (h < 1 || w < 1) {
      throw new RangeError(`conv block ${i}: a ${block.pool}x${block.pool} pool does not fit`);
    }
    c = block.filters;
  });
  return [h, w, c];
}

/** A named parameter tensor's shape and its fan-in/fan-out (for Glorot initialisation). */
export interface ParamShape {
  /** Name, e.g. `conv0/kernel`, `dense1/bias`; the last dense layer is the logits layer. */
  readonly name: string;
  /** Shape (conv kernels `[k, k, in, out]`, dense kernels `[in, out]`). */
  readonly shape: readonly number[];
  /** Fan-in and fan-out for a kernel; `null` for a bias (initialised to zero). */
  readonly fans: readonly [number, number] | null;
}

/** Every parameter of the model, in a fixed order (the order of weights files). */
export function paramShapes(spec: ModelSpec): ParamShape[] {
  const out: ParamShape[] = [];
  let channels = spec.input[2];
  spec.conv.forEach((block, i) => {
    const k = block.kernel;
    out.push({
      name: `conv${i}/kernel`,
      shape: [k, k, channels, block.filters],
      fans: [k * k * channels, k * k * block.filters],
    });
    out.push({ name: `conv${i}/bias`, shape: [block.filters], fans: null });
    channels = block.filters;
  });
  const [h, w, c] = featureShape(spec);
  let width = h * w * c;
  [...spec.dense, spec.classes].forEach((units, i) => {
    out.push({ name: `dense${i}/kernel`, shape: [width, units], fans: [width, units] });
    out.push({ name: `dense${i}/bias`, shape: [units], fans: null });
    width = units;
  });
  return out;
}
