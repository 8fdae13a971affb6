// Array comparisons that report a short summary instead of a huge diff (vitest diffs of big typed arrays are slow).
import type { RasterArray } from '../../src/index.js';

/** Number of differing elements, the largest absolute difference, and the first few differences. */
export function compareArrays(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { mismatches: number; maxDiff: number; first: string[] } {
  if (a.length !== b.length)
    return {
      mismatches: Math.max(a.length, b.length),
      maxDiff: Infinity,
      first: [`length ${a.length} vs ${b.length}`],
    };
  let mismatches = 0;
  let maxDiff = 0;
  const first: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    mismatches++;
    maxDiff = Math.max(maxDiff, Math.abs(x - y));
    if (first.length < 5) first.push(`[${i}] ${x} vs ${y}`);
  }
  return { mismatches, maxDiff, first };
}

/** Total mismatches over all bands (0 when identical). */
export function bandMismatches(a: readonly RasterArray[], b: readonly RasterArray[]): number {
  if (a.length !== b.length) return Infinity;
  return a.reduce((n, band, i) => n + compareArrays(band, b[i] as RasterArray).mismatches, 0);
}
