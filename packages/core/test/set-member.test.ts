import { describe, expect, it } from 'vitest';
import { setMember } from '../src/index.js';

describe('setMember', () => {
  it('stores "__proto__" as a plain own member, the prototype untouched', () => {
    const r: Record<string, number> = {};
    setMember(r, '__proto__', 1);
    setMember(r, 'a', 2);
    expect(Object.keys(r)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(r, '__proto__')?.value).toBe(1);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(JSON.stringify(r)).toBe('{"__proto__":1,"a":2}');
  });
});
