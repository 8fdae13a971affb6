// JPEG-in-TIFF (compression 7). GDAL-written files of every layout are in the variant corpus
// (gdal-corpus.gdal.test.ts); here: our decoder against libjpeg (GDAL's JPEG driver) on arbitrary coefficients,
// including out-of-range ones, restart intervals and odd sizes; JPEG TIFF reads with threads and with damaged
// tiles; and hostile streams, which must fail with typed errors, never return invented pixels.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decodeJpegBlock, jpegCodec } from '../../src/codecs/jpeg.js';
import { decodeWithTurbojpeg, jpegNodeCodec } from '../../src/codecs/jpeg-codec.node.js';
import type { JpegBlockParams } from '../../src/codecs/jpeg-params.js';
import { loadLibturbojpeg } from '../../src/codecs/libturbojpeg.node.js';
import { RasterIoError } from '../../src/errors.js';
import { openGeoTiffFile, readGeoTiffFile, readRaster, writeGeoTiff } from '../../src/node.js';
import { blockLocations } from '../support/block-locations.js';
import { expectDecodedIntoGivenMemory } from '../support/codec-tiles.js';
import { gdalTranslate, HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { runGdalBatch } from '../support/gdal-batch.js';
import { extremeInput, randomInput, rng, YCC420 } from '../support/jpeg-cases.js';
import { encodeBaselineJpeg, type JpegInput } from '../support/jpeg-encode.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-jpeg-');

/** libjpeg-turbo's TurboJPEG (Debian libturbojpeg0), which Node reads decode JPEG blocks with; CI requires it. */
const HAS_PIL = PYTHON_GDAL !== undefined && spawnSync(PYTHON_GDAL, ['-c', 'import PIL']).status === 0;

const HAS_TURBOJPEG = requireTool(
  'libturbojpeg (Debian libturbojpeg0) through koffi',
  loadLibturbojpeg() !== null,
);

/**
 * Each case's stream decodes to libjpeg's bytes (GDAL's JPEG driver reading the stream as a .jpg) in our decoder
 * and, in Node, in libjpeg-turbo's, which must take every one of them.
 */
function expectLibjpegBytes(cases: [string, JpegInput, boolean][], batch: string): void {
  const files = cases.map(([name, input]) => {
    const path = join(tmp(), `${name}.jpg`);
    writeFileSync(path, encodeBaselineJpeg(input));
    return path;
  });
  const gdal = runGdalBatch(tmp(), { describe: files }, batch);
  for (const [i, [name, input, ycc]] of cases.entries()) {
    const stream = readFileSync(files[i] as string);
    const params = {
      ycbcrToRgb: ycc,
      width: input.width,
      height: input.height,
      samples: input.components.length,
    };
    const ref = gdal[files[i] as string];
    const n = input.width * input.height;
    const bands = ref?.bands ?? [];
    expect(bands.length, name).toBe(input.components.length);
    // our decoder (the browser's) and, in Node, libjpeg-turbo's (which must take every one of these streams)
    const decoded: [string, Uint8Array | null][] = [['ours', decodeJpegBlock(stream, params, name)]];
    if (HAS_TURBOJPEG) decoded.push(['libjpeg-turbo', decodeWithTurbojpeg(stream, params)]);
    for (const [decoder, pixels] of decoded) {
      expect(pixels, `${name}: ${decoder}`).not.toBeNull();
      for (const [b, band] of bands.entries()) {
        const want = Buffer.from(band.levels[0]?.data ?? '', 'base64');
        const got = Buffer.alloc(n);
        for (let p = 0; p < n; p++) got[p] = pixels?.[p * bands.length + b] as number;
        expect(got.equals(want), `${name} band ${b}: ${decoder}`).toBe(true);
      }
    }
  }
}

describe.runIf(requireTool('python3-gdal', PYTHON_GDAL !== undefined))(
  'JPEG decoding against libjpeg',
  () => {
    it("arbitrary coefficients, restart intervals, 1 and 3 components, 4:4:4 / 4:2:2 / 4:2:0 / 4:4:0, odd sizes: libjpeg's bytes", () => {
      const cases: [string, JpegInput, boolean][] = [
        ['gray', randomInput(37, 29, [[1, 1]], 1), false],
        ['gray-rst', randomInput(37, 29, [[1, 1]], 1, 3), false],
        ['ycc420', randomInput(53, 35, YCC420, 2), true],
        ['ycc420-rst', randomInput(53, 35, YCC420, 2, 2), true],
        [
          'ycc422',
          randomInput(
            41,
            18,
            [
              [2, 1],
              [1, 1],
              [1, 1],
            ],
            3,
            5,
          ),
          true,
        ],
        [
          'ycc440',
          randomInput(
            30,
            33,
            [
              [1, 2],
              [1, 1],
              [1, 1],
            ],
            4,
          ),
          true,
        ],
        [
          'ycc444',
          randomInput(
            17,
            9,
            [
              [1, 1],
              [1, 1],
              [1, 1],
            ],
            5,
          ),
          true,
        ],
        ['ycc420-narrow', randomInput(3, 20, YCC420, 6), true],
      ];
      expectLibjpegBytes(cases, 'jpeg-coefs');
      // a restart interval changes the stream, not the pixels
      const decode420 = (restartInterval?: number) =>
        decodeJpegBlock(
          encodeBaselineJpeg(randomInput(53, 35, YCC420, 2, restartInterval)),
          { ycbcrToRgb: true, width: 53, height: 35, samples: 3 },
          'ycc420',
        );
      const plain = decode420();
      const rst = decode420(1);
      expect(Buffer.from(rst).equals(Buffer.from(plain))).toBe(true);
    });

    it("coefficients far out of range, as corrupt streams decode to: the 16-bit wraps and saturations of libjpeg-turbo's SIMD inverse DCT", () => {
      const ycc444: [number, number][] = [
        [1, 1],
        [1, 1],
        [1, 1],
      ];
      expectLibjpegBytes(
        [
          ['extreme-gray', extremeInput(64, 48, [[1, 1]], 11), false],
          ['extreme-gray-2', extremeInput(40, 40, [[1, 1]], 12), false],
          ['extreme-ycc420', extremeInput(48, 32, YCC420, 13), true],
          ['extreme-ycc444', extremeInput(24, 24, ycc444, 14), true],
        ],
        'jpeg-extreme',
      );
    });
  },
);

describe('hostile JPEG streams: typed errors, no pixels', () => {
  const good = encodeBaselineJpeg(randomInput(24, 16, YCC420, 7, 1));
  const params = { ycbcrToRgb: true, width: 24, height: 16, samples: 3 };
  const fails = (bytes: Uint8Array, p = params) => {
    try {
      decodeJpegBlock(bytes, p, 'hostile.tif');
    } catch (e) {
      expect(e).toBeInstanceOf(RasterIoError);
      expect((e as Error).message).toContain('hostile.tif');
      return e as RasterIoError;
    }
    throw new Error('decoded');
  };
  const markerAt = (bytes: Uint8Array, marker: number) => {
    for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
    throw new Error(`no marker ${marker}`);
  };

  it('decodes the untouched stream', () => {
    expect(decodeJpegBlock(good, params, 'ok').length).toBe(24 * 16 * 3);
  });

  it('entropy data cut short, a missing restart marker, a bad Huffman code: CORRUPT_BLOCK', () => {
    const sos = markerAt(good, 0xda);
    const plain = encodeBaselineJpeg(randomInput(24, 16, YCC420, 7));
    const plainSos = markerAt(plain, 0xda);
    const cut = Uint8Array.from([...plain.subarray(0, plainSos + 20), 0xff, 0xd9]);
    expect(fails(cut).message).toContain('entropy-coded data ends early');
    const rst = markerAt(good, 0xd0);
    const noRst = Uint8Array.from([...good.subarray(0, rst), ...good.subarray(rst + 2)]);
    expect(fails(noRst).code).toBe('CORRUPT_BLOCK');
    // every DC code of the flat table is 4 bits long and 12..15 are unused: 0xF0 starts with code 15
    const bad = good.slice();
    bad[sos + 14] = 0xf0;
    expect(fails(bad).message).toMatch(/bad Huffman code|ends early|restart/);
  });

  it('a frame that does not fit the block, a missing table, no frame, no SOI: CORRUPT_BLOCK', () => {
    expect(fails(good, { ...params, width: 32 }).message).toContain(
      'frame is 24×16 with 3 component(s); the block needs 32×16 with 3',
    );
    // a frame declaring 65535 × 65535 is refused before anything of that size is allocated
    const huge = good.slice();
    const sof = markerAt(good, 0xc0);
    huge.fill(0xff, sof + 5, sof + 9);
    expect(fails(huge).message).toContain('frame is 65535×65535');
    const dht = markerAt(good, 0xc4);
    const len = ((good[dht + 2] as number) << 8) | (good[dht + 3] as number);
    const noTables = Uint8Array.from([...good.subarray(0, dht), ...good.subarray(dht + 2 + len)]);
    expect(fails(noTables).message).toContain('Huffman table that is not defined');
    expect(fails(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)).message).toContain('no frame');
    expect(fails(good.subarray(2)).message).toContain('SOI');
    const overlong = good.slice();
    overlong[dht + 2] = 0x7f; // DHT length past the end
    expect(fails(overlong).message).toMatch(/declares \d+ bytes/);
  });

  it("SOF, SOS and DRI segments one byte longer than their contents: CORRUPT_BLOCK, as libjpeg's 'Bogus marker length'", () => {
    // grow a segment by one zero byte (length + 1): a longer SOS would swallow a byte of entropy-coded data
    const grown = (marker: number) => {
      const at = markerAt(good, marker);
      const len = ((good[at + 2] as number) << 8) | (good[at + 3] as number);
      const out = Uint8Array.from([...good.subarray(0, at + 2 + len), 0, ...good.subarray(at + 2 + len)]);
      out[at + 2] = (len + 1) >> 8;
      out[at + 3] = (len + 1) & 255;
      return out;
    };
    for (const [marker, message] of [
      [0xc0, /SOF declares 24×16 with 3 component\(s\) in 18 bytes/],
      [0xda, /SOS segment of 13 bytes is malformed for 3 component\(s\)/],
      [0xdd, /DRI segment holds 3 bytes; it must hold 2/],
    ] as const) {
      expect(fails(grown(marker)).message).toMatch(message);
      // libjpeg refuses each too (so GDAL does): libjpeg-turbo gives nothing to take
      if (HAS_TURBOJPEG) expect(decodeWithTurbojpeg(grown(marker), params), `marker ${marker}`).toBeNull();
    }
  });

  it('a DC Huffman table with a category over 15: CORRUPT_BLOCK, as libjpeg\'s "Bogus Huffman table definition"', () => {
    // the test encoder lists DC categories 0..11 first in its DHT: make category 9 read 141 (a third-party fuzz find)
    const dht = markerAt(good, 0xc4);
    const bad = good.slice();
    expect(bad[dht + 4]).toBe(0x00); // DC table 0
    bad[dht + 4 + 17 + 9] = 141;
    expect(fails(bad).message).toMatch(/DC Huffman table 0 holds a category over 15/);
    if (HAS_TURBOJPEG) expect(decodeWithTurbojpeg(bad, params)).toBeNull();
  });

  it('a Huffman table with more codes than its lengths allow: CORRUPT_BLOCK', () => {
    const dht = markerAt(good, 0xc4);
    const bad = good.slice();
    bad[dht + 5 + 1] = 5; // five 2-bit codes (at most four exist)
    expect(fails(bad).message).toMatch(/too many codes|malformed|not defined/);
  });

  it('progressive, lossless and 12-bit frames: UNSUPPORTED_CODEC', () => {
    const sof = markerAt(good, 0xc0);
    for (const marker of [0xc2, 0xc3, 0xc9]) {
      const other = good.slice();
      other[sof + 1] = marker;
      expect(fails(other).code).toBe('UNSUPPORTED_CODEC');
    }
    const twelve = good.slice();
    twelve[sof + 4] = 12;
    expect(fails(twelve).code).toBe('UNSUPPORTED_CODEC');
  });

  it('1000 random mutations: each decodes whole or fails typed (a hang fails the test by its timeout)', () => {
    const r = rng(99);
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = good.slice();
      for (let k = 0, n = 1 + r(4); k < n; k++) bytes[r(bytes.length)] = r(256);
      try {
        expect(decodeJpegBlock(bytes, params, 'fuzz.tif').length).toBe(24 * 16 * 3);
      } catch (e) {
        if (!(e instanceof RasterIoError)) throw e;
        expect(['CORRUPT_BLOCK', 'UNSUPPORTED_CODEC']).toContain(e.code);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(100);
  });
});

/** The marker segments of a stream between its SOI and its first scan's data (the SOS segment is the last). */
function segmentsBeforeScan(stream: Uint8Array): { marker: number; start: number; end: number }[] {
  const out: { marker: number; start: number; end: number }[] = [];
  for (let pos = 2; pos + 3 < stream.length; ) {
    const marker = stream[pos + 1] as number;
    const end = pos + 2 + (((stream[pos + 2] as number) << 8) | (stream[pos + 3] as number));
    out.push({ marker, start: pos, end });
    if (marker === 0xda) return out;
    pos = end;
  }
  throw new Error('no scan');
}

describe.runIf(HAS_TURBOJPEG)(
  'libjpeg-turbo in Node: the same pixels and the same refusals as our decoder',
  () => {
    const params = { ycbcrToRgb: true, width: 24, height: 16, samples: 3 };
    const good = encodeBaselineJpeg(randomInput(24, 16, YCC420, 7, 1));
    /** What a decoder makes of a stream: its bytes' hash, or its error's code and message. */
    const outcome = (decode: () => Uint8Array): string => {
      try {
        return `ok ${createHash('sha1').update(decode()).digest('hex')}`;
      } catch (e) {
        if (!(e instanceof RasterIoError)) throw e;
        return `${e.code} ${e.message}`;
      }
    };
    const node = (bytes: Uint8Array, p: JpegBlockParams = params) =>
      outcome(
        () =>
          jpegNodeCodec.decode(bytes, {
            expectedBytes: p.width * p.height * p.samples,
            file: 'm.tif',
            jpeg: p,
          }) as Uint8Array,
      );
    const ts = (bytes: Uint8Array, p: JpegBlockParams = params) =>
      outcome(() => decodeJpegBlock(bytes, p, 'm.tif'));

    it("1000 random mutations: libjpeg-turbo takes the clean ones (GDAL's pixels), our decoder decides the rest", () => {
      const r = rng(4242);
      const clean: string[] = [];
      let failed = 0;
      for (let i = 0; i < 1000; i++) {
        const bytes = good.slice();
        for (let k = 0, n = 1 + r(4); k < n; k++) bytes[r(bytes.length)] = r(256);
        const got = node(bytes);
        if (decodeWithTurbojpeg(bytes, params)) {
          // compared with GDAL below (our decoder differs from libjpeg-turbo's SIMD build on a few of these:
          // mutated quantization tables push coefficients far past what real images hold)
          if (clean.length < 60) {
            const file = join(tmp(), `mutation-${i}.jpg`);
            writeFileSync(file, bytes);
            clean.push(file);
            expect(got, `mutation ${i}`).toMatch(/^ok /);
          }
        } else {
          expect(got, `mutation ${i}`).toBe(ts(bytes)); // pixels or the typed error of our decoder
          if (!got.startsWith('ok')) failed++;
        }
      }
      expect(clean.length).toBe(60);
      expect(failed).toBeGreaterThan(100);
      if (!requireTool('python3-gdal', PYTHON_GDAL !== undefined)) return;
      const gdal = runGdalBatch(tmp(), { describe: clean }, 'jpeg-mutations');
      for (const file of clean) {
        const pixels = decodeWithTurbojpeg(readFileSync(file), params) as Uint8Array;
        const bands = gdal[file]?.bands ?? [];
        expect(bands.length, file).toBe(3);
        for (const [b, band] of bands.entries()) {
          const want = Buffer.from(band.levels[0]?.data ?? '', 'base64');
          const got = Buffer.from(Array.from({ length: 24 * 16 }, (_, q) => pixels[q * 3 + b] as number));
          expect(got.equals(want), `${file} band ${b}`).toBe(true);
        }
      }
    });

    it("a stream never borrows an earlier stream's tables: without its own, it is our decoder's to refuse", () => {
      const parts = segmentsBeforeScan(good);
      const without = (marker: number) => {
        const drop = parts.filter((q) => q.marker === marker);
        const keep = [...good.subarray(0, 2)];
        for (const q of parts) if (!drop.includes(q)) keep.push(...good.subarray(q.start, q.end));
        return Uint8Array.from([...keep, ...good.subarray(parts[parts.length - 1]?.end)]);
      };
      // the DQT segment re-labelled as table 1: the components still ask for table 0, which the stream lacks
      const dqt = parts.find((q) => q.marker === 0xdb) as { start: number };
      const table1 = good.slice();
      table1[dqt.start + 4] = 0x01;
      // the scan's third component asks for Huffman table 1, which libjpeg-turbo would fill with the standard
      // chrominance table (libtiff's decompressor would use the last block's; fuzz seed 63)
      const sos = parts.find((q) => q.marker === 0xda) as { start: number };
      const huffman1 = (tables: number) => {
        const b = good.slice();
        b[sos.start + 5 + 2 * 2 + 1] = tables; // Ns, then (Cs, Td·16 + Ta) per component
        return b;
      };
      for (const [name, stream] of [
        ['no DQT', without(0xdb)],
        ['no DHT', without(0xc4)],
        ['table 0 undefined', table1],
        ['AC table 1 undefined', huffman1(0x01)],
        ['DC table 1 undefined', huffman1(0x10)],
      ] as const) {
        expect(decodeWithTurbojpeg(good, params), name).not.toBeNull(); // a decoder that has seen table 0
        expect(decodeWithTurbojpeg(stream, params), name).toBeNull();
        expect(node(stream), name).toBe(ts(stream));
        expect(node(stream), name).toMatch(/^CORRUPT_BLOCK .*not defined/);
      }
    });

    it.runIf(requireTool('python3-pil', HAS_PIL))(
      'a scan whose Huffman table the stream lacks: libjpeg-turbo would decode it with the standard table, so our decoder refuses it',
      () => {
        // Pillow codes with the standard tables (no optimize); without its AC table 1 segment the stream still
        // decodes cleanly in libjpeg-turbo, which fills the table in (libtiff's decompressor keeps the last block's)
        const path = join(tmp(), 'standard-tables.jpg');
        const py = spawnSync(PYTHON_GDAL as string, [
          '-c',
          `from PIL import Image\nImage.effect_noise((24, 16), 40).convert('RGB').save(${JSON.stringify(path)}, quality=90, subsampling=2)`,
        ]);
        expect(py.status, String(py.stderr)).toBe(0);
        const full = new Uint8Array(readFileSync(path));
        expect(decodeWithTurbojpeg(full, params)).not.toBeNull();
        const ac1 = segmentsBeforeScan(full).find((q) => q.marker === 0xc4 && full[q.start + 4] === 0x11);
        expect(ac1).toBeDefined();
        const { start, end } = ac1 as { start: number; end: number };
        const lacking = Uint8Array.from([...full.subarray(0, start), ...full.subarray(end)]);
        expect(decodeWithTurbojpeg(lacking, params)).toBeNull();
        expect(node(lacking)).toBe(ts(lacking));
        expect(node(lacking)).toMatch(/^CORRUPT_BLOCK .*Huffman table that is not defined/);
      },
    );

    it('abbreviated streams with JPEGTables are spliced as libtiff loads them; other tables go to our decoder', () => {
      // tables = SOI + the stream's DQT and DHT segments + EOI; the block keeps SOI, SOF, DRI, SOS and the data
      const parts = segmentsBeforeScan(good);
      const pick = (keep: (marker: number) => boolean) =>
        parts.filter((q) => keep(q.marker)).flatMap((q) => [...good.subarray(q.start, q.end)]);
      const isTable = (m: number) => m === 0xdb || m === 0xc4;
      const tables = Uint8Array.from([0xff, 0xd8, ...pick(isTable), 0xff, 0xd9]);
      const scan = parts[parts.length - 1]?.end as number;
      const block = Uint8Array.from([0xff, 0xd8, ...pick((m) => !isTable(m)), ...good.subarray(scan)]);
      const p = { ...params, tables };
      expect(decodeWithTurbojpeg(block, p)).not.toBeNull();
      expect(node(block, p)).toBe(ts(good));
      expect(ts(block, p)).toBe(ts(good));
      // a restart interval in the tables: libtiff's second SOI resets it, a spliced stream would keep it
      const dri = Uint8Array.from([0xff, 0xd8, 0xff, 0xdd, 0, 4, 0, 1, ...tables.subarray(2)]);
      expect(decodeWithTurbojpeg(block, { ...p, tables: dri })).toBeNull();
      expect(node(block, { ...p, tables: dri })).toBe(ts(block, { ...p, tables: dri }));
    });

    it('layouts and frames it leaves to our decoder: subsampled non-YCbCr, other sampling, progressive, 12-bit, another size', () => {
      expect(decodeWithTurbojpeg(good, { ...params, ycbcrToRgb: false })).toBeNull();
      expect(node(good, { ...params, ycbcrToRgb: false })).toMatch(
        /^CORRUPT_BLOCK .*every component must be 1×1/,
      );
      expect(decodeWithTurbojpeg(good, { ...params, sampling: [2, 1] })).toBeNull();
      expect(node(good, { ...params, sampling: [2, 1] })).toBe(ts(good, { ...params, sampling: [2, 1] }));
      expect(decodeWithTurbojpeg(good, { ...params, width: 32 })).toBeNull();
      expect(node(good, { ...params, width: 32 })).toMatch(/^CORRUPT_BLOCK .*the block needs 32×16/);
      const sof = good.indexOf(0xc0) - 1;
      for (const [at, value] of [
        [sof + 1, 0xc2],
        [sof + 4, 12],
      ] as const) {
        const other = good.slice();
        other[at] = value;
        expect(decodeWithTurbojpeg(other, params)).toBeNull();
        expect(node(other)).toMatch(/^UNSUPPORTED_CODEC /);
      }
    });
  },
);

describe.runIf(requireTool('GDAL (gdal_translate)', HAS_GDAL))('JPEG GeoTIFFs', () => {
  async function jpegTiff(tag: string, co: string[]): Promise<string> {
    const src = join(tmp(), `${tag}-src.tif`);
    await writeGeoTiff(src, syntheticRaster('uint8', 700, 530, 3, 21));
    const out = join(tmp(), `${tag}.tif`);
    gdalTranslate([...co.flatMap((c) => ['-co', c]), src, out]);
    return out;
  }

  it('threads 2 (blocks decoded on the workers) and windows read what threads 1 reads', async () => {
    const path = await jpegTiff('threads', ['COMPRESS=JPEG', 'PHOTOMETRIC=YCBCR', 'TILED=YES']);
    const one = await readGeoTiffFile(path);
    const two = await readGeoTiffFile(path, { threads: 2 });
    for (const [b, a] of one.bands.entries())
      expect(Buffer.from(two.bands[b] as Uint8Array).equals(Buffer.from(a as Uint8Array))).toBe(true);
    const win = await readGeoTiffFile(path, {
      window: { x: 250, y: 100, width: 300, height: 200 },
      bands: [2],
    });
    const full = one.bands[2] as Uint8Array;
    for (let y = 0; y < 200; y++) {
      const row = (win.bands[0] as Uint8Array).subarray(y * 300, y * 300 + 300);
      expect(
        Buffer.from(row).equals(Buffer.from(full.subarray((y + 100) * 700 + 250, (y + 100) * 700 + 550))),
      ).toBe(true);
    }
  });

  it('a damaged tile: CORRUPT_BLOCK naming the tile; with fill, that tile is filled and the others are kept', async () => {
    const path = await jpegTiff('damaged', [
      'COMPRESS=JPEG',
      'TILED=YES',
      'BLOCKXSIZE=128',
      'BLOCKYSIZE=128',
    ]);
    const want = await readGeoTiffFile(path);
    const { offsets, counts } = await blockLocations(path);
    const bytes = readFileSync(path);
    const t = 7;
    // cut tile 7's entropy data short: keep its headers, overwrite the rest with an early EOI
    const at = (offsets[t] as number) + Math.floor((counts[t] as number) / 3);
    bytes.fill(0, at, (offsets[t] as number) + (counts[t] as number));
    bytes[at] = 0xff;
    bytes[at + 1] = 0xd9;
    writeFileSync(path, bytes);
    const err = await readGeoTiffFile(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_BLOCK' });
    expect((err as Error).message).toContain(`tile ${t}:`);
    expect((err as Error).message).toContain('damaged.tif');
    const onWorkers = await readGeoTiffFile(path, { threads: 2 }).catch((e: unknown) => e);
    expect((onWorkers as Error).message).toBe((err as Error).message);
    const filled = await readGeoTiffFile(path, { onCorruptBlock: 'fill' });
    expect(filled.filledBlocks?.map((b) => b.index)).toEqual([t]);
    const filled2 = await readGeoTiffFile(path, { onCorruptBlock: 'fill', threads: 2 });
    expect(filled2.filledBlocks).toEqual(filled.filledBlocks);
    for (const [b, band] of filled.bands.entries())
      expect(Buffer.from(filled2.bands[b] as Uint8Array).equals(Buffer.from(band as Uint8Array))).toBe(true);
    const tilesX = Math.ceil(700 / 128);
    const [tx, ty] = [t % tilesX, Math.floor(t / tilesX)];
    for (const [b, band] of filled.bands.entries()) {
      const w = want.bands[b] as Uint8Array;
      for (let y = 0; y < 530; y += 7) {
        for (let x = 0; x < 700; x += 5) {
          const inTile = Math.floor(x / 128) === tx && Math.floor(y / 128) === ty;
          expect((band as Uint8Array)[y * 700 + x]).toBe(inTile ? 0 : w[y * 700 + x]);
        }
      }
    }
  });

  it('40 damaged copies: threads 1 and 2 give the same pixels or the same typed error, never another error', async () => {
    const path = await jpegTiff('fuzz', [
      'COMPRESS=JPEG',
      'PHOTOMETRIC=YCBCR',
      'TILED=YES',
      'BLOCKXSIZE=128',
      'BLOCKYSIZE=128',
    ]);
    const bytes = readFileSync(path);
    const r = rng(2024);
    const outcome = async (file: string, threads: number, fill: boolean): Promise<string> => {
      try {
        const got = await readGeoTiffFile(file, {
          threads,
          ...(fill ? { onCorruptBlock: 'fill' as const } : {}),
        });
        const hash = createHash('sha1');
        for (const b of got.bands) hash.update(b as Uint8Array);
        return `ok ${hash.digest('hex')} ${JSON.stringify(got.filledBlocks?.map((b) => b.index) ?? [])}`;
      } catch (e) {
        if (!(e instanceof RasterIoError)) throw e;
        return `${e.code} ${e.message}`;
      }
    };
    const kinds = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const damaged = Buffer.from(bytes);
      // past the first 4 KiB (headers, tables): the tiles' entropy-coded data
      for (let k = 0, n = 1 + r(6); k < n; k++) damaged[4096 + r(damaged.length - 4096)] = r(256);
      const file = join(tmp(), `fuzz-${i % 4}.tif`);
      writeFileSync(file, damaged);
      for (const fill of [false, true]) {
        const one = await outcome(file, 1, fill);
        expect(await outcome(file, 2, fill), `copy ${i} fill ${fill}`).toBe(one);
        kinds.add(one.split(' ')[0] as string);
      }
    }
    expect(kinds.has('CORRUPT_BLOCK')).toBe(true);
    expect(kinds.has('ok')).toBe(true);
  });

  it.runIf(HAS_TURBOJPEG && PYTHON_GDAL)(
    "Node reads JPEG tiles and strips through libjpeg-turbo: GDAL's pixels, as our decoder reads them",
    async () => {
      const files = [
        await jpegTiff('turbo-ycc', ['COMPRESS=JPEG', 'PHOTOMETRIC=YCBCR', 'TILED=YES', 'JPEG_QUALITY=95']),
        await jpegTiff('turbo-strips', ['COMPRESS=JPEG', 'PHOTOMETRIC=YCBCR', 'BLOCKYSIZE=48']),
        await jpegTiff('turbo-rgb', ['COMPRESS=JPEG', 'TILED=YES']), // PHOTOMETRIC=RGB: no colour conversion
      ];
      const gray = join(tmp(), 'turbo-gray.tif');
      gdalTranslate(['-b', '1', '-co', 'COMPRESS=JPEG', '-co', 'TILED=YES', files[0] as string, gray]);
      files.push(gray);
      const gdal = runGdalBatch(tmp(), { describe: files }, 'jpeg-turbo');
      const lib = loadLibturbojpeg();
      if (!lib) throw new Error('no libturbojpeg');
      const decode = vi.spyOn(lib, 'decode');
      try {
        for (const file of files) {
          decode.mockClear();
          const node = await readGeoTiffFile(file);
          expect(decode.mock.calls.length, file).toBeGreaterThan(0); // every block went through libjpeg-turbo
          expect(
            decode.mock.results.every((r) => r.value !== null),
            file,
          ).toBe(true);
          const tiff = await openGeoTiffFile(file, { codecs: { 7: jpegCodec } });
          const browser = await readRaster(tiff).finally(() => tiff.close());
          for (const [b, band] of node.bands.entries()) {
            const want = Buffer.from(gdal[file]?.bands[b]?.levels[0]?.data ?? '', 'base64');
            expect(Buffer.from(band as Uint8Array).equals(want), `${file} band ${b}`).toBe(true);
            expect(Buffer.from(browser.bands[b] as Uint8Array).equals(want), `${file} band ${b}: ours`).toBe(
              true,
            );
          }
        }
      } finally {
        decode.mockRestore();
      }
    },
  );

  // Pixel-interleaved JPEG levels are split into bands in WebAssembly (src/read/wasm-stage.ts), libjpeg-turbo
  // decoding straight into the stage's block area; our decoder's blocks (the browser's, and any libjpeg-turbo
  // leaves) are copied in. Every outcome must be the JavaScript split's.
  it.runIf(HAS_TURBOJPEG)(
    'staged in WebAssembly: libjpeg-turbo decodes into the stage; files, windows, threads and damaged copies read as WORLDSTRAT_WASM=off reads them',
    async () => {
      const files = [
        await jpegTiff('stage-ycc', [
          'COMPRESS=JPEG',
          'PHOTOMETRIC=YCBCR',
          'TILED=YES',
          'BLOCKXSIZE=128',
          'BLOCKYSIZE=64',
        ]),
        await jpegTiff('stage-strips', ['COMPRESS=JPEG', 'PHOTOMETRIC=YCBCR', 'BLOCKYSIZE=48']),
        await jpegTiff('stage-rgb', ['COMPRESS=JPEG', 'TILED=YES']),
      ];
      const hashOf = (bands: readonly ArrayBufferView[]) => {
        const hash = createHash('sha1');
        for (const b of bands) hash.update(b as Uint8Array);
        return hash.digest('hex');
      };
      type ReadOptions = Parameters<typeof readGeoTiffFile>[1];
      /** A read's pixels (hashed) and filled blocks, or its typed error; `ours` reads with our JPEG decoder. */
      const outcome = async (file: string, options: ReadOptions = {}, ours = false) => {
        try {
          const got = ours
            ? await openGeoTiffFile(file, { codecs: { 7: jpegCodec } }).then((tiff) =>
                readRaster(tiff, options).finally(() => tiff.close()),
              )
            : await readGeoTiffFile(file, options);
          return `ok ${hashOf(got.bands)} ${JSON.stringify(got.filledBlocks?.map((b) => b.index) ?? [])}`;
        } catch (e) {
          if (!(e instanceof RasterIoError)) throw e;
          return `${e.code} ${e.message}`;
        }
      };
      const reads: [ReadOptions, boolean][] = [
        [{}, false],
        [{ window: { x: 77, y: 41, width: 500, height: 333 } }, false],
        [{ window: { x: 600, y: 500, width: 100, height: 30 } }, false], // the right and bottom edge blocks only
        [{ threads: 2 }, false],
        [{ threads: 2, window: { x: 1, y: 63, width: 650, height: 400 } }, false],
        [{ window: { x: 77, y: 41, width: 500, height: 333 } }, true], // our decoder's blocks, copied in
      ];
      const lib = loadLibturbojpeg();
      if (!lib) throw new Error('no libturbojpeg');
      const decode = vi.spyOn(lib, 'decode');
      try {
        for (const file of files) {
          decode.mockClear();
          const staged = await Promise.all(reads.map(([options, ours]) => outcome(file, options, ours)));
          // one-thread reads: each block decoded into the memory handed in, so nothing is copied into the stage
          expectDecodedIntoGivenMemory(decode.mock, 3, file);
          process.env.WORLDSTRAT_WASM = 'off';
          try {
            const plain = await Promise.all(reads.map(([options, ours]) => outcome(file, options, ours)));
            expect(staged, file).toEqual(plain);
            expect(staged.every((o) => o.startsWith('ok '))).toBe(true);
          } finally {
            delete process.env.WORLDSTRAT_WASM;
          }
        }
      } finally {
        decode.mockRestore();
      }
      // damaged copies: the same pixels, filled blocks or typed error, staged or not
      const bytes = readFileSync(files[0] as string);
      const r = rng(77);
      const kinds = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const damaged = Buffer.from(bytes);
        for (let k = 0, n = 1 + r(6); k < n; k++) damaged[4096 + r(damaged.length - 4096)] = r(256);
        const file = join(tmp(), `stage-fuzz-${i % 3}.tif`);
        writeFileSync(file, damaged);
        for (const options of [{}, { onCorruptBlock: 'fill' as const }]) {
          const staged = await outcome(file, options);
          process.env.WORLDSTRAT_WASM = 'off';
          try {
            expect(await outcome(file, options), `copy ${i}`).toBe(staged);
          } finally {
            delete process.env.WORLDSTRAT_WASM;
          }
          kinds.add(staged.split(' ')[0] as string);
        }
      }
      expect(kinds.has('CORRUPT_BLOCK')).toBe(true);
      expect(kinds.has('ok')).toBe(true);
    },
    120_000,
  );

  it('an overview level of a JPEG COG reads as GDAL reads it', async () => {
    const path = await jpegTiff('cog-src', ['COMPRESS=NONE']);
    const cog = join(tmp(), 'jpeg-cog.tif');
    gdalTranslate(['-of', 'COG', '-co', 'COMPRESS=JPEG', '-co', 'OVERVIEW_COUNT=2', path, cog]);
    const ref = runGdalBatch(tmp(), { describe: [cog] }, 'jpeg-cog')[cog];
    const tiff = await openGeoTiffFile(cog);
    try {
      expect(tiff.levels.length).toBe(3);
      for (const level of [1, 2]) {
        const r = await readRaster(tiff, { level });
        for (const [b, band] of r.bands.entries()) {
          const want = Buffer.from(ref?.bands[b]?.levels[level]?.data ?? '', 'base64');
          expect(Buffer.from(band as Uint8Array).equals(want), `level ${level} band ${b}`).toBe(true);
        }
      }
    } finally {
      await tiff.close();
    }
  });
});
