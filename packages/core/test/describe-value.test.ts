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

  it('never throws on a revoked Proxy or throwing traps, and names it by its kind', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue(proxy)).toBe('object');
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap });
    expect(describeValue(hostile)).toBe('object');
    expect(describeValue([1, proxy])).toBe('[object Array]');
  });

  it('writes only the start of a huge value, fast', () => {
    const huge = [new Float64Array(5e6), new Array(2 ** 32 - 1), new Array(1e6).fill(7)];
    const t0 = performance.now();
    const shown = huge.map((v) => describeValue(v, 20));
    expect(performance.now() - t0).toBeLessThan(200); // JSON.stringify took seconds on the typed array
    expect(shown).toEqual(['{"0":0,"1":0,"2":...', '[null,null,null,n...', '[7,7,7,7,7,7,7,7,...']);
  });

  it('names nesting JSON cannot write (too deep) by its kind, as before', () => {
    expect(describeValue(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe('[object Array]');
  });

  it('never cuts a surrogate pair in half', () => {
    expect(describeValue('😀'.repeat(40), 9)).toBe('"😀😀...'); // not '"😀😀\ud83d...'
  });
});
