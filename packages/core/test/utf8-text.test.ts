import { describe, expect, it } from 'vitest';
import { decodeUtf8Text } from '../src/index.js';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

describe('decodeUtf8Text', () => {
  it('decodes UTF-8 as Buffer#toString does, the byte-order mark kept', () => {
    const b = bytes([0xef, 0xbb, 0xbf], 'name,city\nZürich,\u{1F600} \uFFFD\n');
    expect(decodeUtf8Text(b)).toEqual({ text: Buffer.from(b).toString('utf8') });
    expect(decodeUtf8Text(new Uint8Array(0))).toEqual({ text: '' });
  });

  it('names the first invalid byte and its line, past valid U+FFFD and multi-byte characters', () => {
    // Latin-1 "Zürich" on line 3, after a real U+FFFD and an emoji
    const b = bytes('a\n\uFFFD \u{1F600}\nZ', [0xfc], 'rich\n');
    expect(decodeUtf8Text(b)).toEqual({ fault: { byte: 12, line: 3 } });
  });

  it.each([
    ['overlong slash', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['lone continuation', [0x80]],
    ['cut 4-byte sequence at the end', [0xf0, 0x9f, 0x98]],
    ['5-byte lead', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ])('%s is a fault at its first byte', (_, seq) => {
    expect(decodeUtf8Text(bytes('ok\n', seq, 'x'))).toEqual({ fault: { byte: 3, line: 2 } });
  });

  it('agrees with a strict decoder on every 1- and 2-byte sequence after ASCII', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let a = 0x80; a < 0x100; a++) {
      for (let b = 0; b < 0x100; b += 17) {
        const input = Uint8Array.of(0x41, a, b, 0x80, 0x41);
        let valid = true;
        try {
          strict.decode(input);
        } catch {
          valid = false;
        }
        expect(['fault' in decodeUtf8Text(input), a, b]).toEqual([!valid, a, b]);
      }
    }
  });

  it('refuses what only looks like a Uint8Array in a CoreError (its length getter threw a TypeError)', () => {
    const fakes = [Object.create(Uint8Array.prototype), new Proxy(new Uint8Array([104, 105]), {})];
    for (const bytes of fakes)
      expect(() => decodeUtf8Text(bytes)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(decodeUtf8Text(Buffer.from('hi'))).toEqual({ text: 'hi' });
  });
});
