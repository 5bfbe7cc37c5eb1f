/**
 * Deterministic orderings shared by the strategies. Every tie is broken by the lower pool index,
 * so a selection never depends on sort stability or engine details.
 *
 * @module
 */

/**
 * Positions 0..n-1 ordered by `scores` descending (or ascending), ties by `keys` ascending
 * (pool indices; positions themselves when omitted). NaN scores sort last.
 */
export function rankBy(
  scores: ArrayLike<number>,
  options: { descending: boolean; keys?: ArrayLike<number>; positions?: ArrayLike<number> },
): number[] {
  const positions = options.positions === undefined
    ? Array.from({ length: scores.length }, (_, i) => i)
    : Array.from(options.positions);
  const keys = options.keys;
  const sign = options.descending ? -1 : 1;
  positions.sort((a, b) => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    const na = Number.isNaN(sa);
    const nb = Number.isNaN(sb);
    if (na || nb) {
      if (na && !nb) return 1;
      if (nb && !na) return -1;
    } else if (sa !== sb) {
      return sign * (sa < sb ? -1 : 1);
    }
    const ka = keys === undefined ? a : keys[a]!;
    const kb = keys === undefined ? b : keys[b]!;
    return ka - kb;
  });
  return positions;
}
