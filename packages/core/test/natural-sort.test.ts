import { describe, expect, it } from 'vitest';
import { natCompare, natsorted } from '../src/index.js';

describe('natsorted (Python natsort default)', () => {
  it('compares digit runs as integers', () => {
    expect(natsorted(['T-10', 'T-9', 'T-1', 'T-100'])).toEqual(['T-1', 'T-9', 'T-10', 'T-100']);
    expect(natsorted(['10-L2A_data.tiff', '2-L2A_data.tiff', '1-L2A_data.tiff'])).toEqual([
      '1-L2A_data.tiff',
      '2-L2A_data.tiff',
      '10-L2A_data.tiff',
    ]);
  });

  it('sorts capitals before lower case by code point, where a numeric Intl.Collator ignores case', () => {
    const values = ['b2', 'B10', 'a1', 'A3'];
    expect(natsorted(values)).toEqual(['A3', 'B10', 'a1', 'b2']);
    const collator = new Intl.Collator('en', { numeric: true });
    expect([...values].sort(collator.compare)).toEqual(['a1', 'A3', 'b2', 'B10']);
  });

  it('puts a key that is a prefix of the other first, ignores leading zeros in numbers, keeps equal keys stable', () => {
    expect(natCompare('a', 'a1')).toBeLessThan(0);
    expect(natCompare('x007', 'x7')).toBe(0);
    expect(natsorted(['x7', 'x007', 'x08'])).toEqual(['x7', 'x007', 'x08']);
    expect(natCompare('1a', 'a')).toBeLessThan(0);
  });

  it('does not modify its input', () => {
    const v = ['b', 'a'];
    natsorted(v);
    expect(v).toEqual(['b', 'a']);
  });

  it('refuses an iterable that fails or never ends in a CoreError (a TypeError escaped; an endless one filled the heap)', () => {
    const broken = { [Symbol.iterator]: () => 5 };
    const endless = (function* () {
      for (;;) yield 'a';
    })();
    for (const values of [broken, endless])
      expect(() => natsorted(values as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  }, 20_000);

  it('computes each key once: long names sort fast', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `${'a'.repeat(50_000)}${(i * 7919) % 2000}`);
    const t0 = performance.now();
    const sorted = natsorted(names);
    expect(performance.now() - t0).toBeLessThan(1500); // 2.7 s with keys made per comparison
    expect(sorted[0]?.endsWith('a0')).toBe(true);
    expect(sorted[1999]?.endsWith('a1999')).toBe(true);
  });
});
