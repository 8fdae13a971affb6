import { describe, expect, it } from 'vitest';
import { CoreError, createRng, uniform } from '../src/index.js';

// Golden values from an independent Python implementation of the documented algorithm
// (splitmix32 seeding + xoshiro128**, masked big-int arithmetic), see createRng's TSDoc.
const GOLDEN: Record<number, { u32: number[]; doubles: number[] }> = {
  0: {
    u32: [1789933344, 44971166, 2521387044, 3848737593, 1138324114],
    doubles: [0.41675133265905573, 0.5870561741002205, 0.2650367332581032],
  },
  42: {
    u32: [660444221, 3652823732, 77672526, 910233633, 2297337756],
    doubles: [0.15377165265745885, 0.018084542542176507, 0.5348906284683476],
  },
  // Seeds of 2^32 and above: the high word is mixed into every state word (see createRng's TSDoc).
  1099511627783: {
    u32: [1952298777, 652793079, 2278230129, 3110521767, 3970680732],
    doubles: [0.4545549761652218, 0.5304417887644826, 0.9244961494024923],
  },
  4294967296: {
    u32: [1975566571, 1675467323, 2798665601, 2592987644, 3867655149],
    doubles: [0.45997243665233345, 0.6516151175180597, 0.9005086409043578],
  },
  9007199254740991: {
    u32: [2411936218, 1058870346, 4061038541, 2080464729, 421135561],
    doubles: [0.5615726578722705, 0.9455342179864342, 0.09805326623796651],
  },
};

describe('createRng', () => {
  it.each(Object.keys(GOLDEN).map(Number))(
    'seed %d reproduces the golden 32-bit outputs and doubles',
    (seed) => {
      const a = createRng(seed);
      expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(GOLDEN[seed].u32);
      const b = createRng(seed);
      expect(Array.from({ length: 3 }, () => b.next())).toEqual(GOLDEN[seed].doubles);
    },
  );

  it('gives identical streams for identical seeds and different ones otherwise', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const sa = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(sa);
  });

  it.each([
    [0, 2 ** 32],
    [7, 7 + 5 * 2 ** 32],
    [123456, 123456 + 2 ** 40],
  ])('seeds %d and %d (equal low 32 bits) give unrelated first outputs', (a, b) => {
    const ra = createRng(a);
    const rb = createRng(b);
    const xa = Array.from({ length: 8 }, () => ra.next());
    const xb = Array.from({ length: 8 }, () => rb.next());
    // Before the high word reached every state word, the first doubles agreed to ~1e-4.
    for (let i = 0; i < 8; i++) expect(Math.abs(xa[i] - xb[i])).toBeGreaterThan(1e-3);
  });

  it('next() stays in [0, 1) with a sane mean; int(n) covers [0, n) evenly', () => {
    const r = createRng(123);
    let sum = 0;
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      counts[r.int(7)]++;
    }
    expect(sum / 70000).toBeCloseTo(0.5, 2);
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const r = createRng(5);
    let s = 0;
    let s2 = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('fork() is deterministic and independent of the parent stream', () => {
    const f1 = createRng(9).fork();
    const f2 = createRng(9).fork();
    expect(f1.next()).toBe(f2.next());
    expect(f1.seed).not.toBe(9);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('rejects seed %s with INVALID_SEED', (seed) => {
    expect(() => createRng(seed)).toThrowError(CoreError);
    expect(() => createRng(seed)).toThrow(/seed .* must be a non-negative safe integer/);
  });

  it('rejects int(0)', () => {
    expect(() => createRng(1).int(0)).toThrow(/integer n in \[1, 2\^32\]/);
    expect(() => createRng(1).int(0)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('names the code INVALID_SEED', () => {
    expect(() => createRng(-1)).toThrowError(
      expect.objectContaining({ name: 'CoreError', code: 'INVALID_SEED' }),
    );
  });

  it('uniform(rng, lo, hi) scales next() into [lo, hi)', () => {
    const expected = 10 + 10 * GOLDEN[42].doubles[0];
    expect(uniform(createRng(42), 10, 20)).toBe(expected);
  });

  it('uniform stays in [lo, hi) at the edges: bounds whose difference overflows, a draw that rounds onto hi', () => {
    const x = uniform(createRng(7), -Number.MAX_VALUE, Number.MAX_VALUE); // was NaN or Infinity
    expect(Number.isFinite(x)).toBe(true);
    const top = { next: () => 1 - 2 ** -53 }; // the largest next()
    expect(uniform(top, -Number.MAX_VALUE, Number.MAX_VALUE)).toBeLessThan(Number.MAX_VALUE);
    expect(uniform(top, 1, 1 + 2 ** -52)).toBe(1); // 1 + (2^-52)(1 − 2^-53) rounded to hi
    expect(uniform(top, -2, -1)).toBe(-1 - 2 ** -52);
  });

  it('rng.int names a value String() cannot convert in a CoreError (it threw a TypeError)', () => {
    const rng = createRng(1);
    for (const n of [Object.create(null), { toString: 1, valueOf: 1 }])
      expect(() => rng.int(n)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
