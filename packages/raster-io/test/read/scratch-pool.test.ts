// Scratch memory reused between reads: the pool hands buffers back out (flagged as not fresh), keeps its
// bounds, and a read whose scratch holds an earlier read's pixels still returns exactly the file's pixels,
// sparse (never written) blocks included, on the calling thread and on workers.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readGeoTiffFile, writeGeoTiff } from '../../src/node.js';
import { ScratchPool } from '../../src/read/scratch-pool.js';
import { blockLocations } from '../support/block-locations.js';
import { gdalTranslate, HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

describe('ScratchPool', () => {
  it('reuses a given-back buffer for a request it fits, and says it is not fresh', () => {
    const pool = new ScratchPool(false);
    const a = pool.take(100_000);
    expect(a.fresh).toBe(true);
    expect(a.view.byteLength).toBe(100_000);
    a.view.fill(9);
    pool.give(a.view);
    const b = pool.take(90_000);
    expect(b.fresh).toBe(false);
    expect(b.view.buffer).toBe(a.view.buffer);
    expect(b.view.byteLength).toBe(90_000);
    expect(b.view[0]).toBe(9); // not cleared: callers that need zeros must clear
  });

  it('does not hand a large buffer out for a much smaller request, nor one buffer twice', () => {
    const pool = new ScratchPool(false);
    const big = pool.take(4_000_000);
    pool.give(big.view);
    pool.give(big.view); // a second give of the same buffer is ignored
    const small = pool.take(10_000);
    expect(small.fresh).toBe(true);
    const again = pool.take(3_000_000);
    expect(again.view.buffer).toBe(big.view.buffer);
    expect(pool.take(3_000_000).fresh).toBe(true);
  });

  it('never keeps buffers over 16 MiB, or more than 48 MiB idle, or buffers of the other kind', () => {
    const pool = new ScratchPool(false);
    const huge = pool.take(17 * 1024 * 1024);
    pool.give(huge.view);
    expect(pool.take(17 * 1024 * 1024).fresh).toBe(true);
    const views = Array.from({ length: 4 }, () => pool.take(15 * 1024 * 1024).view);
    for (const v of views) pool.give(v);
    // three fit under the idle bound; the oldest was dropped
    const back = Array.from({ length: 4 }, () => pool.take(15 * 1024 * 1024));
    expect(back.map((b) => b.fresh)).toEqual([false, false, false, true]);
    expect(back.some((b) => b.view.buffer === views[0]?.buffer)).toBe(false);
    pool.give(new Uint8Array(new SharedArrayBuffer(1024)));
    expect(pool.take(1024).fresh).toBe(true);
  });
});

const sameBytes = (a: ArrayBufferView | undefined, b: ArrayBufferView | undefined) =>
  !!a &&
  !!b &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const tmp = useTmpDir('raster-io-scratch-');

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('reads over reused scratch', () => {
  /** 620×580 × 4 uint16 deflate tiles; with `hole`, the top-left 256² tile is all zeros and stored sparse. */
  async function file(
    tag: string,
    hole: boolean,
    seed: number,
  ): Promise<{ path: string; bands: Uint16Array[] }> {
    const r = syntheticRaster('uint16', 620, 580, 4, seed);
    const bands = r.bands as Uint16Array[];
    for (const b of bands) {
      for (let i = 0; i < b.length; i++) b[i] = Math.max(1, b[i] as number); // no zero outside the hole
      if (hole) for (let y = 0; y < 256; y++) b.fill(0, y * 620, y * 620 + 256);
    }
    const plain = `${tmp()}/${tag}-src.tif`;
    if (!existsSync(plain)) await writeGeoTiff(plain, r);
    const path = `${tmp()}/${tag}.tif`;
    gdalTranslate(['-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', '-co', 'SPARSE_OK=TRUE', plain, path]);
    return { path, bands };
  }

  it.each([1, 2])(
    'threads %i: a sparse tile reads as zeros after scratch held nonzero pixels',
    async (threads) => {
      const full = await file(`full-${threads}`, false, 5);
      const sparse = await file(`sparse-${threads}`, true, 6);
      const { counts } = await blockLocations(sparse.path);
      expect(Number(counts[0])).toBe(0); // GDAL stored the hole as a sparse tile
      for (let rep = 0; rep < 3; rep++) {
        const dirty = await readGeoTiffFile(full.path, { threads });
        expect(sameBytes(dirty.bands[3], full.bands[3])).toBe(true);
        const r = await readGeoTiffFile(sparse.path, { threads });
        for (const [b, want] of sparse.bands.entries())
          expect(sameBytes(r.bands[b], want), `band ${b}`).toBe(true);
        for (const b of r.bands) expect(b.buffer instanceof SharedArrayBuffer).toBe(false);
        // into the caller's arrays (plain, then shared) that hold the other file's pixels
        for (const shared of [false, true]) {
          const into = dirty.bands.map((b) => {
            const copy = shared
              ? new Uint16Array(new SharedArrayBuffer(b.byteLength))
              : new Uint16Array(b.length);
            copy.set(b as Uint16Array);
            return copy;
          });
          const again = await readGeoTiffFile(sparse.path, { threads, into });
          for (const [b, want] of sparse.bands.entries())
            expect(sameBytes(again.bands[b], want), `into band ${b}, shared ${shared}`).toBe(true);
        }
      }
    },
  );
});
