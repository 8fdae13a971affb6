/**
 * Round half to even, like Python's `round()` (so 312.5 → 312, where `Math.round` gives 313).
 *
 * @param x - value.
 * @returns the nearest integer; ties go to the even neighbour.
 * @example
 * ```ts
 * bankersRound(312.5); // 312
 * bankersRound(2.5);   // 2
 * ```
 */
export function bankersRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
