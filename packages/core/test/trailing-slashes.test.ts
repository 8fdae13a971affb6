import { describe, expect, it } from 'vitest';
import { CoreError, withoutTrailingSlashes } from '../src/index.js';

describe('withoutTrailingSlashes', () => {
  it('drops every trailing slash and nothing else', () => {
    expect(withoutTrailingSlashes('https://h/api/')).toBe('https://h/api');
    expect(withoutTrailingSlashes('https://h/api///')).toBe('https://h/api');
    expect(withoutTrailingSlashes('https://h//a/b')).toBe('https://h//a/b');
    expect(withoutTrailingSlashes('///')).toBe('');
    expect(withoutTrailingSlashes('')).toBe('');
    expect(() => withoutTrailingSlashes(3 as unknown as string)).toThrow(CoreError);
  });

  it('is linear on a long run of slashes that does not end the text (`/\\/+$/` took 23 s for 256 KiB)', () => {
    const text = `https://h${'/'.repeat(1 << 18)}x`;
    const t0 = performance.now();
    expect(withoutTrailingSlashes(text)).toBe(text);
    expect(withoutTrailingSlashes(`${text}//`)).toBe(text);
    expect(performance.now() - t0).toBeLessThan(4000); // milliseconds
  });
});
