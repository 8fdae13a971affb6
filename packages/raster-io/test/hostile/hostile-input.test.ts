// Hostile TIFFs built byte by byte: every one must end in a typed RasterIoError, fast and in bounded memory.
// The cases that could exhaust memory run the built package in a child Node with a 256 MB heap.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedGeoKeys, parseGeoKeyDirectory } from '../../src/crs/geokeys.js';
import {
  DEFAULT_RASTER_IO_LIMITS,
  httpSource,
  memorySource,
  type OpenGeoTiffOptions,
  openGeoTiff,
  RasterIoError,
  readRaster,
} from '../../src/index.js';
import { NODE_CODECS } from '../../src/node.js';
import { deflate, deflateBomb, lzwLiteral, packBits } from '../support/block-encoders.js';
import { type RangeServer, startRangeServer } from '../support/range-server.js';
import { assertDistFresh, readInChild } from '../support/read-child.js';
import {
  DOUBLE,
  LONG,
  patchCountInEveryIfd,
  patchTagCount,
  patchTagEntry,
  SHORT,
  type TinyIfd,
  tinyTiff,
} from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-hostile-');
const TIME_MS = 8000; // bounds a blow-up (minutes), with room for a loaded runner
const CHILD_RSS_MB = 250;

/** A 64×16 uint8 ramp, one strip. */
const W = 64;
const H = 16;
const pixels = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) & 0xff);
const plainIfd = (over: Partial<TinyIfd> = {}): TinyIfd => ({
  width: W,
  height: H,
  strips: [pixels],
  ...over,
});

/**
 * Open + read `bytes` in-process; returns the error, asserting it is typed and came back fast and small.
 * `codecs` defaults to Node's (node:zlib deflate); pass `{}` for the browser-safe one (pako).
 */
async function failure(
  bytes: Uint8Array,
  name: string,
  options: Parameters<typeof readRaster>[1] = {},
  codecs: OpenGeoTiffOptions['codecs'] = NODE_CODECS,
) {
  const t0 = performance.now();
  const rss0 = process.memoryUsage().rss;
  const err = await (async () => {
    const tiff = await openGeoTiff(memorySource(bytes, name), { codecs, limits: options.limits });
    await readRaster(tiff, options);
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(performance.now() - t0).toBeLessThan(TIME_MS);
  expect((process.memoryUsage().rss - rss0) / 2 ** 20).toBeLessThan(100);
  expect(err, `${name} was read without error`).toBeInstanceOf(RasterIoError);
  expect((err as Error).message).toContain(name);
  return err as RasterIoError;
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp(), name);
  writeFileSync(p, bytes);
  return p;
}

const selfLoop = tinyTiff([plainIfd()], (_, offs) => offs[0] as number);
const twoCycle = tinyTiff([plainIfd(), plainIfd()], (i, offs) => offs[1 - i] as number);
const huge = (side: number) => tinyTiff([{ width: side, height: side, strips: [new Uint8Array(16)] }]);
// 256×256 uint8 in one deflate strip whose data inflates to 1.5 GiB.
const bombIfd = (mib: number): TinyIfd => ({
  width: 256,
  height: 256,
  compression: 8,
  strips: [deflateBomb(mib)],
});

describe('hostile headers in a 256 MB child process (built dist)', () => {
  beforeAll(() => assertDistFresh());

  it.each([
    ['self-loop.tif', () => selfLoop, 'CORRUPT_TIFF', /IFD loop.*IFD 0 points back to IFD 0/],
    ['two-cycle.tif', () => twoCycle, 'CORRUPT_TIFF', /IFD loop.*IFD 1 points back to IFD 0/],
    ['side-100000.tif', () => huge(100_000), 'TOO_LARGE', /10000000000.*maxPixels/],
    ['side-46341.tif', () => huge(46_341), 'TOO_LARGE', /2147488281.*maxPixels/],
    ['bomb.tif', () => tinyTiff([bombIfd(1536)]), 'CORRUPT_BLOCK', /IFD 0, strip 0.*more than 65536 bytes/],
  ])('%s → %s', async (name, bytes, code, message) => {
    const path = file(name, bytes());
    const r = await readInChild(path);
    expect(r.status, r.stderr).toBe(0);
    expect(r).toMatchObject({ ok: false, typed: true, code });
    expect(r.message).toMatch(message);
    expect(r.message).toContain(name);
    expect(r.ms).toBeLessThan(TIME_MS);
    expect(r.maxRssMB).toBeLessThan(CHILD_RSS_MB);
  });

  it('the bomb is real: plain zlib inflates its 8 MiB cousin in full', () => {
    const small = deflateBomb(8);
    expect(small.byteLength).toBeLessThan(16 << 10);
    expect(inflateSync(small).byteLength).toBe(8 << 20);
    expect(deflateBomb(1536).byteLength).toBeLessThan(2 << 20);
  });

  it('with the limits raised, the 46341² file gets past them and fails on its 16 stored bytes', async () => {
    // Still typed and small: the uncompressed strip is read at its geometric size, clamped to the file.
    const r = await readInChild(file('side-46341b.tif', huge(46_341)), {
      limits: { maxPixels: 2 ** 32, maxBlockBytes: 2 ** 32 },
      window: { x: 0, y: 0, width: 4, height: 4 },
    });
    expect(r).toMatchObject({ ok: false, typed: true, code: 'TRUNCATED' });
    expect(r.maxRssMB).toBeLessThan(CHILD_RSS_MB);
  });
});

describe('the same files over HTTP (127.0.0.1 range server)', () => {
  let server: RangeServer;
  beforeAll(async () => {
    assertDistFresh();
    server = await startRangeServer();
    server.files.set('loop.tif', selfLoop);
    server.files.set('bomb.tif', tinyTiff([bombIfd(1536)]));
    server.files.set(
      'pred.tif',
      patchTagCount(tinyTiff([plainIfd({ tags: { 317: [SHORT, [1]] } })]), 317, 1415),
    );
  });
  afterAll(() => server.close());

  it.each([
    ['loop.tif', 'CORRUPT_TIFF'],
    ['bomb.tif', 'CORRUPT_BLOCK'],
    ['pred.tif', 'TRUNCATED'],
  ])('%s → %s in a child process', async (name, code) => {
    const url = server.url(`/files/${name}`);
    const r = await readInChild(url);
    expect(r.status, r.stderr).toBe(0);
    expect(r).toMatchObject({ ok: false, typed: true, code });
    expect(r.message).toContain(url);
    expect(r.ms).toBeLessThan(TIME_MS);
    expect(r.maxRssMB).toBeLessThan(CHILD_RSS_MB);
  });

  it('in-process too: the loop is typed and the request count stays small', async () => {
    server.reset();
    const url = server.url('/files/loop.tif');
    const err = await openGeoTiff(httpSource(url)).catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('CORRUPT_TIFF');
    expect(server.requests.length).toBeLessThan(5);
  });
});

describe('short, empty, long and corrupt blocks in each codec', () => {
  const half = pixels.subarray(0, pixels.length / 2);
  const twice = new Uint8Array(pixels.length * 2);
  const codecs: [string, number, (b: Uint8Array) => Uint8Array][] = [
    ['deflate', 8, deflate],
    ['LZW', 5, lzwLiteral],
    ['PackBits', 32773, packBits],
  ];

  it.each(codecs)(
    '%s: the valid strip reads back exactly (the encoders are real)',
    async (_, compression, enc) => {
      const tiff = await openGeoTiff(tinyTiff([plainIfd({ compression, strips: [enc(pixels)] })]), {
        codecs: NODE_CODECS,
      });
      expect(Array.from((await readRaster(tiff)).bands[0] as Uint8Array)).toEqual(Array.from(pixels));
    },
  );

  it.each(codecs)(
    '%s: a strip decoding to half its geometry → CORRUPT_BLOCK',
    async (label, compression, enc) => {
      const err = await failure(
        tinyTiff([plainIfd({ compression, strips: [enc(half)] })]),
        `short-${label}.tif`,
      );
      expect(err.code).toBe('CORRUPT_BLOCK');
      expect(err.message).toMatch(/IFD 0, strip 0 decodes to 512 bytes; its geometry needs 1024/);
    },
  );

  it.each(codecs)(
    '%s: a strip decoding to twice its geometry → CORRUPT_BLOCK',
    async (label, compression, enc) => {
      const err = await failure(
        tinyTiff([plainIfd({ compression, strips: [enc(twice)] })]),
        `long-${label}.tif`,
      );
      expect(err.code).toBe('CORRUPT_BLOCK');
      expect(err.message).toMatch(/IFD 0, strip 0: .*more than 1024 bytes/);
    },
  );

  it.each([
    ['deflate', 8, deflate(new Uint8Array(0))],
    ['LZW', 5, Uint8Array.from([0x80, 0x40, 0x40])], // Clear, EOI
    ['PackBits', 32773, Uint8Array.from([0x80])], // one no-op header
  ])('%s: an empty stream → CORRUPT_BLOCK', async (label, compression, strip) => {
    const err = await failure(tinyTiff([plainIfd({ compression, strips: [strip] })]), `empty-${label}.tif`);
    expect(err.code).toBe('CORRUPT_BLOCK');
    expect(err.message).toMatch(/strip 0 decodes to 0 bytes/);
  });

  it.each([
    ['deflate', 8, new Uint8Array(40).fill(0xff)],
    ['LZW', 5, Uint8Array.from([0x80, 0x7f, 0xff, 0xff])], // Clear, then a code past the table
    ['PackBits', 32773, Uint8Array.from([0x7f, 1, 2, 3])], // a 128-byte literal run with 3 bytes
  ])('%s: corrupt data → CORRUPT_BLOCK with the codec error as cause', async (label, compression, strip) => {
    const err = await failure(tinyTiff([plainIfd({ compression, strips: [strip] })]), `corrupt-${label}.tif`);
    expect(err.code).toBe('CORRUPT_BLOCK');
    expect(err.message).toContain('IFD 0, strip 0');
    expect(err.cause).toBeDefined();
  });

  it('none: a strip whose bytes run past the end of the file → TRUNCATED naming the bytes', async () => {
    const n = tinyTiff([plainIfd()]).byteLength;
    // same layout, but strip 0 starts 100 bytes before the end: 924 of its 1024 bytes are missing
    const bytes = tinyTiff([plainIfd({ tags: { 273: [LONG, [n - 100]] } })]);
    expect(bytes.byteLength).toBe(n);
    const err = await failure(bytes, 'cut-none.tif');
    expect(err.code).toBe('TRUNCATED');
    expect(err.message).toContain(
      `IFD 0, strip 0 needs bytes ${n - 100}..${n - 100 + 1023} but the file ends at ${n}`,
    );
  });

  it('a chunky RGB strip holding one sample per pixel → CORRUPT_BLOCK', async () => {
    const err = await failure(
      tinyTiff([plainIfd({ samplesPerPixel: 3, compression: 8, strips: [deflate(pixels)] })]),
      'rgb-missing.tif',
    );
    expect(err.code).toBe('CORRUPT_BLOCK');
    expect(err.message).toMatch(/decodes to 1024 bytes; its geometry needs 3072/);
  });

  it("onCorruptBlock: 'fill' salvages the good strips and lists the filled one", async () => {
    const top = pixels.subarray(0, W * 8);
    const bytes = tinyTiff([
      plainIfd({ compression: 8, rowsPerStrip: 8, strips: [deflate(top), new Uint8Array(12).fill(0xff)] }),
    ]);
    await expect(failure(bytes, 'half-bad.tif')).resolves.toMatchObject({ code: 'CORRUPT_BLOCK' });
    const tiff = await openGeoTiff(bytes, { codecs: NODE_CODECS, name: 'half-bad.tif' });
    const r = await readRaster(tiff, { onCorruptBlock: 'fill' });
    expect(r.filledBlocks).toEqual([
      expect.objectContaining({ ifd: 0, kind: 'strip', index: 1, code: 'CORRUPT_BLOCK' }),
    ]);
    const band = r.bands[0] as Uint8Array;
    expect(Array.from(band.subarray(0, W * 8))).toEqual(Array.from(top));
    expect(band.subarray(W * 8).every((v) => v === 0)).toBe(true);
    // a clean read lists nothing
    const clean = await readRaster(await openGeoTiff(tinyTiff([plainIfd()])), { onCorruptBlock: 'fill' });
    expect(clean.filledBlocks).toEqual([]);
  });
});

describe('the browser-safe deflate codec (pako) is capped the same way', () => {
  const half = pixels.subarray(0, pixels.length / 2);
  it.each([
    ['short', deflate(half), /strip 0 decodes to 512 bytes; its geometry needs 1024/],
    [
      'long',
      deflate(new Uint8Array(pixels.length * 2)),
      /strip 0: deflate block inflates to more than 1024 bytes/,
    ],
    ['empty', deflate(new Uint8Array(0)), /strip 0 decodes to 0 bytes/],
    ['garbage', new Uint8Array(40).fill(0xff), /strip 0: corrupt or truncated deflate block \(/],
    ['cut stream', deflate(pixels).subarray(0, 20), /strip 0: corrupt or truncated deflate block \(/],
    ['1.5 GiB bomb', deflateBomb(1536), /strip 0: deflate block inflates to more than 65536 bytes/],
  ])('%s → CORRUPT_BLOCK', async (label, strip, message) => {
    const ifd = label.endsWith('bomb') ? bombIfd(1536) : plainIfd({ compression: 8, strips: [strip] });
    const err = await failure(tinyTiff([ifd]), `browser-${label}.tif`, {}, {});
    expect(err.code).toBe('CORRUPT_BLOCK');
    expect(err.message).toMatch(message);
  });

  it('and reads a valid strip exactly', async () => {
    const tiff = await openGeoTiff(tinyTiff([plainIfd({ compression: 8, strips: [deflate(pixels)] })]));
    expect(Array.from((await readRaster(tiff)).bands[0] as Uint8Array)).toEqual(Array.from(pixels));
  });
});

describe('impossible tags and sizes', () => {
  it('a Predictor array running past the end of the file → TRUNCATED at open, naming the tag', async () => {
    const bytes = patchTagCount(tinyTiff([plainIfd({ tags: { 317: [SHORT, [1]] } })]), 317, 1415);
    const err = await failure(bytes, 'pred-1415.tif');
    expect(err.code).toBe('TRUNCATED');
    expect(err.message).toMatch(/IFD 0 at byte \d+, tag 317 holds 1415 × 2 bytes at byte \d+, past the end/);
  });

  it('a Predictor tag of several values → CORRUPT_TIFF at the read, not a guessed predictor', async () => {
    // libtiff drops such a tag and reads predicted data as unpredicted: every pixel after the first is wrong
    const bytes = tinyTiff([
      plainIfd({ compression: 8, strips: [deflate(pixels)], tags: { 317: [SHORT, [2, 2, 2]] } }),
    ]);
    const err = await failure(bytes, 'pred-3.tif');
    expect(err.code).toBe('CORRUPT_TIFF');
    expect(err.message).toBe(
      "pred-3.tif: IFD 0's Predictor tag is not one integer, so how the samples were predicted is unknown",
    );
  });

  it('1 000 directories whose array tags declare 6 × 10^7 values each: the open allocates none of them', async () => {
    // the arrays geotiff.js would allocate whole at parse time (StripOffsets, SubIFDs, ColorMap,
    // YCbCrSubSampling, ...) are read here or not at all (622 GB of array buffers before)
    const ifds = Array.from({ length: 1000 }, () =>
      plainIfd({ tags: { 320: [SHORT, [0, 0, 0]], 330: [LONG, [8, 8]], 530: [SHORT, [2, 2, 2]] } }),
    );
    let bytes = tinyTiff(ifds);
    // IFD 0, the image read, is left whole (its values must lie in the file)
    for (const tag of [273, 320, 330, 530]) bytes = patchCountInEveryIfd(bytes, tag, 60_000_000, 1);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const tiff = await openGeoTiff(bytes, { codecs: NODE_CODECS });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 26);
    expect(performance.now() - t0).toBeLessThan(TIME_MS);
    expect(Array.from((await readRaster(tiff)).bands[0] as Uint8Array)).toEqual(Array.from(pixels));
  });

  it('300 directories whose tiepoints all point at the same 4 MB → TOO_LARGE at open, before any is read', async () => {
    // geotiff.js reads such tags whole for every directory: 1.2 GB held for a 4 MB file before
    const blob = new Array(500_000).fill(0);
    const sharing = (directories: number) => {
      const bytes = tinyTiff(
        Array.from({ length: directories }, (_, i) =>
          plainIfd({ tags: { 33922: [DOUBLE, i === 0 ? blob : [0, 0, 0, 0, 0, 0]] } }),
        ),
      );
      let at = 0;
      patchTagEntry(bytes, 33922, (v, e) => {
        at = v.getUint32(e + 8, true);
      });
      return patchCountInEveryIfd(bytes, 33922, blob.length, 1, at);
    };
    const err = await failure(sharing(300), 'tiepoints.tif');
    expect(err.code).toBe('TOO_LARGE');
    expect(err.message).toMatch(
      /^tiepoints\.tif: the total size in bytes of the tag values read at open is 1200000000, over limits\.maxTagBytes/,
    );
    // three such directories (12 MB) are within the bound, and the image reads
    const tiff = await openGeoTiff(sharing(3), { codecs: NODE_CODECS });
    expect(Array.from((await readRaster(tiff)).bands[0] as Uint8Array)).toEqual(Array.from(pixels));
  });

  it('block arrays declaring more entries than blocks (past the end, or 2^32) are read for the blocks only, as libtiff reads them; too few → TRUNCATED', async () => {
    const two = tinyTiff([
      plainIfd({ rowsPerStrip: 8, strips: [pixels.subarray(0, 512), pixels.subarray(512)] }),
    ]);
    for (const [tag, count] of [
      [273, 100_000],
      [273, 0xfffffff0],
      [279, 0xfffffff0],
    ] as const) {
      const before = process.memoryUsage().arrayBuffers;
      const tiff = await openGeoTiff(patchTagCount(two, tag, count), { codecs: NODE_CODECS });
      // nothing sized by the declared count is allocated (2^32 offsets would be 16 GiB)
      expect(process.memoryUsage().arrayBuffers - before, `tag ${tag} count ${count}`).toBeLessThan(2 ** 26);
      const r = await readRaster(tiff);
      expect(Array.from(r.bands[0] as Uint8Array), `tag ${tag} count ${count}`).toEqual(Array.from(pixels));
    }
    // what libtiff would read is bounded like any tag: a 2^30-square grid of 16-px tiles asks for 2^52 entries
    const grid = tinyTiff([
      plainIfd({
        width: 2 ** 30,
        height: 2 ** 30,
        strips: [],
        tags: { 322: [LONG, [16]], 323: [LONG, [16]], 324: [LONG, [8]], 325: [LONG, [16]] },
      }),
    ]);
    const huge = await failure(patchTagCount(grid, 324, 0xfffffff0), 'tile-grid.tif', {
      window: { x: 0, y: 0, width: 16, height: 16 },
    });
    expect(huge.code).toBe('TOO_LARGE');
    expect(huge.message).toMatch(
      /tile-grid\.tif: IFD 0, tag 324 \(4294967280 values\) size in bytes .*maxTagBytes/,
    );
    const short = await failure(patchTagCount(two, 273, 1, 99_999), 'offsets.tif');
    expect(short.code).toBe('TRUNCATED');
    expect(short.message).toMatch(/offsets\.tif: IFD 0: missing StripOffsets entry 1/);
  });

  it.each([
    ['width-0.tif', { width: 0 }, 'CORRUPT_TIFF', /ImageWidth 0/],
    ['height-0.tif', { height: 0 }, 'CORRUPT_TIFF', /ImageLength 0/],
    ['spp-0.tif', { samplesPerPixel: 0 }, 'CORRUPT_TIFF', /SamplesPerPixel 0/],
    ['bps-0.tif', { bitsPerSample: 0 }, 'UNSUPPORTED_DTYPE', /0-bit samples/],
    ['bps-12345.tif', { bitsPerSample: 12345 }, 'UNSUPPORTED_DTYPE', /12345-bit samples/],
    ['rps-0.tif', { rowsPerStrip: 0 }, 'CORRUPT_TIFF', /RowsPerStrip 0/],
    ['spp-65535.tif', { samplesPerPixel: 65535 }, 'TRUNCATED', /strip 0 needs bytes/],
  ] as const)('%s → %s', async (name, over, code, message) => {
    const err = await failure(tinyTiff([plainIfd(over as Partial<TinyIfd>)]), name);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('a 2^30-pixel tile → TOO_LARGE (maxBlockBytes) before anything is allocated', async () => {
    const bytes = tinyTiff([
      plainIfd({
        width: 1 << 15,
        height: 1 << 15,
        strips: [],
        tags: { 322: [LONG, [1 << 16]], 323: [LONG, [1 << 16]], 324: [LONG, [8]], 325: [LONG, [16]] },
      }),
    ]);
    const err = await failure(bytes, 'big-tile.tif', {
      window: { x: 0, y: 0, width: 2, height: 2 },
      limits: { maxBlockBytes: 2 ** 30 },
    });
    expect(err.code).toBe('TOO_LARGE');
    expect(err.message).toMatch(/decoded size of one tile.*4294967296.*maxBlockBytes/);
  });

  it('an unknown field type, an empty directory, more IFDs than maxIfds', async () => {
    const typed = tinyTiff([plainIfd({ tags: { 40000: [SHORT, [1]] } })]);
    const v = new DataView(typed.buffer);
    const ifd = v.getUint32(4, true);
    const n = v.getUint16(ifd, true);
    v.setUint16(ifd + 2 + 12 * (n - 1) + 2, 99, true); // tag 40000 sorts last
    expect((await failure(typed, 'type-99.tif')).message).toMatch(/tag 40000 has unknown field type 99/);

    const empty = tinyTiff([plainIfd()]);
    new DataView(empty.buffer).setUint16(new DataView(empty.buffer).getUint32(4, true), 0, true);
    expect((await failure(empty, 'no-entries.tif')).code).toBe('CORRUPT_TIFF');

    const chain = tinyTiff([plainIfd(), plainIfd(), plainIfd(), plainIfd()]);
    const err = await failure(chain, 'four.tif', { limits: { maxIfds: 3 } });
    expect(err.code).toBe('TOO_LARGE');
    expect(err.message).toMatch(/IFD count is 4, over limits.maxIfds = 3/);
    await expect(openGeoTiff(chain)).resolves.toBeDefined();
  });

  it('GeoKeys point into their params as libgeotiff reads them: 250 keys each naming all 1000 GeoDoubleParams are not copied and keep the CRS; past those limits the directory is ignored whole', async () => {
    /** UTM 33N inline, then `keys` more keys at `location, count, offset` beside `doubles`. */
    const geoTiff = (keys: number, key: (k: number) => [number, number, number], doubles: number[]) =>
      tinyTiff([
        plainIfd({
          tags: {
            33550: [DOUBLE, [10, 10, 0]],
            33922: [DOUBLE, [0, 0, 0, 500000, 4000000, 0]],
            34735: [
              SHORT,
              [1, 1, 0, 3 + keys, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633].concat(
                Array.from({ length: keys }, (_, k) => [5000 + k, ...key(k)]).flat(),
              ),
            ],
            34736: [DOUBLE, doubles],
          },
        }),
      ]);
    const utm = { epsg: 32633, transform: [500000, 10, 0, 4000000, 0, -10] };
    const geoOf = async (bytes: Uint8Array, name: string) =>
      (await openGeoTiff(memorySource(bytes, name))).levels[0]?.geo;
    const thousand = Array.from({ length: 1000 }, (_, i) => i / 4);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    // libgeotiff's most: 250 keys, 1000 doubles; each key naming all of them (a copy each: 250 000 values)
    expect(
      await geoOf(
        geoTiff(247, () => [34736, 1000, 0], thousand),
        'shared.tif',
      ),
    ).toEqual(utm);
    expect(
      await geoOf(
        geoTiff(247, (k) => [34736, 1000 - k, k], thousand),
        'overlapping.tif',
      ),
    ).toEqual(utm);
    // 1024 keys each naming all 65 535 doubles (548 MB when copied): more keys and doubles than libgeotiff takes
    const N = 65535;
    const all = Array.from({ length: N }, (_, i) => i / 4);
    const hostile = await geoOf(
      geoTiff(1021, () => [34736, N, 0], all),
      'geokeys.tif',
    );
    expect((process.memoryUsage().rss - rss0) / 2 ** 20).toBeLessThan(100);
    expect(performance.now() - t0).toBeLessThan(TIME_MS);
    // ignored whole, as libgeotiff ignores a directory it refuses: no CRS, the transform stays
    expect(hostile).toEqual({ epsg: 0, transform: utm.transform });
    // the limits themselves: 251 keys, 1001 doubles
    expect(
      await geoOf(
        geoTiff(248, (k) => [34736, 4, 4 * k], thousand),
        '251-keys.tif',
      ),
    ).toEqual(hostile);
    expect(
      await geoOf(
        geoTiff(1, () => [0, 1, 7], [...thousand, 0]),
        '1001-doubles.tif',
      ),
    ).toEqual(hostile);
    // each key its own 4 values (as writers lay them out): every value where it belongs
    const own = (k: number) => [5000 + k, 34736, 4, 4 * k];
    const fair = parseGeoKeyDirectory(
      [1, 1, 0, 250, ...Array.from({ length: 250 }, (_, k) => own(k)).flat()],
      thousand,
      undefined,
    );
    expect(fair?.get(5000 + 249)).toEqual(thousand.slice(996));
    expect(Object.keys(fair?.toGeoKeys() ?? {})).toHaveLength(250);

    // values are copied out only when read: count the doubles read through a proxy
    let reads = 0;
    const counted = new Proxy(thousand, {
      get: (t, p, r) => {
        if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
        return Reflect.get(t, p, r);
      },
    });
    const everyKeyAll = [
      1,
      1,
      0,
      250,
      2057,
      34736,
      1,
      999,
      ...Array.from({ length: 249 }, (_, k) => [5000 + k, 34736, 1000, 0]).flat(),
    ];
    const dir = parseGeoKeyDirectory(everyKeyAll, counted, undefined);
    expect(reads).toBe(0);
    expect(namedGeoKeys(dir)).toEqual({ GeogSemiMajorAxisGeoKey: 999 / 4 }); // the one key a CRS reads
    expect(reads).toBe(1);
    expect(dir?.toGeoKeys()[5000 + 248]).toEqual(thousand);
    expect(reads).toBe(2 + 249 * 1000);
    // the same for ASCII: 250 keys naming all 65 534 characters of the params, sliced, not copied
    const text = `${'a|'.repeat(32766)}bb`;
    const ascii = parseGeoKeyDirectory(
      [1, 1, 0, 250, ...Array.from({ length: 250 }, (_, k) => [1026 + k, 34737, 65534, 0]).flat()],
      undefined,
      text,
    );
    expect(ascii?.get(1026)).toBe(text);
    expect(namedGeoKeys(ascii)?.GTCitationGeoKey).toBe(text);
  });

  it('GeoKey params as libtiff and libgeotiff count them (16 bits): longer tags are absent, long ASCII params wrap', () => {
    const utm = [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32633];
    const many = Array.from({ length: 65536 }, (_, i) => i);
    // GeoDoubleParams of 65 536 values: libtiff drops the tag, so only a key naming them fails the directory
    expect(parseGeoKeyDirectory(utm, many, undefined)?.get(3072)).toBe(32633);
    expect(
      parseGeoKeyDirectory([...utm.slice(0, 3), 3, ...utm.slice(4), 2057, 34736, 1, 0], many, undefined),
    ).toBeUndefined();
    // a GeoKeyDirectory of 65 536 SHORTs is dropped as well
    expect(parseGeoKeyDirectory([...utm, ...many.slice(utm.length)], undefined, undefined)).toBeUndefined();
    // ASCII params: the C string's length + 1 in 16 bits (65 534 characters read whole, 65 535 none, 65 537 two)
    const citation = [1, 1, 0, 1, 1026, 34737, 2, 0];
    const chars = (n: number) => `xy${'z'.repeat(n - 2)}\0tail`;
    expect(parseGeoKeyDirectory(citation, undefined, chars(65534))?.get(1026)).toBe('xy');
    expect(parseGeoKeyDirectory(citation, undefined, chars(65535))).toBeUndefined();
    expect(parseGeoKeyDirectory(citation, undefined, chars(65536))?.get(1026)).toBe('x');
    expect(parseGeoKeyDirectory(citation, undefined, chars(65537))?.get(1026)).toBe('xy');
  });

  it('limits apply per call and the defaults admit a 10980×10980×13 Sentinel-2 tile', async () => {
    const tiff = await openGeoTiff(tinyTiff([plainIfd()]), { name: 'small.tif', limits: { maxPixels: 100 } });
    await expect(readRaster(tiff)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(readRaster(tiff, { limits: { maxPixels: W * H } })).resolves.toBeDefined();
    await expect(readRaster(tiff, { limits: { maxPixel: 5 } as never })).rejects.toThrow(
      /small\.tif: unknown limit "maxPixel"/,
    );
    await expect(readRaster(tiff, { limits: { maxPixels: -1 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(10980 * 10980 * 13).toBeLessThanOrEqual(DEFAULT_RASTER_IO_LIMITS.maxPixels);
    expect(10980 * 10980 * 13 * 2).toBeLessThanOrEqual(DEFAULT_RASTER_IO_LIMITS.maxDecodedBytes);
  });
});
