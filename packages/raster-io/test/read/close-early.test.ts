// readGeoTiffFile closes the file once every block it needs is fetched, while the last blocks still decode (the
// close's round trip to the I/O threads then costs the read nothing), and closes it whatever happens.

import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readGeoTiffFile } from '../../src/node.js';
import { writeGarbledTiles, writePixelTiles } from '../support/mutations.js';
import { syntheticRaster } from '../support/synthetic.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-close-');

/**
 * Records every FileHandle close of the files opened while `body` runs: node:fs/promises' `open` is wrapped (and the
 * ESM bindings synced to it; FileHandle's close is an own property, so each handle's is wrapped as it opens).
 */
async function watchingCloses<T>(body: (closes: string[]) => Promise<T>, events: string[] = []): Promise<T> {
  const real = fsp.open;
  fsp.open = (async (...args: Parameters<typeof real>) => {
    const h = await real(...args);
    const close = h.close.bind(h);
    h.close = () => {
      events.push('close');
      return close();
    };
    return h;
  }) as typeof real;
  syncBuiltinESMExports();
  try {
    return await body(events);
  } finally {
    fsp.open = real;
    syncBuiltinESMExports();
  }
}

describe('readGeoTiffFile closes its file early and always', () => {
  // 16 tiles of ~0.5 MB in reads of ≤ 1 MB: at 900² the last read holds the two bottom-right tiles, at 1024² the
  // last tile alone, whose decode starts one microtask after its fetch (the close must be issued before that)
  it.each([900, 1024])(
    '%i²: closes before the last blocks are decoded, and the pixels are whole',
    async (side) => {
      const src = syntheticRaster('uint16', side, side, 4, 3);
      const path = `${tmp()}/in.tif`;
      await writePixelTiles(path, src);
      const events: string[] = [];
      const r = await watchingCloses(
        () => readGeoTiffFile(path, { onProgress: (p) => events.push(`block ${p.done}/${p.total}`) }),
        events,
      );
      for (let k = 0; k < 4; k++) {
        const [a, b] = [r.bands[k], src.bands[k]] as Uint16Array[];
        expect(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer)),
          `band ${k}`,
        ).toBe(true);
      }
      expect(events.filter((e) => e === 'close')).toHaveLength(1);
      expect(events.indexOf('close')).toBeLessThan(events.indexOf('block 16/16'));
    },
  );

  it('closes once after a failed read (a corrupt tile), and once after a read of sparse blocks only', async () => {
    const src = syntheticRaster('uint16', 600, 600, 4, 4);
    const path = `${tmp()}/bad.tif`;
    await writeGarbledTiles(path, src);
    const closes = await watchingCloses(async (events) => {
      await expect(readGeoTiffFile(path)).rejects.toMatchObject({ code: 'CORRUPT_BLOCK' });
      return events;
    });
    expect(closes).toEqual(['close']);
    // every tile sparse (byte count 0): nothing is fetched, the file is closed after the read
    const empty = `${tmp()}/sparse.tif`;
    const tiles = [new Uint8Array(0), new Uint8Array(0)];
    writeFileSync(
      empty,
      buildTiff({
        width: 32,
        height: 16,
        bitsPerSample: 16,
        sampleFormat: 1,
        samplesPerPixel: 1,
        compression: 8,
        photometric: 1,
        blocks: tiles,
        tile: { width: 16, height: 16 },
      }),
    );
    const sparseCloses = await watchingCloses(async (events) => {
      const r = await readGeoTiffFile(empty);
      expect(Array.from(r.bands[0] ?? []).every((v) => v === 0)).toBe(true);
      return events;
    });
    expect(sparseCloses).toEqual(['close']);
  });
});
