// Directory structure as libtiff and GDAL read it, on crafted files compared with GDAL in the same run:
// - a tag that appears twice in a directory: libtiff keeps the first and ignores the rest (geotiff.js alone
//   would keep the last);
// - StripOffsets/TileOffsets (and the byte counts) fill one field in libtiff: the later entry wins;
// - SubIFDs: GDAL takes IFD 0's SubIFDs as overviews and masks (libvips and tifffile write pyramids so), skips an
//   unreadable or mistyped list, and never reads the SubIFDs of a later directory;
// - directories GDAL cannot open: a compression its libtiff lacks skips that overview or mask, and one libtiff fails
//   to read ends the SubIFDs or the chain there;
// - a directory without byte counts: libtiff estimates them for one strip or tile (one per band when planar) and
//   fails the directory otherwise.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGeoTiff, memorySource, openGeoTiff, RasterIoError, readRaster } from '../../src/index.js';
import { gdalTranslate, HAS_GDAL, PYTHON_GDAL } from '../support/gdal.js';
import { compareWithGdal, type Findings, type GdalResult, gdalBatch, ours } from '../support/gdal-compare.js';
import { requireTool } from '../support/require-tool.js';
import { syntheticRaster } from '../support/synthetic.js';
import { LONG, patchTagEntry, SHORT, type TinyIfd, tinyTiff } from '../support/tiny-tiff.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-ifd-structure-');
const PLACEHOLDER = 305;
const FLOAT = 11; // Software: a tag no reader needs, re-tagged into the duplicate under test

/** A 6×4 8-bit image (pixel values 0..23), plus extra tags. */
function image(tags: TinyIfd['tags'] = {}): TinyIfd {
  return { width: 6, height: 4, strips: [Uint8Array.from({ length: 24 }, (_, i) => i * 7)], tags };
}

/** Re-tag the placeholder entry as `tag` (and `type`): a second entry of `tag` in IFD 0. */
function duplicate(bytes: Uint8Array, placeholder: number, tag: number, type?: number): Uint8Array {
  return patchTagEntry(bytes, placeholder, (v, at) => {
    v.setUint16(at, tag, true);
    if (type !== undefined) v.setUint16(at + 2, type, true);
  });
}

/** A BigTIFF's IFD 0 entry for `tag` with its 64-bit count set to `count` (a copy). */
function patchBigTiffCount(bytes: Uint8Array, tag: number, count: number): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const ifd = Number(v.getBigUint64(8, true));
  const n = Number(v.getBigUint64(ifd, true));
  for (let i = 0; i < n; i++) {
    const at = ifd + 8 + i * 20;
    if (v.getUint16(at, true) !== tag) continue;
    v.setBigUint64(at + 4, BigInt(count), true);
    return out;
  }
  throw new Error(`no tag ${tag} in IFD 0`);
}

/**
 * IFD 0 (6×4) whose SubIFDs tag lists `subs`; the chain holds IFD 0 and `chain` after it. `subIfdValue`
 * replaces the listed offsets (a bogus one), `subIfdType` the field type.
 */
function withSubIfds(
  subs: TinyIfd[],
  options: { chain?: TinyIfd[]; subIfdValue?: number; subIfdType?: number } = {},
): Uint8Array {
  const chain = options.chain ?? [];
  const build = (offsets: number[]) => {
    const first = image({ 330: [options.subIfdType ?? LONG, offsets] });
    // IFD 0 → chain...; the SubIFDs come last and end their own (one-IFD) chains
    return tinyTiff([first, ...chain, ...subs], (i, at) => (i < chain.length ? (at[i + 1] as number) : 0));
  };
  let offsets = subs.map(() => 0);
  tinyTiff([image({ 330: [LONG, offsets] }), ...chain, ...subs], (i, at) => {
    offsets = subs.map((_, k) => at[1 + chain.length + k] as number);
    return i < chain.length ? (at[i + 1] as number) : 0;
  });
  if (options.subIfdValue !== undefined) offsets = offsets.map(() => options.subIfdValue as number);
  return build(offsets);
}

const reduced = (width: number, height: number, samples = 1): TinyIfd => ({
  width,
  height,
  samplesPerPixel: samples,
  strips: [Uint8Array.from({ length: width * height * samples }, (_, i) => 200 - i)],
  tags: { 254: [LONG, [1]] },
});

/** A 1-bit transparency mask of the full image (NewSubfileType 4), rows of one byte. */
const mask: TinyIfd = {
  width: 6,
  height: 4,
  bitsPerSample: 1,
  strips: [Uint8Array.from([0xfc, 0xf0, 0x3c, 0x00])],
  tags: { 254: [LONG, [4]], 262: [SHORT, [4]] },
};

/**
 * A copy of a classic LE TIFF with `tag` of chain IFD `index` pointing its (out-of-line) values past the end of
 * the file, as in a file cut short after its directories.
 */
function valuesPastTheEnd(bytes: Uint8Array, index: number | { subIfd: number }, tag: number): Uint8Array {
  return patchEntryOf(bytes, index, tag, (v, at) => v.setUint32(at + 8, bytes.byteLength + 1000, true));
}

/** A copy of a classic LE TIFF with the entry of `tag` in chain IFD `index` (or a SubIFD of IFD 0) edited. */
function patchEntryOf(
  bytes: Uint8Array,
  index: number | { subIfd: number },
  tag: number,
  edit: (v: DataView, at: number) => void,
): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const entry = (ifd: number, t: number) => {
    for (let k = 0; k < v.getUint16(ifd, true); k++)
      if (v.getUint16(ifd + 2 + 12 * k, true) === t) return ifd + 2 + 12 * k;
    throw new Error(`tag ${t} not in the IFD at ${ifd}`);
  };
  let ifd = v.getUint32(4, true);
  if (typeof index === 'number')
    for (let i = 0; i < index; i++) ifd = v.getUint32(ifd + 2 + 12 * v.getUint16(ifd, true), true);
  else {
    const list = entry(ifd, 330);
    const at = v.getUint32(list + 4, true) > 1 ? v.getUint32(list + 8, true) : list + 8;
    ifd = v.getUint32(at + 4 * index.subIfd, true);
  }
  edit(v, entry(ifd, tag));
  return out;
}

/** A 6×4 16-bit image whose samples read 32768 and up as unsigned (negative as signed). */
function image16(): TinyIfd {
  const bytes = new Uint8Array(48);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < 24; i++) v.setUint16(2 * i, 30000 + 997 * i, true);
  return { width: 6, height: 4, bitsPerSample: 16, strips: [bytes] };
}

/** A 3×2 overview in two one-row strips (so its StripOffsets are stored out of line). */
const twoStripOverview: TinyIfd = {
  width: 3,
  height: 2,
  rowsPerStrip: 1,
  strips: [Uint8Array.from([9, 8, 7]), Uint8Array.from([6, 5, 4])],
  tags: { 254: [LONG, [1]] },
};

/** IFD 0, a 1-bit palette overview (with `colormap` as its Colormap when given), then another overview. */
function paletteOverviewChain(colormap?: number[]): Uint8Array {
  const tags: TinyIfd['tags'] = { 254: [LONG, [1]], 262: [SHORT, [3]] };
  if (colormap) tags[320] = [SHORT, colormap];
  return tinyTiff([
    image(),
    { ...reduced(3, 2), bitsPerSample: 1, strips: [Uint8Array.of(0xa0, 0x40)], tags },
    reduced(2, 1),
  ]);
}

const CASES: Record<string, Uint8Array> = {
  // duplicates: the first entry wins wherever it is
  'first-width-is-the-smaller': duplicate(tinyTiff([image({ 254: [LONG, [4]] })]), 254, 256),
  'later-width-ignored': duplicate(tinyTiff([image({ [PLACEHOLDER]: [LONG, [9]] })]), PLACEHOLDER, 256),
  'later-strip-offsets-ignored': duplicate(
    tinyTiff([image({ [PLACEHOLDER]: [LONG, [999_999]] })]),
    PLACEHOLDER,
    273,
  ),
  'later-duplicate-of-unknown-type-ignored': duplicate(
    tinyTiff([image({ [PLACEHOLDER]: [LONG, [1]] })]),
    PLACEHOLDER,
    258,
    99,
  ),
  // StripOffsets and TileOffsets are one field to libtiff (so are the byte counts): the later entry wins
  'tile-offsets-after-strip-offsets': tinyTiff([image({ 273: [LONG, [999_999]], 324: [LONG, [8]] })]),
  'tile-byte-counts-after-strip-byte-counts': tinyTiff([image({ 279: [LONG, [1]], 325: [LONG, [24]] })]),
  // a mask IFD that is also reduced (NewSubfileType 5) belongs to an overview of its size, never to level 0
  'reduced-mask-of-full-size': tinyTiff([
    image(),
    { ...mask, tags: { 254: [LONG, [5]], 262: [SHORT, [4]] } },
  ]),
  // SubIFDs of IFD 0
  'subifd-overviews': withSubIfds([reduced(3, 2), reduced(2, 1)]),
  'subifd-mask': withSubIfds([mask, reduced(3, 2)]),
  'subifd-past-the-end': withSubIfds([reduced(3, 2)], { subIfdValue: 1_000_000 }),
  'subifd-list-of-shorts': withSubIfds([reduced(3, 2)], { subIfdType: SHORT }),
  'subifd-other-band-count': withSubIfds([reduced(3, 2, 2)]),
  'subifd-before-chain-overview': withSubIfds([reduced(3, 2)], { chain: [reduced(2, 1)] }),
  // directories GDAL cannot open: a compression its libtiff lacks skips that overview or mask ("missing codec");
  // one libtiff fails to read (per-sample tags that differ, a SampleFormat outside 1-6) ends the main chain there
  'overview-of-unknown-compression': tinyTiff([
    image(),
    { ...reduced(3, 2), compression: 38920 },
    reduced(2, 1),
  ]),
  'mask-of-unknown-compression': tinyTiff([image(), { ...mask, compression: 519 }]),
  'unreadable-directory-ends-chain': tinyTiff([
    image(),
    reduced(3, 2),
    { ...reduced(3, 2, 2), tags: { 254: [LONG, [1]], 339: [SHORT, [1, 2]] } },
    reduced(2, 1),
    mask,
  ]),
  'bad-sample-format-ends-chain': tinyTiff([
    image(),
    { ...mask, tags: { ...mask.tags, 339: [SHORT, [10825]] } },
    reduced(3, 2),
  ]),
  'directory-without-offsets-ends-chain': tinyTiff([
    image(),
    reduced(3, 2),
    { width: 2, height: 1, strips: [], tags: { 254: [LONG, [1]] } }, // no strip or tile offsets
    reduced(1, 1),
  ]),
  'max-sample-value-float-ends-chain': tinyTiff([
    image(),
    reduced(3, 2),
    { ...reduced(2, 1), tags: { 254: [LONG, [1]], 281: [FLOAT, [0x437f0000]] } }, // 255.0f: not an integer type
    reduced(1, 1),
  ]),
  'min-sample-value-past-16-bits-ends-chain': tinyTiff([
    image(),
    { ...reduced(3, 2), tags: { 254: [LONG, [1]], 280: [LONG, [70_000]] } },
    reduced(2, 1),
  ]),
  'palette-overview-without-colormap-ends-chain': paletteOverviewChain(),
  // libtiff ignores a Colormap of any other count than 3 × 2^BitsPerSample (fuzz: a palette's 8 bits cut to 7)
  'palette-overview-with-colormap-of-wrong-count-ends-chain': paletteOverviewChain(
    new Array(3 * 256).fill(0),
  ),
  'palette-overview-with-colormap-reads': paletteOverviewChain([0, 65535, 0, 65535, 0, 65535]),
  'image-length-of-two-values-ends-chain': tinyTiff([
    image(),
    { ...reduced(3, 2), tags: { 254: [LONG, [1]], 257: [LONG, [2, 2]] } },
    reduced(2, 1),
  ]),
  'rows-per-strip-of-two-values-ends-chain': tinyTiff([
    image(),
    reduced(3, 2),
    { ...reduced(2, 1), tags: { 254: [LONG, [1]], 278: [LONG, [1, 1]] } },
  ]),
  // a lone TileWidth and no RowsPerStrip before it: zero tiles, which libtiff refuses (fuzz seed 73); with a
  // RowsPerStrip, that is the tile length and the mask is read
  'mask-with-lone-tile-width-ends-chain': tinyTiff([
    image(),
    { ...mask, strips: [], tags: { ...mask.tags, 322: [LONG, [16]], 324: [LONG, [8]], 325: [LONG, [4]] } },
    reduced(3, 2),
  ]),
  'mask-with-lone-tile-width-after-rows-per-strip': tinyTiff([
    image(),
    { ...mask, tags: { ...mask.tags, 322: [LONG, [16]] } },
    reduced(3, 2),
  ]),
  // values of an overview past the end of the file (a file cut after its directories, fuzz: a tifffile pyramid):
  // libtiff ignores a tag it cannot read and loads block arrays when a read needs them, so GDAL lists the
  // overview and reads it when only an unneeded tag is lost; when its StripOffsets are, we refuse the read
  'overview-tag-values-past-the-end': valuesPastTheEnd(
    tinyTiff([
      image(),
      { ...reduced(3, 2), tags: { 254: [LONG, [1]], 65000: [LONG, [1, 2]] } },
      reduced(2, 1),
    ]),
    1,
    65000,
  ),
  'overview-strip-offsets-past-the-end': valuesPastTheEnd(
    tinyTiff([image(), twoStripOverview, reduced(2, 1)]),
    1,
    273,
  ),
  // block arrays declaring more entries than there are blocks: libtiff reads as many as there are blocks (fuzz: a
  // tifffile pyramid whose SubIFD's TileOffsets claimed 2^30 entries)
  'strip-offsets-declaring-2^32-entries': patchEntryOf(
    tinyTiff([
      {
        ...image(),
        rowsPerStrip: 2,
        strips: [0, 1].map((k) => image().strips[0]!.subarray(12 * k, 12 * k + 12)),
      },
    ]),
    0,
    273,
    (v, at) => v.setUint32(at + 4, 0xfffffff0, true),
  ),
  'overview-strip-byte-counts-declaring-2^32-entries': patchEntryOf(
    tinyTiff([image(), twoStripOverview, reduced(2, 1)]),
    1,
    279,
    (v, at) => v.setUint32(at + 4, 0xfffffff0, true),
  ),
  'subifd-strip-offsets-declaring-2^32-entries': patchEntryOf(
    withSubIfds([twoStripOverview, reduced(2, 1)]),
    { subIfd: 0 },
    273,
    (v, at) => v.setUint32(at + 4, 0xfffffff0, true),
  ),
  // a tile side over 2^31 − 1: GDAL's "Too large block size" (it cannot open such an IFD 0, and skips such an
  // overview; fuzz: a tifffile BigTIFF whose TileLength became 2^32 − 1)
  'overview-tile-length-past-2^31-skipped': tinyTiff([
    image(),
    {
      width: 3,
      height: 2,
      strips: [],
      tags: {
        254: [LONG, [1]],
        322: [LONG, [16]],
        323: [LONG, [2 ** 31]],
        324: [LONG, [8]],
        325: [LONG, [6]],
      },
    },
    reduced(2, 1),
  ]),
  'tile-length-past-2^31-in-ifd-0': tinyTiff([
    {
      width: 6,
      height: 4,
      strips: [],
      tags: { 322: [LONG, [16]], 323: [LONG, [2 ** 32 - 1]], 324: [LONG, [8]], 325: [LONG, [24]] },
    },
  ]),
  'subifd-strip-offsets-past-the-end': valuesPastTheEnd(
    withSubIfds([twoStripOverview, reduced(2, 1)]),
    { subIfd: 0 },
    273,
  ),
  // the SGI DataType tag sets SampleFormat in libtiff (1 signed, 2 unsigned, 3 float; the later entry wins)
  'data-type-signed-16': tinyTiff([{ ...image16(), tags: { 32996: [SHORT, [1]] } }]),
  'data-type-after-sample-format': tinyTiff([
    { ...image16(), tags: { 339: [SHORT, [1]], 32996: [SHORT, [1]] } },
  ]),
  'data-type-float-32': tinyTiff([
    { ...image16(), bitsPerSample: 32, width: 3, tags: { 32996: [SHORT, [3]] } },
  ]),
  'data-type-outside-0-3': tinyTiff([{ ...image16(), tags: { 32996: [SHORT, [9]] } }]),
  // SMinSampleValue / SMaxSampleValue: libtiff fails the directory unless there is one number per sample
  'smin-sample-value-count-ends-chain': tinyTiff([
    image(),
    { ...reduced(3, 2), tags: { 254: [LONG, [1]], 340: [SHORT, [1, 2]] } },
    reduced(2, 1),
  ]),
  'smax-sample-value-one-per-sample': tinyTiff([
    image(),
    { ...reduced(3, 2), tags: { 254: [LONG, [1]], 341: [LONG, [9]] } },
  ]),
  'smin-sample-value-count-in-ifd-0': tinyTiff([image({ 340: [SHORT, [1, 2]] })]),
  // FillOrder and InkSet are read as one 16-bit value: another count or an UNDEFINED type is ignored (the
  // default applies: bits most significant first; CMYK), a LONG is taken (fuzz: tiffcp -f lsb2msb, ImageMagick CMYK)
  'fill-order-2': tinyTiff([image({ 266: [SHORT, [2]] })]),
  'fill-order-2-as-long': tinyTiff([image({ 266: [LONG, [2]] })]),
  'fill-order-2-of-two-values-ignored': tinyTiff([image({ 266: [SHORT, [2, 2]] })]),
  'fill-order-2-undefined-type-ignored': patchTagEntry(
    tinyTiff([image({ 266: [SHORT, [2]] })]),
    266,
    (v, at) => v.setUint16(at + 2, 7, true),
  ),
  'unreadable-subifd-ends-subifds': withSubIfds(
    [{ ...reduced(3, 2), tags: { 254: [LONG, [1]], 339: [SHORT, [7]] } }, reduced(2, 1)],
    { chain: [reduced(1, 1)] },
  ),
};

/** Cases whose IFD 0 libtiff refuses: GDAL cannot open them, and we refuse them with a typed error. */
const GDAL_FAILS = new Set([
  'data-type-outside-0-3',
  'smin-sample-value-count-in-ifd-0',
  'tile-length-past-2^31-in-ifd-0',
]);

describe.runIf(
  requireTool('GDAL (gdalinfo)', HAS_GDAL) && requireTool('python3-gdal', PYTHON_GDAL !== undefined),
)('IFD structure as libtiff and GDAL read it', () => {
  const paths: Record<string, string> = {};
  let gdal: Map<string, GdalResult>;

  beforeAll(() => {
    for (const [name, bytes] of Object.entries(CASES)) {
      paths[name] = join(tmp(), `${name}.tif`);
      writeFileSync(paths[name], bytes);
    }
    gdal = gdalBatch(Object.values(paths));
  });

  it.each(Object.keys(CASES))('%s: GDAL pixels, overviews and mask', async (name) => {
    const path = paths[name] as string;
    const found: Findings = { problems: [], stricter: [] };
    const outcome = compareWithGdal(
      name,
      path,
      await ours(CASES[name] as Uint8Array, path),
      gdal.get(path),
      found,
    );
    expect(found.problems).toEqual([]);
    // a fault in IFD 0 makes GDAL fail the file, and our typed error is the match
    expect(outcome).toBe(GDAL_FAILS.has(name) ? 'typed' : 'matched');
    if (GDAL_FAILS.has(name)) expect(gdal.get(path)?.ok).toBe(false);
  });

  it('values lying on an entry geotiff.js is shown patched (a hidden array count, a later duplicate): CORRUPT_TIFF', async () => {
    // 4×3 float32 in 3 strips; SampleFormat SHORT[3] is out of line, and its values are (A) StripOffsets' count
    // field (3 = IEEE float; the copy geotiff.js parses says 1), (B) a later duplicate's type field (3; blanked: 1),
    // or (C) bytes of their own. libtiff reads 3 in all three; read from the patched copy it was 1: the float32
    // pixels came back as uint32 without a word. A and B are refused, C reads as GDAL does.
    const pixels = Float32Array.from({ length: 12 }, (_, i) => i * 1.5 + 0.25);
    const build = (variant: 'A' | 'B' | 'C'): Uint8Array => {
      const n = variant === 'B' ? 13 : 12;
      const entry = (i: number) => 8 + 2 + 12 * i;
      const dataAt = 8 + 2 + 12 * n + 4;
      const [offsAt, countsAt, sfAt, pixAt] = [dataAt, dataAt + 12, dataAt + 24, dataAt + 32];
      const sfTarget = variant === 'A' ? entry(5) + 4 : variant === 'B' ? entry(12) + 2 : sfAt;
      const out = new Uint8Array(pixAt + 48);
      const v = new DataView(out.buffer);
      out.set([0x49, 0x49, 42, 0]);
      v.setUint32(4, 8, true);
      v.setUint16(8, n, true);
      const entries: [number, number, number, number][] = [
        [256, 3, 1, 4],
        [257, 3, 1, 3],
        [258, 3, 1, 32],
        [259, 3, 1, 1],
        [262, 3, 1, 1],
        [273, 4, 3, offsAt],
        [277, 3, 1, 1],
        [278, 3, 1, 1],
        [279, 4, 3, countsAt],
        [284, 3, 1, 1],
        [339, 3, 3, sfTarget],
        [65000, 3, 1, 7],
      ];
      if (variant === 'B') entries.push([65000, 3, 16, 0]);
      for (const [i, [tag, type, count, value]] of entries.entries()) {
        v.setUint16(entry(i), tag, true);
        v.setUint16(entry(i) + 2, type, true);
        v.setUint32(entry(i) + 4, count, true);
        if (type === 3 && count === 1) v.setUint16(entry(i) + 8, value, true);
        else v.setUint32(entry(i) + 8, value, true);
      }
      for (let k = 0; k < 3; k++) {
        v.setUint32(offsAt + 4 * k, pixAt + 16 * k, true);
        v.setUint32(countsAt + 4 * k, 16, true);
        v.setUint16(sfAt + 2 * k, 3, true);
      }
      out.set(new Uint8Array(pixels.buffer), pixAt);
      return out;
    };
    for (const variant of ['A', 'B'] as const) {
      const err = await openGeoTiff(memorySource(build(variant), `${variant}.tif`)).catch((e: unknown) => e);
      expect(err, variant).toBeInstanceOf(RasterIoError);
      expect((err as RasterIoError).code, variant).toBe('CORRUPT_TIFF');
      expect((err as Error).message, variant).toMatch(
        new RegExp(
          `^${variant}\\.tif: IFD 0, tag 339: its values at bytes \\d+\\.\\.\\d+ lie on the directory entry at byte ${variant === 'A' ? 70 : 154} of another tag$`,
        ),
      );
    }
    const path = join(tmp(), 'sample-format-own-bytes.tif');
    writeFileSync(path, build('C'));
    const tiff = await openGeoTiff(memorySource(build('C'), 'C.tif'));
    const r = await readRaster(tiff);
    expect(r.dtype).toBe('float32');
    expect(Array.from(r.bands[0] as Float32Array)).toEqual(Array.from(pixels));
    const gdal = JSON.parse(
      execFileSync(PYTHON_GDAL as string, [
        '-c',
        `from osgeo import gdal; import json; ds=gdal.Open(${JSON.stringify(path)}); b=ds.GetRasterBand(1); print(json.dumps([gdal.GetDataTypeName(b.DataType), b.ReadAsArray().ravel().tolist()]))`,
      ]).toString(),
    );
    expect(gdal).toEqual(['Float32', Array.from(pixels)]);
  });

  it('a 4-bit palette image whose Colormap has the count of an 8-bit one: CORRUPT_TIFF, as GDAL cannot open it', async () => {
    const bytes = tinyTiff([
      {
        width: 6,
        height: 4,
        bitsPerSample: 4,
        strips: [Uint8Array.from({ length: 12 }, (_, i) => i * 17)],
        tags: { 262: [SHORT, [3]], 320: [SHORT, new Array(3 * 256).fill(7)] },
      },
    ]);
    const path = join(tmp(), 'palette-colormap-count.tif');
    writeFileSync(path, bytes);
    expect(gdalBatch([path]).get(path)?.ok).toBe(false);
    await expect(openGeoTiff(bytes, { name: 'palette.tif' })).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringMatching(
        /palette\.tif: IFD 0 is a palette image without a Colormap libtiff reads/,
      ),
    });
  });

  it('the cases exercise what they are named for (sizes and levels as GDAL reports them)', async () => {
    const levels = async (name: string) =>
      (await openGeoTiff(CASES[name] as Uint8Array, { name })).levels.map((l) => [l.width, l.height]);
    expect(await levels('first-width-is-the-smaller')).toEqual([[4, 4]]);
    expect(await levels('mask-with-lone-tile-width-ends-chain')).toEqual([[6, 4]]);
    expect(await levels('palette-overview-with-colormap-of-wrong-count-ends-chain')).toEqual([[6, 4]]);
    expect(await levels('palette-overview-with-colormap-reads')).toEqual([
      [6, 4],
      [3, 2],
      [2, 1],
    ]);

    expect(await levels('mask-with-lone-tile-width-after-rows-per-strip')).toEqual([
      [6, 4],
      [3, 2],
    ]);
    expect(await levels('later-width-ignored')).toEqual([[6, 4]]);
    expect(await levels('subifd-overviews')).toEqual([
      [6, 4],
      [3, 2],
      [2, 1],
    ]);
    expect(await levels('subifd-past-the-end')).toEqual([[6, 4]]);
    expect(await levels('subifd-list-of-shorts')).toEqual([[6, 4]]);
    expect(await levels('subifd-other-band-count')).toEqual([[6, 4]]);
    expect(gdal.get(paths['subifd-overviews'] as string)?.overviews).toHaveLength(2);
    expect(gdal.get(paths['subifd-mask'] as string)?.mask?.md5).toBeDefined();
    const withMask = await openGeoTiff(CASES['subifd-mask'] as Uint8Array);
    expect(withMask.levels[0]?.mask).toBeDefined();
    expect(await levels('overview-of-unknown-compression')).toEqual([
      [6, 4],
      [2, 1],
    ]);
    expect(
      (await openGeoTiff(CASES['mask-of-unknown-compression'] as Uint8Array)).levels[0]?.mask,
    ).toBeUndefined();
    expect(await levels('unreadable-directory-ends-chain')).toEqual([
      [6, 4],
      [3, 2],
    ]);
    expect(
      (await openGeoTiff(CASES['unreadable-directory-ends-chain'] as Uint8Array)).levels[0]?.mask,
    ).toBeUndefined();
    expect(await levels('bad-sample-format-ends-chain')).toEqual([[6, 4]]);
    for (const name of ['max-sample-value-float-ends-chain', 'min-sample-value-past-16-bits-ends-chain'])
      expect((await levels(name)).length, name).toBe(name.startsWith('max') ? 2 : 1);
    expect(await levels('palette-overview-without-colormap-ends-chain')).toEqual([[6, 4]]);
    expect(await levels('image-length-of-two-values-ends-chain')).toEqual([[6, 4]]);
    expect((await levels('rows-per-strip-of-two-values-ends-chain')).length).toBe(2);
    // the same fault in IFD 0: GDAL cannot open the file, and we refuse it with a typed error
    const palette = tinyTiff([{ ...mask, tags: { 262: [SHORT, [3]] } }]);
    const palettePath = join(tmp(), 'palette-image-without-colormap.tif');
    writeFileSync(palettePath, palette);
    expect(gdalBatch([palettePath]).get(palettePath)?.ok).toBe(false);
    await expect(openGeoTiff(palette)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringContaining('palette image without a Colormap'),
    });
    expect(await levels('directory-without-offsets-ends-chain')).toEqual([
      [6, 4],
      [3, 2],
    ]);
    expect(await levels('unreadable-subifd-ends-subifds')).toEqual([
      [6, 4],
      [1, 1],
    ]);
    for (const name of ['overview-tag-values-past-the-end', 'overview-strip-offsets-past-the-end'])
      expect(await levels(name), name).toEqual([
        [6, 4],
        [3, 2],
        [2, 1],
      ]);
    // GDAL lists that overview too; reading it, libtiff logs "IO error during reading of StripOffsets" and GDAL
    // returns the file's first bytes as pixels (offsets 0): we refuse the read instead
    expect(gdal.get(paths['overview-strip-offsets-past-the-end'] as string)?.overviews).toHaveLength(2);
    const cut = await openGeoTiff(CASES['overview-strip-offsets-past-the-end'] as Uint8Array, {
      name: 'cut.tif',
    });
    await expect(readRaster(cut, { level: 1 })).rejects.toMatchObject({
      code: 'TRUNCATED',
      message: expect.stringMatching(
        /cut\.tif: IFD 1: cannot read the StripOffsets array: it runs past the end of the \d+-byte file/,
      ),
    });
    expect((await readRaster(cut, { level: 2 })).bands[0]).toEqual(Uint8Array.from([200, 199]));
    const lsbFirst = async (name: string) =>
      (await openGeoTiff(CASES[name] as Uint8Array)).levels[0]?.lsbFirst;
    expect(await lsbFirst('fill-order-2')).toBe(true);
    expect(await lsbFirst('fill-order-2-as-long')).toBe(true);
    expect(await lsbFirst('fill-order-2-of-two-values-ignored')).toBeUndefined();
    expect(await lsbFirst('fill-order-2-undefined-type-ignored')).toBeUndefined();
    const cmyk = (tags: TinyIfd['tags'], type?: number) => {
      const b = tinyTiff([
        {
          ...image(),
          samplesPerPixel: 4,
          strips: [new Uint8Array(96)],
          tags: { 262: [SHORT, [5]], ...tags },
        },
      ]);
      return type === undefined ? b : patchTagEntry(b, 332, (v, at) => v.setUint16(at + 2, type, true));
    };
    // GDAL converts InkSet 1 (CMYK) to RGBA and returns others as stored: its first band says which it did
    const gdalConverts = (b: Uint8Array) => {
      const path = join(tmp(), `cmyk-${Math.random().toString(36).slice(2)}.tif`);
      writeFileSync(path, b);
      const info = execFileSync('gdalinfo', [path], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return /Band 1 .*ColorInterp=Red/.test(info);
    };
    const inkSet = async (b: Uint8Array) => {
      const ink = (await openGeoTiff(b)).levels[0]?.inkSet;
      expect(gdalConverts(b)).toBe(ink === 1);
      return ink;
    };
    expect(await inkSet(cmyk({}))).toBe(1);
    expect(await inkSet(cmyk({ 332: [SHORT, [2]] }))).toBe(2);
    expect(await inkSet(cmyk({ 332: [LONG, [2]] }))).toBe(2);
    expect(await inkSet(cmyk({ 332: [SHORT, [2, 2]] }))).toBe(1);
    expect(await inkSet(cmyk({ 332: [SHORT, [2]] }, 7))).toBe(1);
    await expect(readRaster(await openGeoTiff(cmyk({ 332: [SHORT, [2, 2]] })))).rejects.toMatchObject({
      code: 'UNSUPPORTED_PHOTOMETRIC',
    });
    expect(await levels('overview-tile-length-past-2^31-skipped')).toEqual([
      [6, 4],
      [2, 1],
    ]);
    await expect(openGeoTiff(CASES['tile-length-past-2^31-in-ifd-0'] as Uint8Array)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringContaining('TileLength of 4294967295'),
    });
    const dtype = async (name: string) => (await openGeoTiff(CASES[name] as Uint8Array)).levels[0]?.dtype;
    expect(await dtype('data-type-signed-16')).toBe('int16');
    expect(await dtype('data-type-after-sample-format')).toBe('int16');
    expect(await dtype('data-type-float-32')).toBe('float32');
    await expect(openGeoTiff(CASES['data-type-outside-0-3'] as Uint8Array)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringContaining('DataType 9'),
    });
    expect(await levels('smin-sample-value-count-ends-chain')).toEqual([[6, 4]]);
    expect((await levels('smax-sample-value-one-per-sample')).length).toBe(2);
    await expect(openGeoTiff(CASES['smin-sample-value-count-in-ifd-0'] as Uint8Array)).rejects.toMatchObject({
      code: 'CORRUPT_TIFF',
      message: expect.stringContaining('2 SMinSampleValue value(s) for 1 sample(s)'),
    });
    const reducedMask = await openGeoTiff(CASES['reduced-mask-of-full-size'] as Uint8Array);
    expect(reducedMask.levels[0]?.mask).toBeUndefined();
  });

  it("a lone TileWidth or TileLength takes its partner from a RowsPerStrip before it, else there are zero tiles (libtiff's rules)", async () => {
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13) % 251);
    const cases: Record<string, { bytes: Uint8Array; gdalReads: boolean }> = {
      // RowsPerStrip 2 comes first (sorted entries): tiles 16 × 2, two of them down the image
      'tile-width-and-rows-per-strip': {
        bytes: tinyTiff([
          { ...image({ 322: [SHORT, [16]] }), rowsPerStrip: 2, strips: [bytes(32), bytes(32)] },
        ]),
        gdalReads: true,
      },
      // tiles 6 (the image width) × 16: one tile
      'tile-length-and-rows-per-strip': {
        bytes: tinyTiff([{ ...image({ 323: [SHORT, [16]] }), rowsPerStrip: 2, strips: [bytes(96)] }]),
        gdalReads: true,
      },
      // no RowsPerStrip: the missing dimension stays 0
      'tile-width-only': {
        bytes: tinyTiff([
          { ...image({ 322: [SHORT, [16]], 324: [LONG, [8]], 325: [LONG, [64]] }), strips: [] },
        ]),
        gdalReads: false,
      },
      'tile-length-only': {
        bytes: tinyTiff([
          { ...image({ 323: [SHORT, [16]], 324: [LONG, [8]], 325: [LONG, [96]] }), strips: [] },
        ]),
        gdalReads: false,
      },
    };
    const files = Object.entries(cases).map(([name, c]) => {
      const path = join(tmp(), `${name}.tif`);
      writeFileSync(path, c.bytes);
      return { name, path, ...c };
    });
    const g = gdalBatch(files.map((f) => f.path));
    for (const f of files) {
      expect(g.get(f.path)?.ok, f.name).toBe(f.gdalReads);
      const found: Findings = { problems: [], stricter: [] };
      const outcome = compareWithGdal(f.name, f.path, await ours(f.bytes, f.path), g.get(f.path), found);
      expect([f.name, outcome, found.problems]).toEqual([f.name, f.gdalReads ? 'matched' : 'typed', []]);
    }
    const t = await openGeoTiff(cases['tile-width-and-rows-per-strip']?.bytes as Uint8Array);
    expect([t.levels[0]?.tileWidth, t.levels[0]?.tileHeight]).toEqual([16, 2]);
  });

  it('BigTIFF block arrays declaring 2^40 entries are read for the tiles only, as GDAL reads them', async () => {
    const src = join(tmp(), 'big-counts-src.tif');
    const raster = syntheticRaster('uint16', 40, 24, 2, 22);
    raster.geo = { epsg: 32633, transform: [499980, 10, 0, 5800020, 0, -10] };
    writeFileSync(src, encodeGeoTiff(raster, { compression: 'none' }));
    const big = join(tmp(), 'big-counts.tif');
    gdalTranslate(
      ['-co', 'BIGTIFF=YES', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=16', '-co', 'BLOCKYSIZE=16'].concat([
        '-co',
        'COMPRESS=DEFLATE',
        src,
        big,
      ]),
    );
    const original = new Uint8Array(readFileSync(big));
    const files = [324, 325].map((tag) => {
      const bytes = patchBigTiffCount(original, tag, 2 ** 40);
      const path = join(tmp(), `big-counts-${tag}.tif`);
      writeFileSync(path, bytes);
      return { tag, path, bytes };
    });
    const g = gdalBatch(files.map((f) => f.path));
    for (const f of files) {
      expect(g.get(f.path)?.ok, `tag ${f.tag}`).toBe(true);
      const found: Findings = { problems: [], stricter: [] };
      const outcome = compareWithGdal(
        `tag ${f.tag}`,
        f.path,
        await ours(f.bytes, f.path),
        g.get(f.path),
        found,
      );
      expect([f.tag, outcome, found.problems]).toEqual([f.tag, 'matched', []]);
      const r = await readRaster(await openGeoTiff(f.bytes));
      expect(r.bands[1]).toEqual(raster.bands[1]);
    }
  });

  it('an uncompressed bottom-edge tile needs the rows GDAL asks for (its modulo formula), else both fail', async () => {
    // one 16 × 16 8-bit tile over an image 3 or 8 rows tall: GDAL reads 16 − (16 mod height) rows of it
    const tile = (height: number, byteCount: number) =>
      tinyTiff([
        {
          width: 16,
          height,
          strips: [Uint8Array.from({ length: 256 }, (_, i) => (i * 7) % 256)],
          tags: { 322: [SHORT, [16]], 323: [SHORT, [16]], 324: [LONG, [8]], 325: [LONG, [byteCount]] },
        },
      ]);
    const cases = [
      { name: 'height-3-inner-rows-only', bytes: tile(3, 48), gdalReads: false },
      { name: 'height-3-fifteen-rows', bytes: tile(3, 240), gdalReads: true },
      // 16 mod 8 = 0: GDAL reads the whole tile at its geometric size, whatever its byte count says
      { name: 'height-8-count-of-one-row', bytes: tile(8, 16), gdalReads: true },
      { name: 'height-6-twelve-rows', bytes: tile(6, 192), gdalReads: true },
      { name: 'height-6-inner-rows-only', bytes: tile(6, 96), gdalReads: false },
      { name: 'height-11-inner-rows', bytes: tile(11, 176), gdalReads: true },
    ].map((c) => ({ ...c, path: join(tmp(), `${c.name}.tif`) }));
    for (const c of cases) writeFileSync(c.path, c.bytes);
    const g = gdalBatch(cases.map((c) => c.path));
    for (const c of cases) {
      expect([c.name, g.get(c.path)?.ok]).toEqual([c.name, c.gdalReads]);
      const found: Findings = { problems: [], stricter: [] };
      const outcome = compareWithGdal(c.name, c.path, await ours(c.bytes, c.path), g.get(c.path), found);
      expect([c.name, outcome, found.problems]).toEqual([c.name, c.gdalReads ? 'matched' : 'typed', []]);
    }
  });

  it('a later directory with SubIFDs of its own is not an overview, and its SubIFDs are not read', async () => {
    // IFD 0 → IFD 1 (reduced, with a SubIFD list) ; IFD 1's SubIFD is reduced too
    const inner = reduced(2, 1);
    let subAt = 0;
    const layout = (sub: number) =>
      tinyTiff(
        [image(), { ...reduced(3, 2), tags: { 254: [LONG, [1]], 330: [LONG, [sub]] } }, inner],
        (i, at) => {
          subAt = at[2] as number;
          return i === 0 ? (at[1] as number) : 0;
        },
      );
    layout(0);
    const bytes = layout(subAt);
    const path = join(tmp(), 'chain-ifd-with-subifds.tif');
    writeFileSync(path, bytes);
    const g = gdalBatch([path]).get(path);
    expect(g?.overviews).toEqual([]);
    const found: Findings = { problems: [], stricter: [] };
    expect(compareWithGdal('chain-ifd-with-subifds', path, await ours(bytes, path), g, found)).toBe(
      'matched',
    );
    expect((await openGeoTiff(bytes)).levels).toHaveLength(1);
  });
});

/**
 * Re-tag every `from` entry of directory `index` (0 = IFD 0, following the chain) of a little-endian classic or
 * BigTIFF file as Threshholding (263), which libtiff ignores at these counts: the directory loses that tag.
 */
function dropTag(bytes: Uint8Array, index: number, from: number): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const big = v.getUint16(2, true) === 43;
  const at = (p: number) => (big ? Number(v.getBigUint64(p, true)) : v.getUint32(p, true));
  let ifd = at(big ? 8 : 4);
  for (let k = 0; k < index; k++) {
    const n = big ? Number(v.getBigUint64(ifd, true)) : v.getUint16(ifd, true);
    ifd = at(ifd + (big ? 8 + 20 * n : 2 + 12 * n));
  }
  const n = big ? Number(v.getBigUint64(ifd, true)) : v.getUint16(ifd, true);
  let found = 0;
  for (let i = 0; i < n; i++) {
    const e = ifd + (big ? 8 + 20 * i : 2 + 12 * i);
    if (v.getUint16(e, true) !== from) continue;
    v.setUint16(e, 263, true);
    found++;
  }
  if (found === 0) throw new Error(`tag ${from} not in directory ${index}`);
  return out;
}

describe.runIf(
  requireTool('GDAL (gdalinfo)', HAS_GDAL) && requireTool('python3-gdal', PYTHON_GDAL !== undefined),
)('directories without byte counts, as libtiff estimates them', () => {
  it("one strip, one tile or one strip per band: libtiff's estimate, GDAL's pixels; more blocks: the directory fails", async () => {
    const src = join(tmp(), 'counts-src.tif');
    const raster = syntheticRaster('uint16', 37, 23, 3, 21);
    raster.geo = { epsg: 32633, transform: [499980, 10, 0, 5800020, 0, -10] };
    writeFileSync(src, encodeGeoTiff(raster, { compression: 'none' }));
    // three equal bands: each band's strip fits the third of the file libtiff gives it
    const same = join(tmp(), 'counts-same-bands.tif');
    const band = raster.bands[0] as Uint16Array;
    writeFileSync(
      same,
      encodeGeoTiff({ ...raster, bands: [band, band.slice(), band.slice()] }, { compression: 'none' }),
    );
    const co = (...options: string[]) => options.flatMap((o) => ['-co', o]);
    const variants: [string, string[], number, number, string?][] = [
      // name, creation options, directory, byte-counts tag dropped, source
      ['one-strip-plain', co('BLOCKYSIZE=23'), 0, 279],
      ['one-strip-deflate', co('BLOCKYSIZE=23', 'COMPRESS=DEFLATE', 'PREDICTOR=2'), 0, 279],
      ['one-strip-lzw-bigtiff', co('BLOCKYSIZE=23', 'COMPRESS=LZW', 'BIGTIFF=YES'), 0, 279],
      ['one-tile-zstd', co('TILED=YES', 'BLOCKXSIZE=48', 'BLOCKYSIZE=32', 'COMPRESS=ZSTD'), 0, 325],
      ['strip-per-band-deflate', co('BLOCKYSIZE=23', 'INTERLEAVE=BAND', 'COMPRESS=DEFLATE'), 0, 279, same],
      ['strip-per-band-plain', co('BLOCKYSIZE=23', 'INTERLEAVE=BAND'), 0, 279],
      ['four-strips', co('BLOCKYSIZE=6', 'COMPRESS=DEFLATE'), 0, 279],
      ['six-tiles', co('TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'), 0, 325],
      ['two-strips-per-band', co('BLOCKYSIZE=12', 'INTERLEAVE=BAND'), 0, 279],
    ];
    const paths = variants.map(([name, options, index, tag, from]) => {
      const whole = join(tmp(), `counts-${name}-whole.tif`);
      gdalTranslate([...options, from ?? src, whole]);
      const path = join(tmp(), `counts-${name}.tif`);
      writeFileSync(path, dropTag(new Uint8Array(readFileSync(whole)), index, tag));
      return path;
    });
    const gdal = gdalBatch(paths);
    const outcomes: Record<string, string> = {};
    for (const [i, [name]] of variants.entries()) {
      const path = paths[i] as string;
      const found: Findings = { problems: [], stricter: [] };
      outcomes[name] = compareWithGdal(
        name,
        path,
        await ours(new Uint8Array(readFileSync(path)), path),
        gdal.get(path),
        found,
      );
      expect(found.problems, name).toEqual([]);
      expect(found.stricter, name).toEqual([]);
    }
    expect(outcomes).toEqual({
      'one-strip-plain': 'matched',
      'one-strip-deflate': 'matched',
      'one-strip-lzw-bigtiff': 'matched',
      'one-tile-zstd': 'matched',
      'strip-per-band-deflate': 'matched',
      'strip-per-band-plain': 'matched',
      'four-strips': 'typed',
      'six-tiles': 'typed',
      'two-strips-per-band': 'typed',
    });
    const err = await openGeoTiff(new Uint8Array(readFileSync(paths[7] as string)), {
      name: 'six-tiles.tif',
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_TIFF' });
    expect(err.message).toMatch(/six-tiles\.tif: IFD 0 has no StripByteCounts or TileByteCounts for its 6/);
  });

  it('a zero byte count for the one strip the geometry has (arrays holding more entries) is estimated, never read as sparse', async () => {
    // 3 deflate strips of 8 rows; without RowsPerStrip libtiff sees one strip of 23 rows, whose zeroed count it
    // estimates (to the end of the file): its first stream holds 8 rows, so GDAL fails, and so must we (we used to
    // read the strip as sparse, all zeros)
    const raster = syntheticRaster('uint16', 37, 23, 1, 24);
    const src = join(tmp(), 'zero-count-src.tif');
    writeFileSync(src, encodeGeoTiff(raster, { compression: 'none' }));
    const whole = join(tmp(), 'zero-count-whole.tif');
    gdalTranslate(['-co', 'BLOCKYSIZE=8', '-co', 'COMPRESS=DEFLATE', src, whole]);
    const bytes = dropTag(new Uint8Array(readFileSync(whole)), 0, 278);
    const v = new DataView(bytes.buffer);
    const ifd = v.getUint32(4, true);
    let zeroed = 0;
    for (let i = 0; i < v.getUint16(ifd, true); i++) {
      const e = ifd + 2 + 12 * i;
      if (v.getUint16(e, true) !== 279) continue;
      zeroed++;
      const size = v.getUint16(e + 2, true) === 3 ? 2 : 4;
      const at = v.getUint32(e + 8, true); // 3 values: out of line
      if (size === 2) v.setUint16(at, 0, true);
      else v.setUint32(at, 0, true);
    }
    expect(zeroed).toBe(1);
    const path = join(tmp(), 'zero-count.tif');
    writeFileSync(path, bytes);
    const gdal = gdalBatch([path]);
    expect(gdal.get(path)?.ok).toBe(false);
    const r = await ours(bytes, path);
    expect(r).toMatchObject({ ok: false });
    expect(String((r as { error: unknown }).error)).toMatch(
      /strip 0 decodes to 592 bytes; its geometry needs 1702/,
    );
  });

  it("an only strip's zero count stored before its directory: libtiff's estimate leaves out the directory's bytes", async () => {
    // strips first, then the directory (libtiff's own layout, tiffcp's); a tag whose values lie over the strip's
    // bytes swells the directory's count, and libtiff's estimate (file size less header, directory and values) cuts
    // the strip short by it: GDAL fails the read, and so must we (we used to read to the end of the file: fuzz, a
    // tiffcp JPEG file whose Orientation claimed 255 values)
    const rows = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 29) & 0xff);
    const stream = new Uint8Array(deflateSync(rows));
    const build = (overlapping: number) =>
      patchTagEntry(
        tinyTiff([
          {
            width: 6,
            height: 4,
            compression: 8,
            strips: [stream],
            tags: { 279: [LONG, [0]], 274: [SHORT, [1]] },
          },
        ]),
        274,
        (v, at) => {
          if (overlapping === 0) return;
          v.setUint32(at + 4, overlapping, true); // SHORTs over the strip's bytes, from byte 8
          v.setUint32(at + 8, 8, true);
        },
      );
    for (const [overlapping, readable] of [
      [0, true],
      [stream.byteLength >> 1, false],
    ] as const) {
      const bytes = build(overlapping);
      const path = join(tmp(), `zero-count-before-directory-${overlapping}.tif`);
      writeFileSync(path, bytes);
      const gdal = gdalBatch([path]).get(path);
      expect(gdal?.ok, JSON.stringify(gdal)).toBe(readable);
      const r = await ours(bytes, path);
      if (readable) expect(r).toMatchObject({ ok: true, md5: gdal?.md5 });
      else expect(String((r as { error: unknown }).error)).toMatch(/IFD 0, strip 0/);
    }
  });

  it("a planar strip the estimate cuts short fails in both; a mask directory without byte counts ends GDAL's chain", async () => {
    // band 1 noise, bands 2 and 3 flat: libtiff gives each band a third of the file, too little for band 1
    const raster = syntheticRaster('uint8', 64, 48, 3, 22);
    (raster.bands[1] as Uint8Array).fill(7);
    (raster.bands[2] as Uint8Array).fill(9);
    const src = join(tmp(), 'uneven-src.tif');
    writeFileSync(src, encodeGeoTiff(raster, { compression: 'none' }));
    const uneven = join(tmp(), 'uneven-whole.tif');
    gdalTranslate(['-co', 'BLOCKYSIZE=48', '-co', 'INTERLEAVE=BAND', '-co', 'COMPRESS=DEFLATE', src, uneven]);
    const cut = join(tmp(), 'uneven.tif');
    writeFileSync(cut, dropTag(new Uint8Array(readFileSync(uneven)), 0, 279));
    // RGB + internal mask, tiled: the mask (IFD 1) loses its TileByteCounts, so GDAL stops before it and the
    // overviews after it
    const rgba = syntheticRaster('uint8', 40, 30, 4, 23);
    (rgba.bands[3] as Uint8Array).forEach((_, i, a) => {
      a[i] = i % 40 < 20 ? 255 : 0;
    });
    const rgbaPath = join(tmp(), 'rgba-src.tif');
    writeFileSync(rgbaPath, encodeGeoTiff(rgba, { compression: 'none' }));
    const masked = join(tmp(), 'masked-whole.tif');
    gdalTranslate([
      ...['-of', 'COG', '--config', 'GDAL_TIFF_INTERNAL_MASK', 'YES', '-b', '1', '-b', '2', '-b', '3'],
      ...['-mask', '4', '-co', 'BLOCKSIZE=16', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEW_COUNT=1'],
      rgbaPath,
      masked,
    ]);
    const whole = await openGeoTiff(new Uint8Array(readFileSync(masked)), { name: 'masked' });
    expect(whole.levels.map((l) => [l.ifd, l.mask?.ifd])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const noMaskCounts = join(tmp(), 'mask-without-counts.tif');
    writeFileSync(noMaskCounts, dropTag(new Uint8Array(readFileSync(masked)), 1, 325));
    const gdal = gdalBatch([cut, noMaskCounts]);
    expect(gdal.get(cut)?.ok).toBe(false);
    const err = await ours(new Uint8Array(readFileSync(cut)), cut);
    expect(err).toMatchObject({ ok: false });
    const found: Findings = { problems: [], stricter: [] };
    const bytes = new Uint8Array(readFileSync(noMaskCounts));
    expect(
      compareWithGdal('mask', noMaskCounts, await ours(bytes, noMaskCounts), gdal.get(noMaskCounts), found),
    ).toBe('matched');
    expect(found.problems).toEqual([]);
    const opened = await openGeoTiff(bytes, { name: 'mask-without-counts' });
    expect(opened.levels.map((l) => [l.ifd, l.mask?.ifd])).toEqual([[0, undefined]]);
  });
});
