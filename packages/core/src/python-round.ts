// Python-compatible rounding: Python rounds exact ties to even, JavaScript's Math.round rounds them up.
import { checkNumber } from './internal/check-arguments.js';

/**
 * Round half to even, like Python's `round(x)` (so 312.5 → 312, where `Math.round` gives 313).
 * @param x value.
 * @returns the nearest integer; ties go to the even neighbour.
 * @throws {CoreError} `INVALID_ARGUMENT` when `x` is not a number.
 * @example
 * bankersRound(312.5); // 312
 * bankersRound(2.5); // 2
 */
export function bankersRound(x: number): number {
  checkNumber('bankersRound', 'x', x);
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Python's `round(x, 2)`: correctly rounded to 2 decimals on the double's exact value, exact ties to even.
 * @param x value.
 * @returns x rounded to 2 decimals (NaN and ±Infinity unchanged, as Python's).
 * @throws {CoreError} `INVALID_ARGUMENT` when `x` is not a number.
 * @example
 * pythonRound2(0.125); // 0.12
 * pythonRound2(0.375); // 0.38
 */
export function pythonRound2(x: number): number {
  checkNumber('pythonRound2', 'x', x);
  // toFixed is exact on the double's decimal expansion but rounds ties up; Python rounds exact ties to even.
  // An exact tie has the expansion d.dd5000… (only possible for values like 0.125 = k/8).
  const digits = Math.abs(x).toFixed(20);
  if (/^\d+\.\d\d50*$/.test(digits)) {
    // The tie is settled on the decimal text: |x|·100 is no exact double past 2^53 / 100 (9e13), where ties
    // with a .xx5 fraction still exist (…877.375), and flooring it picked the wrong neighbour.
    const down = digits.slice(0, digits.indexOf('.') + 3);
    const kept = Number(down.slice(-1)) % 2 === 0 ? down : Math.abs(x).toFixed(2);
    return Math.sign(x) * Number(kept);
  }
  return Number(x.toFixed(2));
}
