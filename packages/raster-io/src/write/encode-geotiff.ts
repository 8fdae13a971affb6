import type { Codec } from '../codecs/codec.js';
import { deflateCodec } from '../codecs/deflate.js';
import { applyFloatingPointPredictor, applyHorizontalPredictor } from '../codecs/predictor.js';
import { geoKeysForEpsg } from '../crs/epsg-geokeys.js';
import {
  ESRI_MOLLWEIDE,
  encodeGeoKeys,
  GEO_KEY,
  geoKeysPastLimits,
  MOLLWEIDE_GEOKEYS,
  namedGeoKeys,
  validGeoKeys,
} from '../crs/geokeys.js';
import { RasterIoError } from '../errors.js';
import { checkOptions, describeValue } from '../internal/check-args.js';
import {
  bytesOf,
  DTYPE_ARRAY,
  DTYPE_BYTES,
  DTYPE_SAMPLE_FORMAT,
  dtypeOfArray,
  sampleBits,
  viewAs,
} from '../internal/typed-array.js';
import { epsgFromGeoKeys } from '../read/geo-from-tags.js';
import type { DType, GeoBlock, GeoKeys, Raster, RasterArray } from '../types.js';
import { decimateBand, type OverviewResampling, overviewLevels } from './overviews.js';
import { FIELD, type IfdEntry, ifdByteLength, writeIfd } from './tiff-ifd.js';
import {
  COMPRESSION_CODES,
  checkWriteSettings,
  DEFAULT_DEFLATE_LEVEL,
  DEFAULT_ZSTD_LEVEL,
} from './write-options.js';

/** Options for {@link encodeGeoTiff}. */
export interface EncodeGeoTiffOptions {
  /** Write square tiles instead of strips (default false; forced on by `cog`). */
  tiled?: boolean;
  /** Tile edge in pixels (default 256; 512 for `cog`, like GDAL's COG driver). */
  tileSize?: 256 | 512;
  /** Rows per strip for stripped files (default: strips of about 8 KiB per band, like GDAL). */
  rowsPerStrip?: number;
  /**
   * Compression (default `'none'`). `'zstd'` (TIFF code 50000, which GDAL reads) needs a ZSTD codec that can encode
   * in `codecs` (Node's `writeGeoTiff` has one).
   */
  compression?: 'none' | 'deflate' | 'zstd';
  /** Deflate level 1..9 (default 6, GDAL's). */
  deflateLevel?: number;
  /** ZSTD level 1..22 (default 9, GDAL's `ZSTD_LEVEL`). */
  zstdLevel?: number;
  /**
   * Predictor: `true` = 2 (horizontal) for integers and 3 (floating point) for floats, 1 when uncompressed; or an
   * explicit 1/2/3 (3 only for float dtypes; 2 and 3 only with a compression, as readers apply no predictor to
   * uncompressed files). Default false (1).
   */
  predictor?: boolean | 1 | 2 | 3;
  /** Internal overview decimation factors, e.g. [2, 4, 8] (increasing, ≥ 2). */
  overviews?: number[];
  /** How overviews are computed (default `'average'`, nodata-aware). */
  overviewResampling?: OverviewResampling;
  /**
   * Cloud-Optimized GeoTIFF layout (GDAL's): tiled, a structural-metadata ghost header, all IFDs first,
   * then tile data from the smallest overview to full resolution, each tile with a 4-byte size leader and
   * its last 4 bytes repeated as trailer.
   */
  cog?: boolean;
  /**
   * Sample layout for several bands: `'band'` (PlanarConfiguration 2, one band per block; default) or
   * `'pixel'` (PlanarConfiguration 1, samples interleaved in every block: GDAL's default).
   */
  interleave?: 'band' | 'pixel';
  /** Codec overrides by compression code (Node's `writeGeoTiff` passes Node's deflate codec). */
  codecs?: Readonly<Record<number, Codec>>;
  /** Called after each block (tile or strip) is encoded. */
  onProgress?: (p: { stage: 'encode'; done: number; total: number }) => void;
}

/** Defaults merged by {@link encodeGeoTiff}. */
export const DEFAULT_ENCODE_GEOTIFF = {
  tiled: false,
  compression: 'none',
  deflateLevel: DEFAULT_DEFLATE_LEVEL,
  zstdLevel: DEFAULT_ZSTD_LEVEL,
  predictor: false,
  overviewResampling: 'average',
  cog: false,
  interleave: 'band',
} as const satisfies EncodeGeoTiffOptions;

interface Level {
  width: number;
  height: number;
  bands: RasterArray[];
  /** Overviews: computes `bands` from the level they come from (on first use, once that level has its own). */
  makeBands?: () => RasterArray[];
  blocks: Uint8Array[];
  entries: IfdEntry[];
  ifdOffset: number;
  ifdBytes: number;
}

export const STRUCTURAL_METADATA = [
  'LAYOUT=IFDS_BEFORE_DATA',
  'BLOCK_ORDER=ROW_MAJOR',
  'BLOCK_LEADER=SIZE_AS_UINT4',
  'BLOCK_TRAILER=LAST_4_BYTES_REPEATED',
  'KNOWN_INCOMPATIBLE_EDITION=NO',
  '',
].join('\n');

/**
 * Encode a raster as a GeoTIFF (browser-safe; little-endian classic TIFF, band-sequential PlanarConfiguration 2
 * by default, pixel-interleaved on request). Supports strips or 256/512 tiles, deflate with predictor 2/3, EPSG geokeys,
 * ModelPixelScale + ModelTiepoint (ModelTransformation when rotated), GDAL_NODATA, internal overviews and
 * COG layout. Files are checked against GDAL in the test-suite.
 *
 * Why our own writer: geotiff.js's writer can neither tile nor compress and writes Int16/Int32 wrong.
 *
 * @param raster - width, height, dtype, bands (one typed array per band), noData, geo
 * @param options - tiled, tileSize, rowsPerStrip, compression, deflateLevel, predictor, overviews, cog
 * @returns the file bytes
 * @throws RasterIoError `INVALID_ARGUMENT` (inconsistent raster or options), `UNSUPPORTED_DTYPE`,
 *   `UNSUPPORTED_CRS` (an EPSG code GeoTIFF cannot store, without `geo.geoKeys`),
 *   `WRITE_FAILED` (over 4 GiB: BigTIFF is not written)
 * @example
 * ```ts
 * const bytes = encodeGeoTiff(
 *   { width: 256, height: 256, dtype: 'uint16', bands: [b1, b2], noData: 0,
 *     geo: { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] } },
 *   { cog: true, compression: 'deflate', predictor: true, overviews: [2, 4] },
 * );
 * ```
 */
export function encodeGeoTiff(raster: Raster, options: EncodeGeoTiffOptions = {}): Uint8Array {
  return joinPieces(encodeGeoTiffPieces(raster, options));
}

/**
 * @internal {@link encodeGeoTiff} as the file's pieces in order (header and IFDs, then blocks), not joined.
 * `bandMemory` holds the overview bands (the pieces may be views of them: keep it until they are written).
 */
export function encodeGeoTiffPieces(
  raster: Raster,
  options: EncodeGeoTiffOptions = {},
  bandMemory?: BlockMemory,
): Uint8Array[] {
  const plan = planEncoding(raster, options);
  const levels = buildLevels(raster, plan, bandMemory);
  const rps = encodeBlocks(raster, levels, plan);
  setIfdEntries(raster, levels, plan, rps);
  return filePieces(levels, plan.cog);
}

/** The pieces of a file in one buffer. */
export function joinPieces(pieces: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of pieces) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Memory for one tile (or pixel-interleaved block) of `bytes` bytes, 8-byte aligned, whose content is unspecified:
 * lets the caller of {@link prepareGeoTiff} cut blocks into memory it reuses (they are compressed from it later).
 */
export type BlockMemory = (bytes: number) => Uint8Array;

/** An encode whose blocks are predicted but not yet compressed (Node compresses them on worker threads). */
export interface PreparedGeoTiff {
  /** Every level's blocks, predicted, uncompressed, in file block order (each its own buffer). */
  blocks: Uint8Array[][];
  /** The deflate level, or undefined when the file is not compressed. */
  deflateLevel: number | undefined;
  /** The file's pieces in order (see {@link encodeGeoTiffPieces}), from the compressed blocks (same shape as `blocks`). */
  finish(compressed: Uint8Array[][]): Uint8Array[];
}

/**
 * @internal {@link encodeGeoTiff} up to compression: same validation, overviews, layout and predictor.
 * `onBlock` gets each block as soon as it is cut (with the deflate level, undefined when uncompressed), in file
 * block order, level by level (an overview is computed only after the blocks of the levels before it), so
 * compression can start while the rest is prepared.
 */
export function prepareGeoTiff(
  raster: Raster,
  options: EncodeGeoTiffOptions = {},
  onBlock?: (block: Uint8Array, deflateLevel: number | undefined) => void,
  blockMemory?: BlockMemory,
): PreparedGeoTiff {
  const plan = planEncoding(raster, options);
  const deflateLevel = plan.codec ? plan.level : undefined;
  const memory = deflateLevel === undefined ? undefined : blockMemory;
  const levels = buildLevels(raster, plan, memory);
  const rps = encodeBlocks(
    raster,
    levels,
    { ...plan, codec: undefined },
    false,
    (block) => onBlock?.(block, deflateLevel),
    memory,
  );
  return {
    blocks: levels.map((lv) => lv.blocks),
    deflateLevel,
    finish(compressed) {
      levels.forEach((lv, i) => {
        lv.blocks = compressed[i] as Uint8Array[];
      });
      setIfdEntries(raster, levels, plan, rps);
      return filePieces(levels, plan.cog);
    },
  };
}

/** The options with their defaults applied. */
type EncodeOptions = EncodeGeoTiffOptions &
  Required<Pick<EncodeGeoTiffOptions, keyof typeof DEFAULT_ENCODE_GEOTIFF>>;

/** The validated layout and compression settings of one encode. */
interface EncodePlan {
  opts: EncodeOptions;
  cog: boolean;
  tiled: boolean;
  tile: number;
  bps: number;
  predictor: number;
  level: number;
  compressionCode: number;
  codec: Codec | undefined;
  factors: readonly number[];
  spp: number;
  /** Pixel-interleaved (one block holds every band). */
  pixel: boolean;
  planar: number;
  /** Samples per pixel inside one block. */
  perBlock: number;
  /** IFD 0's georeferencing tags (computed with the validation: keys GDAL would ignore are refused up front). */
  geoEntries: IfdEntry[];
}

/** The codec of a checked compression (none when uncompressed): a caller's override, else the built-in one. */
function codecOf(opts: EncodeOptions, compression: keyof typeof COMPRESSION_CODES): Codec | undefined {
  if (compression === 'none') return undefined;
  const zstd = compression === 'zstd';
  const codec = opts.codecs?.[COMPRESSION_CODES[compression]] ?? (zstd ? undefined : deflateCodec);
  if (zstd && !codec?.encode)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      "compression 'zstd' needs a ZSTD codec that encodes in `codecs` (Node's writeGeoTiff and createCogWriter have one)",
    );
  if (codec && !codec.encode)
    throw new RasterIoError('INVALID_ARGUMENT', `codec '${codec.name}' cannot encode`);
  return codec;
}

/** Stage 1: validates the raster and every option (in a fixed order, so errors are stable). */
function planEncoding(raster: Raster, options: EncodeGeoTiffOptions): EncodePlan {
  const given = checkOptions('encodeGeoTiff', options);
  // an option given as undefined takes its default, as when it is left out (callers forward optional fields)
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const opts: EncodeOptions = { ...DEFAULT_ENCODE_GEOTIFF, ...defined };
  validate(raster);
  const { dtype, bands } = raster;
  for (const name of ['tiled', 'cog'] as const)
    if (typeof opts[name] !== 'boolean')
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `${name} must be true or false, got ${describeValue(opts[name])}`,
      );
  const cog = opts.cog;
  const tiled = cog || opts.tiled;
  // the rules createCogWriter applies too
  const checked = checkWriteSettings('', {
    ...opts,
    dtype,
    noData: raster.noData,
    geo: raster.geo,
    tileSize: opts.tileSize ?? (cog ? 512 : 256),
  });
  const { tile, predictor, level, factors } = checked;
  const bps = DTYPE_BYTES[dtype];
  const compressionCode = COMPRESSION_CODES[checked.compression];
  const codec = codecOf(opts, checked.compression);
  const spp = bands.length;
  const pixel = checked.interleave === 'pixel' && spp > 1;
  const planar = spp > 1 && !pixel ? 2 : 1;
  const perBlock = pixel ? spp : 1;
  const geoEntries = raster.geo ? geoTags(raster.geo) : [];
  return {
    opts,
    cog,
    tiled,
    tile,
    bps,
    predictor,
    level,
    compressionCode,
    codec,
    factors,
    spp,
    pixel,
    planar,
    perBlock,
    geoEntries,
  };
}

/**
 * Stage 2: full resolution, then overviews, the levels gdaladdo (GDAL 3.6) builds on a file of the same layout,
 * each computed from the level gdaladdo computes it from, so the pixels match (see {@link overviewLevels}).
 */
function buildLevels(raster: Raster, plan: EncodePlan, memory?: BlockMemory): Level[] {
  const { width, height, dtype, bands } = raster;
  const levels: Level[] = [{ width, height, bands, blocks: [], entries: [], ifdOffset: 0, ifdBytes: 0 }];
  const method = plan.opts.overviewResampling;
  const overviews = overviewLevels(width, height, plan.factors, method, plan.planar === 2);
  for (const { width: w, height: h, source } of overviews) {
    const prev = levels[source] as Level;
    levels.push({
      width: w,
      height: h,
      bands: [],
      makeBands: () =>
        bandsOf(prev).map((b) => {
          // overview bands in the caller's memory (pooled by Node's writer), else new arrays
          const into = memory ? viewAs(dtype, memory(w * h * DTYPE_BYTES[dtype])) : undefined;
          return decimateBand(b, prev.width, prev.height, w, h, dtype, method, raster.noData, into);
        }),
      blocks: [],
      entries: [],
      ifdOffset: 0,
      ifdBytes: 0,
    });
  }
  return levels;
}

/** A level's bands, computed now if it is an overview not computed yet. */
function bandsOf(lv: Level): RasterArray[] {
  if (lv.makeBands) {
    lv.bands = lv.makeBands();
    lv.makeBands = undefined;
  }
  return lv.bands;
}

/**
 * Stage 3: predicts, compresses and stores every block of every level; returns the rows per strip.
 * `report: false` (blocks compressed later, elsewhere) copies blocks that are views of the bands and leaves
 * progress to the caller.
 */
function encodeBlocks(
  raster: Raster,
  levels: Level[],
  plan: EncodePlan,
  report = true,
  onBlock?: (block: Uint8Array) => void,
  memory?: BlockMemory,
): number {
  const { width, height } = raster;
  const { opts, tiled, tile, bps, pixel, spp, predictor, perBlock, codec, level } = plan;
  const defaultRps = Math.max(1, Math.floor(8192 / (width * bps)));
  const rps = Math.min(height, opts.rowsPerStrip ?? defaultRps);
  if (!tiled && (!Number.isInteger(rps) || rps < 1))
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `rowsPerStrip must be a positive integer, got ${opts.rowsPerStrip}`,
    );
  let total = 0;
  for (const lv of levels) {
    const bw = tiled ? tile : lv.width;
    const bh = tiled ? tile : Math.min(rps, lv.height);
    total += (pixel ? 1 : spp) * Math.ceil(lv.width / bw) * Math.ceil(lv.height / bh);
  }
  let done = 0;
  // A compressing encoder copies each block into its output, so one scratch block serves them all (new memory
  // per block costs a page fault per 4 KiB touched); blocks kept as they are (uncompressed, or compressed later
  // by `prepareGeoTiff`'s caller) each need their own.
  const scratch = codec && report ? new Map<number, RasterArray>() : undefined;
  const blockBuffer: BlockBuffer = (length, whole) => {
    const Ctor = DTYPE_ARRAY[raster.dtype];
    if (memory) {
      const m = memory(length * bps);
      const buf = new Ctor(m.buffer, m.byteOffset, length);
      if (!whole) buf.fill(0 as never); // edge blocks are padded with zeros
      return buf;
    }
    if (!scratch) return new Ctor(length);
    const buf = scratch.get(length);
    if (!buf) {
      const fresh = new Ctor(length);
      scratch.set(length, fresh);
      return fresh;
    }
    if (!whole) buf.fill(0 as never); // edge blocks are padded with zeros
    return buf;
  };
  const encodeBlock = (block: RasterArray, rowSamples: number, owned: boolean): Uint8Array => {
    let bytes = bytesOf(block);
    if (!owned && (predictor !== 1 || !report)) bytes = bytes.slice();
    if (predictor === 2) applyHorizontalPredictor(bytes, bps, rowSamples, perBlock);
    else if (predictor === 3) applyFloatingPointPredictor(bytes, bps, rowSamples, perBlock);
    let out = codec ? (codec.encode as NonNullable<Codec['encode']>)(bytes, level) : bytes;
    if (scratch && out.buffer === bytes.buffer) out = out.slice(); // a codec that hands back its input's memory
    if (report) opts.onProgress?.({ stage: 'encode', done: ++done, total });
    onBlock?.(out);
    return out;
  };
  for (const lv of levels) {
    if (pixel) pixelBlocks(lv, plan, rps, blockBuffer, encodeBlock);
    else if (tiled) bandTiles(lv, tile, blockBuffer, encodeBlock);
    else bandStrips(lv, rps, encodeBlock);
  }
  return rps;
}

type BlockEncoder = (block: RasterArray, rowSamples: number, owned: boolean) => Uint8Array;
/** A zeroed block of `length` samples; `whole`: the caller writes every sample (no zero padding needed). */
type BlockBuffer = (length: number, whole: boolean) => RasterArray;

/** One block holds every band, samples interleaved (tiles or strips). */
function pixelBlocks(
  lv: Level,
  plan: EncodePlan,
  rps: number,
  blockBuffer: BlockBuffer,
  encode: BlockEncoder,
): void {
  const { width: w, height: h } = lv;
  const { tiled, tile, spp } = plan;
  const bw = tiled ? tile : w;
  const bh = tiled ? tile : Math.min(rps, h);
  for (let by = 0; by < Math.ceil(h / bh); by++) {
    for (let bx = 0; bx < Math.ceil(w / bw); bx++) {
      const rows = Math.min(bh, h - by * bh);
      const x0 = bx * bw;
      const cols = Math.min(bw, w - x0);
      const block = blockBuffer((tiled ? bh : rows) * bw * spp, cols === bw && (!tiled || rows === bh));
      // copied as bits: NaN payloads stay as the band-interleaved layout (a byte copy) keeps them
      const buf = sampleBits(block);
      for (let b = 0; b < spp; b++) {
        const band = sampleBits(bandsOf(lv)[b] as RasterArray);
        for (let r = 0; r < rows; r++) {
          let s = (by * bh + r) * w + x0;
          let d = r * bw * spp + b;
          for (let c = 0; c < cols; c++, s++, d += spp) buf[d] = band[s] as number;
        }
      }
      lv.blocks.push(encode(block, bw * spp, true));
    }
  }
}

/** Band-interleaved tiles: every tile of band 0, then of band 1, … (edge tiles padded with zeros). */
function bandTiles(lv: Level, tile: number, blockBuffer: BlockBuffer, encode: BlockEncoder): void {
  const { width: w, height: h } = lv;
  const across = Math.ceil(w / tile);
  const down = Math.ceil(h / tile);
  for (const band of bandsOf(lv)) {
    for (let ty = 0; ty < down; ty++) {
      for (let tx = 0; tx < across; tx++) {
        const x0 = tx * tile;
        const cols = Math.min(tile, w - x0);
        const rows = Math.min(tile, h - ty * tile);
        const buf = blockBuffer(tile * tile, cols === tile && rows === tile);
        for (let r = 0; r < rows; r++) {
          const s = (ty * tile + r) * w + x0;
          (buf as Uint8Array).set((band as Uint8Array).subarray(s, s + cols), r * tile);
        }
        lv.blocks.push(encode(buf, tile, true));
      }
    }
  }
}

/** Band-interleaved strips of `rps` rows (views into the band: the encoder copies before predicting). */
function bandStrips(lv: Level, rps: number, encode: BlockEncoder): void {
  const { width: w, height: h } = lv;
  const bh = Math.min(rps, h);
  const strips = Math.ceil(h / bh);
  for (const band of bandsOf(lv)) {
    for (let s = 0; s < strips; s++) {
      const rows = Math.min(bh, h - s * bh);
      lv.blocks.push(encode(band.subarray(s * bh * w, (s * bh + rows) * w) as RasterArray, w, false));
    }
  }
}

/** Stage 4: each level's IFD entries (block offsets filled in once the layout is known). */
function setIfdEntries(raster: Raster, levels: Level[], plan: EncodePlan, rps: number): void {
  const { spp, bps, compressionCode, planar, predictor, tiled, tile, geoEntries } = plan;
  const noDataEntry: IfdEntry[] =
    raster.noData === null || raster.noData === undefined
      ? []
      : [{ tag: 42113, type: FIELD.ASCII, values: formatNoData(raster.noData) }];
  levels.forEach((lv, i) => {
    const n = lv.blocks.length;
    const e: IfdEntry[] = [
      { tag: 256, type: FIELD.LONG, values: [lv.width] },
      { tag: 257, type: FIELD.LONG, values: [lv.height] },
      { tag: 258, type: FIELD.SHORT, values: new Array(spp).fill(bps * 8) },
      { tag: 259, type: FIELD.SHORT, values: [compressionCode] },
      { tag: 262, type: FIELD.SHORT, values: [1] },
      { tag: 277, type: FIELD.SHORT, values: [spp] },
      { tag: 284, type: FIELD.SHORT, values: [planar] },
      { tag: 339, type: FIELD.SHORT, values: new Array(spp).fill(DTYPE_SAMPLE_FORMAT[raster.dtype]) },
      ...noDataEntry,
    ];
    if (i > 0) e.push({ tag: 254, type: FIELD.LONG, values: [1] });
    if (predictor !== 1) e.push({ tag: 317, type: FIELD.SHORT, values: [predictor] });
    if (spp > 1) e.push({ tag: 338, type: FIELD.SHORT, values: new Array(spp - 1).fill(0) });
    const zeros = new Array(n).fill(0);
    if (tiled) {
      e.push(
        { tag: 322, type: FIELD.SHORT, values: [tile] },
        { tag: 323, type: FIELD.SHORT, values: [tile] },
        { tag: 324, type: FIELD.LONG, values: zeros },
        { tag: 325, type: FIELD.LONG, values: lv.blocks.map((b) => b.byteLength) },
      );
    } else {
      e.push(
        { tag: 273, type: FIELD.LONG, values: zeros },
        { tag: 278, type: FIELD.LONG, values: [Math.min(rps, lv.height)] },
        { tag: 279, type: FIELD.LONG, values: lv.blocks.map((b) => b.byteLength) },
      );
    }
    if (i === 0) e.push(...geoEntries);
    lv.entries = e;
    lv.ifdBytes = ifdByteLength(e);
  });
}

/**
 * Stage 5: the file as pieces in file order: the header, ghost area and IFDs in one buffer, then each block (in a
 * COG between its 4-byte size leader and its last-4-bytes trailer, views of one small buffer).
 */
function filePieces(levels: Level[], cog: boolean): Uint8Array[] {
  let pos = 8;
  let ghost: Uint8Array | undefined;
  if (cog) {
    const body = STRUCTURAL_METADATA + (STRUCTURAL_METADATA.length % 2 === 1 ? ' ' : '');
    const text = `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`;
    ghost = new TextEncoder().encode(text);
    pos += ghost.byteLength;
    pos += pos & 1;
  }
  for (const lv of levels) {
    lv.ifdOffset = pos;
    pos += lv.ifdBytes;
    pos += pos & 1;
  }
  const headerBytes = pos;
  const dataOrder = cog ? [...levels].reverse() : levels;
  const offsets = new Map<Level, number[]>();
  let blockCount = 0;
  for (const lv of dataOrder) {
    const offs: number[] = [];
    for (const b of lv.blocks) {
      if (cog) pos += 4; // leader
      offs.push(pos);
      pos += b.byteLength;
      if (cog) pos += 4; // trailer
    }
    offsets.set(lv, offs);
    blockCount += lv.blocks.length;
  }
  if (pos > 0xffffffff) {
    throw new RasterIoError(
      'WRITE_FAILED',
      `the encoded file would be ${pos} bytes; classic TIFF is limited to 4 GiB (BigTIFF is not written): split the raster or compress it`,
    );
  }
  const header = new Uint8Array(headerBytes);
  const view = new DataView(header.buffer);
  header.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, (levels[0] as Level).ifdOffset, true);
  if (ghost) header.set(ghost, 8);
  levels.forEach((lv, i) => {
    const offs = offsets.get(lv) as number[];
    const entries = lv.entries.map((e) => (e.tag === 324 || e.tag === 273 ? { ...e, values: offs } : e));
    writeIfd(view, lv.ifdOffset, entries, i + 1 < levels.length ? (levels[i + 1] as Level).ifdOffset : 0);
  });
  const pieces: Uint8Array[] = [header];
  const marks = new Uint8Array(cog ? blockCount * 8 : 0);
  const marksView = new DataView(marks.buffer);
  let m = 0;
  for (const lv of dataOrder) {
    for (const b of lv.blocks) {
      if (!cog) {
        pieces.push(b);
        continue;
      }
      marksView.setUint32(m, b.byteLength, true);
      marks.set(b.subarray(Math.max(0, b.byteLength - 4)), m + 4);
      // (a block shorter than 4 bytes has a trailer of its bytes then zeros)
      pieces.push(marks.subarray(m, m + 4), b, marks.subarray(m + 4, m + 8));
      m += 8;
    }
  }
  return pieces;
}

function validate(raster: Raster): void {
  if (raster === null || typeof raster !== 'object')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `encodeGeoTiff: raster must be an object, got ${describeValue(raster)}`,
    );
  const { width, height, dtype, bands } = raster;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > 0xffffffff ||
    height > 0xffffffff
  ) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `raster size ${width}x${height} is invalid; width and height must be positive integers`,
    );
  }
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw new RasterIoError(
      'UNSUPPORTED_DTYPE',
      `dtype ${describeValue(dtype)} cannot be written; use one of ${Object.keys(DTYPE_BYTES).join(', ')}`,
    );
  if (!Array.isArray(bands) || bands.length === 0)
    throw new RasterIoError('INVALID_ARGUMENT', 'raster has no bands; pass at least one typed array');
  if (bands.length > 65535)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `raster has ${bands.length} bands; TIFF allows at most 65535`,
    );
  // a for loop, not forEach: forEach skips the holes of a sparse array, which then failed mid-encode
  for (let i = 0; i < bands.length; i++) {
    const b = bands[i];
    if (!ArrayBuffer.isView(b))
      throw new RasterIoError('INVALID_ARGUMENT', `band ${i} must be a typed array, got ${describeValue(b)}`);
    const actual: DType = dtypeOfArray(b);
    if (actual !== dtype)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `band ${i} is a ${b.constructor.name} but dtype is '${dtype}'; convert the band or fix dtype`,
      );
    if (b.length !== width * height)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `band ${i} has ${b.length} values; expected width*height = ${width * height}`,
      );
  }
}

export function geoTags(geo: GeoBlock): IfdEntry[] {
  const [ox, a, b, oy, d, e] = geo.transform;
  const out: IfdEntry[] = [];
  // as GDAL writes it: scale + tiepoint only for north-up; a positive Y scale would be written negative, which
  // readers take for north-up (GDAL warns and flips it), so south-up goes in a ModelTransformation
  if (b === 0 && d === 0 && e < 0) {
    out.push(
      { tag: 33550, type: FIELD.DOUBLE, values: [a, -e, 0] },
      { tag: 33922, type: FIELD.DOUBLE, values: [0, 0, 0, ox, oy, 0] },
    );
  } else {
    out.push({ tag: 34264, type: FIELD.DOUBLE, values: [a, b, 0, ox, d, e, 0, oy, 0, 0, 0, 0, 0, 0, 0, 1] });
  }
  const keys = crsGeoKeys(geo);
  if (keys) {
    const { directory, doubles, ascii } = encodeGeoKeys(keys);
    out.push({ tag: 34735, type: FIELD.SHORT, values: directory });
    if (doubles.length > 0) out.push({ tag: 34736, type: FIELD.DOUBLE, values: doubles });
    if (ascii.length > 0) out.push({ tag: 34737, type: FIELD.ASCII, values: ascii });
  }
  return out;
}

/** Largest code GeoTIFF can store as an EPSG CRS (32767 means user-defined). */
const MAX_EPSG_GEOKEY = 32766;

/**
 * The GeoKeys for a geo block: the file's own keys while they still describe `epsg` (user-defined CRSs
 * round-trip unchanged), GDAL's keys for World Mollweide (54009), else an EPSG code. Always PixelIsArea:
 * the transform already has GDAL's PixelIsPoint shift applied.
 * @throws RasterIoError `UNSUPPORTED_CRS` for a code GeoTIFF cannot store and no keys describing it, or a geocentric or
 *   vertical CRS; `INVALID_ARGUMENT` for keys of the wrong shape, texts that are not 7-bit ASCII without NUL, or past
 *   libgeotiff's limits (250 keys, the one added here included, 1000 GeoDoubleParams, 65 534 GeoAsciiParams
 *   characters), which GDAL would ignore whole
 */
function crsGeoKeys(geo: GeoBlock): GeoKeys | undefined {
  const own = geo.geoKeys;
  if (own && !validGeoKeys(own)) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      'geo.geoKeys must map key ids 1..65535 to SHORT numbers 0..65535, non-empty arrays of finite DOUBLEs or strings',
    );
  }
  // GeoAsciiParams is 7-bit ASCII: a NUL ends it early and a wider character would be cut to 7 bits (GDAL then
  // calls the directory corrupt and ignores it whole), so such a text is refused, never rewritten
  for (const [id, v] of Object.entries(own ?? {})) {
    const at = typeof v === 'string' ? [...v].findIndex((c) => c === '\0' || c.charCodeAt(0) > 0x7f) : -1;
    if (at >= 0)
      throw new RasterIoError(
        'INVALID_ARGUMENT',
        `geo.geoKeys: key ${id}'s text holds ${JSON.stringify([...(v as string)][at])} at character ${at}; GeoAsciiParams hold 7-bit ASCII without NUL (libgeotiff would read the directory as corrupt and the file would have no CRS); write it in ASCII`,
      );
  }
  // Keys naming a code GeoTIFF cannot hold (54009 as ProjectedCSTypeGeoKey, written by older tools) are not reused.
  const storable = (id: number): boolean => !(Number(own?.[id]) > MAX_EPSG_GEOKEY + 1);
  if (
    own &&
    storable(GEO_KEY.ProjectedCSType) &&
    storable(GEO_KEY.GeographicType) &&
    epsgFromGeoKeys(namedGeoKeys(own)) === geo.epsg
  ) {
    const keys = { ...own, [GEO_KEY.GTRasterType]: 1 };
    const past = geoKeysPastLimits(
      keys,
      own[GEO_KEY.GTRasterType] === undefined ? [GEO_KEY.GTRasterType] : [],
    );
    // refused, never cut: GDAL (and our reader) would drop the whole directory, and the file its CRS
    if (past)
      throw new RasterIoError('INVALID_ARGUMENT', `geo.geoKeys: ${past}; drop keys or shorten their values`);
    return keys;
  }
  if (geo.epsg === 0) return undefined;
  if (geo.epsg === ESRI_MOLLWEIDE) return MOLLWEIDE_GEOKEYS;
  if (geo.epsg > MAX_EPSG_GEOKEY) {
    throw new RasterIoError(
      'UNSUPPORTED_CRS',
      `geo.epsg ${geo.epsg} cannot be written as a GeoTIFF EPSG code (at most ${MAX_EPSG_GEOKEY}; ESRI:54009 Mollweide is supported); pass geo.geoKeys describing the CRS or reproject with warpRaster`,
    );
  }
  return geoKeysForEpsg(geo.epsg);
}

/** GDAL_NODATA text: shortest round-trip decimal, `nan`, `inf`, `-inf`, and `-0` as GDAL writes it. */
export function formatNoData(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (Object.is(v, -0)) return '-0'; // String(-0) is "0
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}
