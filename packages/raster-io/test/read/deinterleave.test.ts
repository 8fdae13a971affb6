// The word-at-a-time splits of 8-bit 3- and 4-band rows against the sample-by-sample ones: every source and
// output alignment, rows that end at the source's last (partial) 32-bit word, short rows.
import { describe, expect, it } from 'vitest';
import { deinterleaveRow3, deinterleaveRow4, wordViews } from '../../src/read/deinterleave.js';
import { rng } from '../support/synthetic.js';

describe('8-bit rows split four pixels per 32-bit access', () => {
  for (const [bands, split] of [
    [3, deinterleaveRow3],
    [4, deinterleaveRow4],
  ] as const) {
    it(`${bands} bands: what the sample-by-sample split gives at every alignment and length`, () => {
      const next = rng(7);
      let cases = 0;
      for (const srcBytes of [24, 25, 26, 27, 300, 301, 767, 768]) {
        const src = Uint8Array.from({ length: srcBytes }, () => Math.floor(next() * 256));
        // a row starts on a pixel: any byte for 3 bands, whole words for 4
        for (let s = 0; s < 12; s += bands === 3 ? 1 : 4) {
          for (let d = 0; d < 8; d++) {
            const maxPixels = Math.floor((srcBytes - s) / bands);
            for (const n of new Set([0, 1, 2, 3, 4, 5, 7, 9, maxPixels - 1, maxPixels])) {
              if (n < 0 || n > maxPixels) continue;
              const out = () => Array.from({ length: bands }, () => new Uint8Array(d + n + 8).fill(0xee));
              const want = out();
              const got = out();
              split(want, d, src, s, n);
              const views = wordViews(src, got);
              expect(views).not.toBeNull();
              split(got, d, src, s, n, views);
              expect(got, `src ${srcBytes} s ${s} d ${d} n ${n}`).toEqual(want);
              cases++;
            }
          }
        }
      }
      expect(cases).toBeGreaterThan(200);
    });
  }

  it('takes no word views of unaligned buffers (the sample-by-sample split runs instead)', () => {
    const buffer = new ArrayBuffer(64);
    const aligned = [0, 1, 2].map(() => new Uint8Array(16));
    expect(wordViews(new Uint8Array(buffer, 1, 30), aligned)).toBeNull();
    expect(
      wordViews(new Uint8Array(buffer, 0, 30), [new Uint8Array(buffer, 2, 8), ...aligned.slice(1)]),
    ).toBeNull();
    expect(wordViews(new Uint32Array(buffer, 0, 8), aligned)).toBeNull();
  });
});
