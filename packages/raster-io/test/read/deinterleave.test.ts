// The word-at-a-time 3-band split of 8-bit rows against the sample-by-sample one: every source and output
// alignment, rows that end at the source's last (partial) 32-bit word, short rows.
import { describe, expect, it } from 'vitest';
import { deinterleaveRow3, quadViews } from '../../src/read/deinterleave.js';
import { rng } from '../support/synthetic.js';

describe('deinterleaveRow3 on 8-bit samples, four pixels per 32-bit access', () => {
  it('gives what the sample-by-sample split gives at every alignment and length', () => {
    const next = rng(7);
    let cases = 0;
    for (const srcBytes of [24, 25, 26, 27, 300, 301, 767, 768]) {
      const src = Uint8Array.from({ length: srcBytes }, () => Math.floor(next() * 256));
      for (let s = 0; s < 12; s++) {
        for (let d = 0; d < 8; d++) {
          const maxPixels = Math.floor((srcBytes - s) / 3);
          for (const n of new Set([0, 1, 2, 3, 4, 5, 7, 9, maxPixels - 1, maxPixels])) {
            if (n < 0 || n > maxPixels) continue;
            const bands = () => [0, 1, 2].map(() => new Uint8Array(d + n + 8).fill(0xee));
            const want = bands();
            const got = bands();
            deinterleaveRow3(want, d, src, s, n);
            const views = quadViews(src, got);
            expect(views).not.toBeNull();
            deinterleaveRow3(got, d, src, s, n, views);
            expect(got, `src ${srcBytes} s ${s} d ${d} n ${n}`).toEqual(want);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(500);
  });

  it('takes no word views of unaligned buffers (the sample-by-sample split runs instead)', () => {
    const buffer = new ArrayBuffer(64);
    const aligned = [0, 1, 2].map(() => new Uint8Array(16));
    expect(quadViews(new Uint8Array(buffer, 1, 30), aligned)).toBeNull();
    expect(
      quadViews(new Uint8Array(buffer, 0, 30), [new Uint8Array(buffer, 2, 8), ...aligned.slice(1)]),
    ).toBeNull();
    expect(quadViews(new Uint8Array(buffer, 0, 30), aligned.slice(1))).toBeNull();
  });
});
