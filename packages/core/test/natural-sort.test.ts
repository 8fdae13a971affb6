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
});
