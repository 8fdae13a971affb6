import { describe, expect, it } from 'vitest';
import { bankersRound, pythonRound2 } from '../src/index.js';

describe('Python-compatible rounding', () => {
  it('bankersRound rounds exact ties to the even neighbour like round(x)', () => {
    expect([0.5, 1.5, 2.5, 312.5, -0.5, -1.5, -2.5].map(bankersRound)).toEqual([0, 2, 2, 312, 0, -2, -2]);
    expect([2.4999, 2.5001, 7.2, -7.6].map(bankersRound)).toEqual([2, 3, 7, -8]);
    expect(Math.round(312.5)).toBe(313);
  });

  it('pythonRound2 matches round(x, 2): exact ties to even, inexact ones by the double value', () => {
    expect([0.125, 0.375, 0.625, -0.125].map(pythonRound2)).toEqual([0.12, 0.38, 0.62, -0.12]);
    // 2.675 is stored as 2.67499999…, so Python gives 2.67; 1.005 is 1.00499… → 1.0
    expect(pythonRound2(2.675)).toBe(2.67);
    expect(pythonRound2(1.005)).toBe(1);
    expect(pythonRound2(0.5916)).toBe(0.59);
  });

  it('pythonRound2 settles ties past 2^53 / 100 as round(x, 2) does (x·100 is no exact double there)', () => {
    // values and results from Python 3: round(x, 2); the old x·100 floor gave 1044971270091877.5
    const tie = 1044971270091877 + 0.375; // exact: a tie at 2 decimals
    const x = [tie, -tie, 2 ** 46 + 0.375, 2 ** 49 + 0.625, 2 ** 50 + 0.875];
    expect(x.map(pythonRound2)).toEqual([
      1044971270091877.4, -1044971270091877.4, 70368744177664.38, 562949953421312.6, 1125899906842625.0,
    ]);
  });
});
