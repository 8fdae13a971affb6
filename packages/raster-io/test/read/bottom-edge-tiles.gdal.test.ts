// Bottom-edge tiles written with only their rows inside the image (the rest of the tile left out of the stream):
// GDAL asks libtiff for those rows alone (its formula: tile height − ((row + 1) × tile height mod image height)),
// so it reads such files, and fails when a tile holds fewer rows than it asks for. Hand-built here, since GDAL
// always writes whole tiles.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RasterIoError, readGeoTiffFile } from '../../src/node.js';
import { deflate, lzwLiteral, packBits } from '../support/block-encoders.js';
import { compareArrays } from '../support/compare.js';
import { gdalPixels } from '../support/envi.js';
import { HAS_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';
import { rng } from '../support/synthetic.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-bottom-tiles-');
const TILE = 16;

interface Layout {
  width: number;
  height: number;
  /** Samples per pixel, stored pixel-interleaved, or one plane per band when `planar`. */
  bands: number;
  planar: boolean;
  bytesPerSample: 1 | 2;
  /** Rows each bottom-edge tile holds (the others hold all TILE rows). */
  bottomRows: number;
  compression: 5 | 8 | 32773;
  predictor: 1 | 2;
}

/** Band-sequential pixels of the image (a ramp plus noise, so rows differ). */
function image(l: Layout, seed: number): Uint8Array[] | Uint16Array[] {
  const next = rng(seed);
  const max = l.bytesPerSample === 1 ? 255 : 65535;
  return Array.from({ length: l.bands }, (_, b) => {
    const a =
      l.bytesPerSample === 1 ? new Uint8Array(l.width * l.height) : new Uint16Array(l.width * l.height);
    for (let i = 0; i < a.length; i++)
      a[i] = Math.floor((((i + 7 * b) % 61) / 61) * max * 0.6 + next() * max * 0.4);
    return a;
  }) as Uint8Array[] | Uint16Array[];
}

const ENCODE = { 5: lzwLiteral, 8: deflate, 32773: packBits } as const;

/** The stored bytes of one tile: `rows` rows of the given bands, zero outside the image, predictor applied. */
function tileBytes(
  l: Layout,
  px: Uint8Array[] | Uint16Array[],
  tx: number,
  ty: number,
  rows: number,
  bands: number[],
) {
  const spp = bands.length;
  const samples = new (l.bytesPerSample === 1 ? Uint8Array : Uint16Array)(TILE * rows * spp);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < TILE; x++) {
      const ix = tx * TILE + x;
      const iy = ty * TILE + y;
      if (ix >= l.width || iy >= l.height) continue;
      for (const [k, b] of bands.entries())
        samples[(y * TILE + x) * spp + k] = px[b]?.[iy * l.width + ix] as number;
    }
  }
  if (l.predictor === 2) {
    const mask = l.bytesPerSample === 1 ? 0xff : 0xffff;
    for (let y = 0; y < rows; y++) {
      for (let i = TILE * spp - 1; i >= spp; i--) {
        const at = y * TILE * spp + i;
        samples[at] = ((samples[at] as number) - (samples[at - spp] as number)) & mask;
      }
    }
  }
  return ENCODE[l.compression](new Uint8Array(samples.buffer));
}

/** The file: every tile in TIFF order (plane by plane when planar), bottom-edge ones cut to `bottomRows`. */
function writeTiles(name: string, l: Layout, px: Uint8Array[] | Uint16Array[]): string {
  const across = Math.ceil(l.width / TILE);
  const down = Math.ceil(l.height / TILE);
  const planes = l.planar
    ? Array.from({ length: l.bands }, (_, b) => [b])
    : [Array.from({ length: l.bands }, (_, b) => b)];
  const blocks: Uint8Array[] = [];
  for (const bands of planes)
    for (let ty = 0; ty < down; ty++)
      for (let tx = 0; tx < across; tx++)
        blocks.push(tileBytes(l, px, tx, ty, ty === down - 1 ? l.bottomRows : TILE, bands));
  const path = join(tmp(), `${name}.tif`);
  writeFileSync(
    path,
    buildTiff({
      width: l.width,
      height: l.height,
      bitsPerSample: 8 * l.bytesPerSample,
      sampleFormat: 1,
      samplesPerPixel: l.bands,
      compression: l.compression,
      photometric: 1,
      blocks,
      tile: { width: TILE, height: TILE },
      extra: [
        { tag: 284, type: 3, values: [l.planar ? 2 : 1] },
        { tag: 317, type: 3, values: [l.predictor] },
      ],
    }),
  );
  return path;
}

const dtype = (l: Layout) => (l.bytesPerSample === 1 ? 'uint8' : 'uint16');

describe.runIf(requireTool('GDAL (gdalinfo)', HAS_GDAL))(
  'bottom-edge tiles holding only their inner rows',
  () => {
    // 37 rows in 16-row tiles: the bottom tiles have 5 rows inside the image, and GDAL asks for 16 − 48 mod 37 = 5
    const cases: [string, Layout][] = [
      [
        'deflate, predictor 2, 2 × uint16 interleaved',
        {
          width: 40,
          height: 37,
          bands: 2,
          planar: false,
          bytesPerSample: 2,
          bottomRows: 5,
          compression: 8,
          predictor: 2,
        },
      ],
      [
        'LZW, uint8',
        {
          width: 40,
          height: 37,
          bands: 1,
          planar: false,
          bytesPerSample: 1,
          bottomRows: 5,
          compression: 5,
          predictor: 1,
        },
      ],
      [
        'PackBits, 3 × uint8 planes',
        {
          width: 40,
          height: 37,
          bands: 3,
          planar: true,
          bytesPerSample: 1,
          bottomRows: 5,
          compression: 32773,
          predictor: 1,
        },
      ],
    ];
    for (const [what, l] of cases) {
      it(`reads ${what} as GDAL does, whole, in windows and on worker threads`, async () => {
        const px = image(l, l.compression);
        const path = writeTiles(`inner-${l.compression}`, l, px);
        const theirs = gdalPixels(
          path,
          join(tmp(), `inner-${l.compression}.envi`),
          dtype(l),
          l.width,
          l.height,
        );
        expect(theirs).toHaveLength(l.bands);
        for (const [b, band] of theirs.entries())
          expect(compareArrays(band, px[b] as Uint8Array).mismatches).toBe(0);
        for (const threads of [1, 2]) {
          const ours = await readGeoTiffFile(path, { threads });
          for (const [b, band] of theirs.entries()) {
            const c = compareArrays(ours.bands[b] as Uint8Array, band);
            expect(c.mismatches, `threads ${threads}, band ${b}: ${c.first.join('; ')}`).toBe(0);
          }
        }
        // a window inside the bottom tile row, off the tile grid
        const win = { x: 3, y: 33, width: 30, height: 4 };
        const part = await readGeoTiffFile(path, { window: win });
        for (let y = 0; y < win.height; y++)
          for (let x = 0; x < win.width; x++)
            expect(part.bands[0]?.[y * win.width + x]).toBe(px[0]?.[(win.y + y) * l.width + win.x + x]);
      });
    }

    it('refuses a bottom tile cut above the rows GDAL asks for, as GDAL does', async () => {
      const l: Layout = {
        width: 40,
        height: 37,
        bands: 1,
        planar: false,
        bytesPerSample: 2,
        bottomRows: 4,
        compression: 8,
        predictor: 1,
      };
      const path = writeTiles('cut-short', l, image(l, 1));
      expect(() => gdalPixels(path, join(tmp(), 'cut-short.envi'), 'uint16', l.width, l.height)).toThrow();
      const err = await readGeoTiffFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RasterIoError);
      expect((err as RasterIoError).code).toBe('CORRUPT_BLOCK');
      // tile 6 is the first of the bottom row: 4 rows × 16 px × 2 bytes decoded, GDAL's 5 rows needed
      expect((err as RasterIoError).message).toContain('tile 6 decodes to 128 bytes; its geometry needs 160');
    });

    it('needs the extra rows GDAL asks for when its formula asks for more than the image holds', async () => {
      // 7 rows in one 16-row tile row: GDAL asks for 16 − 16 mod 7 = 14 rows, so a tile of the 7 inner rows fails
      const l: Layout = {
        width: 20,
        height: 7,
        bands: 1,
        planar: false,
        bytesPerSample: 1,
        bottomRows: 7,
        compression: 8,
        predictor: 1,
      };
      const short = writeTiles('formula-short', l, image(l, 2));
      expect(() =>
        gdalPixels(short, join(tmp(), 'formula-short.envi'), 'uint8', l.width, l.height),
      ).toThrow();
      const err = await readGeoTiffFile(short).catch((e: unknown) => e);
      expect((err as RasterIoError).code).toBe('CORRUPT_BLOCK');
      expect((err as RasterIoError).message).toContain('decodes to 112 bytes; its geometry needs 224');
      // 14 rows are enough
      const px = image(l, 2);
      const enough = writeTiles('formula-enough', { ...l, bottomRows: 14 }, px);
      const theirs = gdalPixels(enough, join(tmp(), 'formula-enough.envi'), 'uint8', l.width, l.height);
      const ours = await readGeoTiffFile(enough);
      expect(compareArrays(ours.bands[0] as Uint8Array, theirs[0] as Uint8Array).mismatches).toBe(0);
      expect(compareArrays(ours.bands[0] as Uint8Array, px[0] as Uint8Array).mismatches).toBe(0);
    });
  },
);
