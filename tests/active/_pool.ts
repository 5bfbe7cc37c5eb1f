/** The hand-made pool shared by the strategy tests: 8 images, 3 classes, dyadic values. */
import { probsFromRows } from "../../lib/active/probs.ts";

/**
 * Row: values — entropy (nats) / least confidence / margin / predicted class
 * 0: [1, 0, 0]              0        / 0    / 1     / 0
 * 1: [0.5, 0.5, 0]          0.6931   / 0.5  / 0     / 0 (tie → lower class)
 * 2: [0.5, 0.25, 0.25]      1.0397   / 0.5  / 0.25  / 0
 * 3: [0.125, 0.75, 0.125]   0.7356   / 0.25 / 0.625 / 1
 * 4: [0.25, 0.25, 0.5]      1.0397   / 0.5  / 0.25  / 2
 * 5: [0, 0, 0]              0        / 1    / 0     / 0 (row of zeros)
 * 6: [0, 0.75, 0.25]        0.5623   / 0.25 / 0.5   / 1
 * 7: [0.25, 0, 0.75]        0.5623   / 0.25 / 0.5   / 2
 */
export const POOL_ROWS: number[][] = [
  [1, 0, 0],
  [0.5, 0.5, 0],
  [0.5, 0.25, 0.25],
  [0.125, 0.75, 0.125],
  [0.25, 0.25, 0.5],
  [0, 0, 0],
  [0, 0.75, 0.25],
  [0.25, 0, 0.75],
];

export const POOL = probsFromRows(POOL_ROWS);
