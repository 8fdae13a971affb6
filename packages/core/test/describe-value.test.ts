import { describe, expect, it } from 'vitest';
import { describeValue } from '../src/index.js';

describe('describeValue', () => {
  it('numbers as String(n), BigInts with n, the rest as JSON', () => {
    expect([NaN, -Infinity, 1.5].map((v) => describeValue(v))).toEqual(['NaN', '-Infinity', '1.5']);
    expect(describeValue(2n ** 70n)).toBe('1180591620717411303424n');
    expect(describeValue({ toString: 1 })).toBe('{"toString":1}');
    expect(describeValue(['a', null])).toBe('["a",null]');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });

  it('what JSON cannot write, by its kind; never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('[object Object]');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(() => 1)).toBe('function');
    expect(describeValue({ big: 1n })).toBe('[object Object]');
  });

  it('cut to max characters', () => {
    expect(describeValue('x'.repeat(100), 10)).toBe('"xxxxxx...');
    expect(describeValue('x'.repeat(100))).toHaveLength(60);
    expect(describeValue('abcdef', 1)).toBe('"...'); // at least 4 characters
  });
});
