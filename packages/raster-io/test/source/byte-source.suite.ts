// One conformance suite for every ByteSource implementation (memory, file, http, block-cached http).
import { describe, expect, it } from 'vitest';
import { type ByteSource, RasterIoError } from '../../src/index.js';

/** The bytes every source under test serves: 100 003 bytes of a known pattern (not a multiple of any block). */
export const SUITE_BYTES = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);

export function byteSourceSuite(label: string, open: () => Promise<ByteSource>): void {
  describe(`ByteSource conformance: ${label}`, () => {
    it('reads exact ranges anywhere in the source', async () => {
      const src = await open();
      for (const [offset, length] of [
        [0, 8],
        [1, 1],
        [4095, 3],
        [16_380, 10],
        [50_000, 20_000],
        [0, 100_003],
      ] as const) {
        expect(Array.from(await src.read(offset, length))).toEqual(
          Array.from(SUITE_BYTES.subarray(offset, offset + length)),
        );
      }
      await src.close?.();
    });

    it('knows its size after a read', async () => {
      const src = await open();
      await src.read(0, 4);
      expect(src.size).toBe(SUITE_BYTES.byteLength);
      await src.close?.();
    });

    it('clamps reads that run past the end and returns empty at or beyond the end', async () => {
      const src = await open();
      const tail = await src.read(100_000, 100);
      expect(Array.from(tail)).toEqual(Array.from(SUITE_BYTES.subarray(100_000)));
      expect((await src.read(100_003, 10)).byteLength).toBe(0);
      expect((await src.read(200_000, 10)).byteLength).toBe(0);
      expect((await src.read(10, 0)).byteLength).toBe(0);
      await src.close?.();
    });

    it('rejects negative or fractional ranges with INVALID_ARGUMENT', async () => {
      const src = await open();
      await expect(src.read(-1, 4)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(src.read(0, 1.5)).rejects.toBeInstanceOf(RasterIoError);
      await src.close?.();
    });

    it('honours an already-aborted signal with ABORTED', async () => {
      const src = await open();
      const ctl = new AbortController();
      ctl.abort(new Error('stop'));
      await expect(src.read(0, 10, ctl.signal)).rejects.toMatchObject({ code: 'ABORTED' });
      await src.close?.();
    });

    it('serves concurrent reads consistently', async () => {
      const src = await open();
      const ranges = Array.from({ length: 20 }, (_, i) => [i * 4999, 777] as const);
      const got = await Promise.all(ranges.map(([o, l]) => src.read(o, l)));
      got.forEach((g, i) => {
        const [o, l] = ranges[i] as readonly [number, number];
        expect(Array.from(g)).toEqual(Array.from(SUITE_BYTES.subarray(o, o + l)));
      });
      await src.close?.();
    });
  });
}
