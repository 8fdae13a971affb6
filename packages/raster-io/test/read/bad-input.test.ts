// Bad input gives typed RasterIoErrors that name the file and the problem, never a hang or a raw TypeError.
import { afterEach, describe, expect, it } from 'vitest';
import { getCodec, unregisterCodec } from '../../src/codecs/codec-registry.js';
import {
  encodeGeoTiff,
  memorySource,
  openGeoTiff,
  RasterIoError,
  readRaster,
  registerCodec,
  UnsupportedCodecError,
} from '../../src/index.js';
import { bandMismatches } from '../support/compare.js';
import { syntheticRaster } from '../support/synthetic.js';

const raster = syntheticRaster('uint16', 300, 260, 2, 4);
const tiled = encodeGeoTiff(raster, { tiled: true, compression: 'deflate', predictor: true });
const plain = encodeGeoTiff(raster, { rowsPerStrip: 64 });

/** Overwrite the value of a SHORT tag in the first IFD of a little-endian TIFF we wrote. */
function patchShortTag(bytes: Uint8Array, tag: number, value: number): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const ifd = v.getUint32(4, true);
  const n = v.getUint16(ifd, true);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i;
    if (v.getUint16(e, true) === tag) {
      v.setUint16(e + 8, value, true);
      return out;
    }
  }
  throw new Error(`tag ${tag} not found`);
}

describe('not a TIFF / truncated', () => {
  it('non-TIFF bytes → NOT_A_TIFF naming the file and the bytes seen', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const err = await openGeoTiff(memorySource(png, 'photo.png')).catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('NOT_A_TIFF');
    expect(err.message).toContain('photo.png');
    expect(err.message).toContain('89 50 4e 47');
    await expect(openGeoTiff(new TextEncoder().encode('<html>not found</html>'))).rejects.toMatchObject({
      code: 'NOT_A_TIFF',
    });
    // right byte order mark, wrong magic number
    await expect(openGeoTiff(Uint8Array.from([0x49, 0x49, 7, 0, 8, 0, 0, 0]))).rejects.toMatchObject({
      code: 'NOT_A_TIFF',
    });
  });

  it('empty or header-only bytes → TRUNCATED', async () => {
    await expect(openGeoTiff(new Uint8Array(0))).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(openGeoTiff(Uint8Array.from([0x49, 0x49, 42, 0]), { name: 'cut.tif' })).rejects.toThrow(
      /cut\.tif.*too short/,
    );
  });

  it('IFD cut off → TRUNCATED at open', async () => {
    const err = await openGeoTiff(memorySource(tiled.subarray(0, 20), 'cut.tif')).catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('TRUNCATED');
    expect(err.message).toContain('cut.tif');
  });

  it('pixel data cut off → TRUNCATED at read, naming the block and the missing bytes', async () => {
    const cut = tiled.subarray(0, Math.floor(tiled.byteLength * 0.6));
    const tiff = await openGeoTiff(memorySource(cut, 'half.tif'));
    // the first tile is still complete...
    await expect(
      readRaster(tiff, { window: { x: 0, y: 0, width: 10, height: 10 }, bands: [0] }),
    ).resolves.toBeDefined();
    // ...the last is not
    const err = await readRaster(tiff).catch((e) => e);
    expect(err).toMatchObject({ code: 'TRUNCATED' });
    expect(err.message).toMatch(
      /half\.tif: truncated file; IFD 0, tile \d+ needs bytes \d+\.\.\d+ but the file ends at/,
    );
  });

  it('corrupt deflate data → CORRUPT_BLOCK naming the block, with the codec error as cause', async () => {
    const bad = tiled.slice();
    const view = new DataView(bad.buffer);
    // first tile offset: TileOffsets is stored after the IFD; find the first tile by scanning for the zlib header
    const tiff = await openGeoTiff(bad);
    void tiff;
    const ifd = view.getUint32(4, true);
    const n = view.getUint16(ifd, true);
    let firstTile = 0;
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + 12 * i;
      if (view.getUint16(e, true) === 324) firstTile = view.getUint32(view.getUint32(e + 8, true), true);
    }
    bad.fill(0xff, firstTile + 2, firstTile + 40);
    const err = await readRaster(await openGeoTiff(memorySource(bad, 'corrupt.tif')), {
      window: { x: 0, y: 0, width: 5, height: 5 },
      bands: [0],
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect(err.message).toContain('corrupt.tif: IFD 0, tile 0');
    expect(err.cause).toBeDefined();
  });
});

describe('unsupported compression', () => {
  afterEach(() => unregisterCodec(60_000));

  it('compression 7 over bytes that are not JPEG: CORRUPT_BLOCK naming the strip, never pixels', async () => {
    const tiff = await openGeoTiff(memorySource(patchShortTag(plain, 259, 7), 'odd.tif'));
    const err = await readRaster(tiff).catch((e) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect(err.message).toContain('odd.tif: IFD 0, strip 0: JPEG data do not start with SOI');
  });

  // 6: old-style JPEG (TIFF 6.0 section 22), which GDAL reads only through libtiff's OJPEG hacks
  it.each([6, 34712, 60_000])(
    'compression %i → UnsupportedCodecError naming the code and the file',
    async (code) => {
      const tiff = await openGeoTiff(memorySource(patchShortTag(plain, 259, code), 'odd.tif'));
      expect(tiff.levels[0]?.compression).toBe(code);
      const err = await readRaster(tiff).catch((e) => e);
      expect(err).toBeInstanceOf(UnsupportedCodecError);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_CODEC', compression: code, file: 'odd.tif' });
      expect(err.message).toContain(`compression ${code}`);
      expect(err.message).toContain('odd.tif');
    },
  );

  it('registerCodec adds a codec for a new code; registering twice needs override', async () => {
    registerCodec(60_000, async () => ({ name: 'identity', decode: (b) => b }));
    const tiff = await openGeoTiff(patchShortTag(plain, 259, 60_000));
    const r = await readRaster(tiff);
    expect(bandMismatches(r.bands, raster.bands)).toBe(0);
    expect(() => registerCodec(60_000, async () => ({ name: 'x', decode: (b) => b }))).toThrow(
      expect.objectContaining({ code: 'CODEC_ALREADY_REGISTERED' }),
    );
    expect(() => registerCodec(8, async () => ({ name: 'x', decode: (b) => b }))).toThrow(/override: true/);
    registerCodec(60_000, async () => ({ name: 'y', decode: (b) => b }), { override: true });
    expect((await getCodec(60_000)).name).toBe('y');
  });

  it('an unknown predictor → UNSUPPORTED_CODEC', async () => {
    const withPred = encodeGeoTiff(raster, { compression: 'deflate', predictor: 2 });
    const tiff = await openGeoTiff(patchShortTag(withPred, 317, 9));
    await expect(readRaster(tiff)).rejects.toThrow(/predictor 9/);
  });
});

describe('bad read options', () => {
  it('window outside the raster → WINDOW_OUT_OF_BOUNDS naming the window and the size', async () => {
    const tiff = await openGeoTiff(memorySource(tiled, 'scene.tif'));
    for (const window of [
      { x: 250, y: 0, width: 100, height: 10 },
      { x: -1, y: 0, width: 10, height: 10 },
      { x: 0, y: 0, width: 0, height: 10 },
      { x: 0.5, y: 0, width: 10, height: 10 },
      { x: 0, y: 300, width: 1, height: 1 },
    ]) {
      const err = await readRaster(tiff, { window }).catch((e) => e);
      expect(err).toMatchObject({ code: 'WINDOW_OUT_OF_BOUNDS' });
      expect(err.message).toContain('scene.tif');
      expect(err.message).toContain('300x260');
    }
  });

  it('band out of range → BAND_OUT_OF_RANGE naming the band and the count', async () => {
    const tiff = await openGeoTiff(memorySource(tiled, 'scene.tif'));
    for (const bands of [[2], [-1], [0, 5], [1.5]]) {
      const err = await readRaster(tiff, { bands }).catch((e) => e);
      expect(err).toMatchObject({ code: 'BAND_OUT_OF_RANGE' });
      expect(err.message).toMatch(/scene\.tif: band .* out of range; the file has 2 band/);
    }
    await expect(readRaster(tiff, { bands: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('missing overview level → INVALID_ARGUMENT listing the levels', async () => {
    const tiff = await openGeoTiff(tiled);
    await expect(readRaster(tiff, { level: 1 })).rejects.toThrow(
      /level 1 does not exist; the file has levels 0\.\.0/,
    );
  });

  it('window and bbox together → INVALID_ARGUMENT', async () => {
    const tiff = await openGeoTiff(tiled);
    await expect(
      readRaster(tiff, { window: { x: 0, y: 0, width: 1, height: 1 }, bbox: [0, 0, 1, 1] }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an aborted signal stops open and read with ABORTED', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(openGeoTiff(tiled, { signal: ctl.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const tiff = await openGeoTiff(tiled);
    await expect(readRaster(tiff, { signal: ctl.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
