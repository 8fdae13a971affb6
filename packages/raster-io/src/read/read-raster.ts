import type { GeoTIFFImage } from 'geotiff';
import type { BlockInfo, Codec } from '../codecs/codec.js';
import { getCodec } from '../codecs/codec-registry.js';
import { swapBytes, undoFloatingPointPredictor, undoHorizontalPredictor } from '../codecs/predictor.js';
import { RasterIoError, type RasterIoErrorCode } from '../errors.js';
import { throwIfAborted } from '../internal/assert.js';
import { DTYPE_ARRAY, DTYPE_BYTES, viewAs } from '../internal/typed-array.js';
import type { BBox, Raster, RasterArray, RasterWindow } from '../types.js';
import { bboxToWindow } from './bbox-to-window.js';
import { deinterleaveRow, outputWords, wordsOf } from './deinterleave.js';
import { windowGeo } from './geo-from-tags.js';
import { checkLimit, type RasterIoLimits, resolveLimits } from './limits.js';
import { type GeoTiff, type GeoTiffLevel, geoTiffInternals } from './open-geotiff.js';
import { ycbcrBlockBytes, ycbcrToRgb } from './ycbcr.js';

/** Options for {@link readRaster}. */
export interface ReadRasterOptions {
  /** Pixel window of the level read (default: the whole level). Must lie inside it. */
  window?: RasterWindow;
  /** Alternative to `window`: a box in the raster's CRS (`bboxCrs: 'native'`) or lon/lat degrees; clipped to the raster. */
  bbox?: BBox;
  /** CRS of `bbox` (default `'native'`). */
  bboxCrs?: 'native' | 'lonlat';
  /** 0-based band indices (default: all, in order). */
  bands?: readonly number[];
  /** 0 = full resolution, 1.. = overviews (see `tiff.levels`). */
  level?: number;
  signal?: AbortSignal;
  /** Called after each block (tile or strip) is decoded. */
  onProgress?: (p: { stage: 'read'; done: number; total: number }) => void;
  /** Merge block reads separated by at most this many bytes into one source read (default 32 KiB). */
  mergeGapBytes?: number;
  /** Source reads in flight at once (default 8; matters for HTTP). */
  concurrency?: number;
  /** Overrides of the limits given to `openGeoTiff` (or the defaults) for this read. */
  limits?: Partial<RasterIoLimits>;
  /**
   * A tile/strip that is cut off, fails to decode, or decodes short or long: `'error'` (default) throws
   * `CORRUPT_BLOCK` / `TRUNCATED`; `'fill'` salvages the rest, fills it with nodata (or 0) and lists it in
   * the result's `filledBlocks`.
   */
  onCorruptBlock?: 'error' | 'fill';
}

/** A block left as nodata by `onCorruptBlock: 'fill'`. */
export interface FilledBlock {
  /** IFD of the level read. */
  ifd: number;
  kind: 'tile' | 'strip';
  /** Index in the TileOffsets/StripOffsets array. */
  index: number;
  /** Why it was filled: the error's code and message. */
  code: RasterIoErrorCode;
  message: string;
}

/** What {@link readRaster} returns: a raster, plus the filled blocks when `onCorruptBlock` is `'fill'`. */
export interface ReadRasterResult extends Raster {
  filledBlocks?: FilledBlock[];
}

/** Defaults merged by {@link readRaster}. */
export const DEFAULT_READ_RASTER = {
  level: 0,
  bboxCrs: 'native',
  mergeGapBytes: 32 * 1024,
  concurrency: 8,
  onCorruptBlock: 'error',
} as const satisfies ReadRasterOptions;

interface Block {
  index: number;
  col: number;
  row: number;
  band: number; // planar 2: the band held; planar 1: -1
  offset: number;
  byteCount: number;
}

/**
 * Read pixels of a GeoTIFF: a window or bbox, a band subset, a resolution level. Only the tiles/strips that
 * intersect the window are fetched; reads that are close in the file are merged (one HTTP range each).
 *
 * @param tiff - from {@link openGeoTiff}
 * @param options - window | bbox (+bboxCrs), bands, level, signal, onProgress
 * @returns band-sequential typed arrays with `geo` shifted to the window and the file's nodata
 * @throws RasterIoError `WINDOW_OUT_OF_BOUNDS`, `BAND_OUT_OF_RANGE`, `INVALID_ARGUMENT` (level), `TRUNCATED`,
 *   `CORRUPT_BLOCK` (a block decodes short/long or fails), `TOO_LARGE` (over `limits`), `CORRUPT_TIFF`,
 *   `UNSUPPORTED_CODEC` ({@link UnsupportedCodecError}), `UNSUPPORTED_PHOTOMETRIC` (YCbCr we do not convert,
 *   colour spaces GDAL converts), `NO_GEOREFERENCING` / `UNKNOWN_CRS` (bbox reads), `ABORTED`;
 *   never another error type
 * @example
 * ```ts
 * const tiff = await openGeoTiff(bytes);
 * const rgb = await readRaster(tiff, { bands: [0, 1, 2], window: { x: 100, y: 100, width: 64, height: 64 } });
 * ```
 */
export async function readRaster(tiff: GeoTiff, options: ReadRasterOptions = {}): Promise<ReadRasterResult> {
  try {
    return await readRasterUnguarded(tiff, options);
  } catch (err) {
    if (err instanceof RasterIoError) throw err;
    // Last resort: nothing but RasterIoErrors leaves the reader.
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${tiff?.name ?? 'memory'}: unexpected failure reading pixels (${(err as Error)?.message ?? String(err)})`,
      { cause: err },
    );
  }
}

async function readRasterUnguarded(tiff: GeoTiff, options: ReadRasterOptions): Promise<ReadRasterResult> {
  const opts = { ...DEFAULT_READ_RASTER, ...options };
  const { images, codecs, limits: fileLimits } = geoTiffInternals(tiff);
  const name = tiff.name;
  const limits = resolveLimits(name, fileLimits, opts.limits);
  if (opts.onCorruptBlock !== 'error' && opts.onCorruptBlock !== 'fill') {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: onCorruptBlock must be 'error' or 'fill', got ${String(opts.onCorruptBlock)}`,
    );
  }
  throwIfAborted(opts.signal, name);
  const levelIndex = opts.level;
  const level = tiff.levels[levelIndex];
  const image = images[levelIndex];
  if (!Number.isInteger(levelIndex) || !level || !image) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: level ${levelIndex} does not exist; the file has levels 0..${tiff.levels.length - 1}`,
    );
  }
  const win = resolveWindow(tiff, level, opts);
  const bands = opts.bands ? [...opts.bands] : Array.from({ length: level.bandCount }, (_, i) => i);
  if (bands.length === 0)
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: bands is empty; pass at least one 0-based band index`,
    );
  for (const b of bands) {
    if (!Number.isInteger(b) || b < 0 || b >= level.bandCount) {
      throw new RasterIoError(
        'BAND_OUT_OF_RANGE',
        `${name}: band ${b} is out of range; the file has ${level.bandCount} band(s), 0-based indices 0..${level.bandCount - 1}`,
      );
    }
  }
  checkLimit(
    limits,
    'maxPixels',
    win.width * win.height * bands.length,
    name,
    'the samples to read (width × height × bands)',
  );
  checkPhotometric(Number(image.fileDirectory.getValue('PhotometricInterpretation') ?? 1), name, level.ifd);
  const codec = await getCodec(level.compression, name, codecs);
  checkYCbCr(level, name);
  const predictor = effectivePredictor(level, name);

  const bw = level.tileWidth ?? level.width;
  const bh = level.tileHeight ?? (level.rowsPerStrip as number);
  const across = Math.ceil(level.width / bw);
  const down = Math.ceil(level.height / bh);
  const c0 = Math.floor(win.x / bw);
  const c1 = Math.floor((win.x + win.width - 1) / bw);
  const r0 = Math.floor(win.y / bh);
  const r1 = Math.floor((win.y + win.height - 1) / bh);
  const tiled = level.tileWidth !== undefined;
  const fd = image.fileDirectory;
  const offTag = level.offsetsTag;
  const cntTag = offTag === 'TileOffsets' ? 'TileByteCounts' : 'StripByteCounts';
  const planes = level.planarConfiguration === 2 ? bands : [-1];
  const bps = DTYPE_BYTES[level.dtype];
  const spp = level.planarConfiguration === 2 ? 1 : level.bandCount;
  const kind = tiled ? 'tile' : 'strip';
  const ycc = level.ycbcr;
  // YCbCr blocks hold subsampled chroma: fewer bytes than their RGB geometry
  const rowBytes = (rows: number): number => (ycc ? ycbcrBlockBytes(ycc, bw, rows) : bw * rows * spp * bps);
  const blockBytes = rowBytes(bh);
  checkLimit(limits, 'maxBlockBytes', blockBytes, name, `the decoded size of one ${kind} (IFD ${level.ifd})`);
  const blockCount = planes.length * (r1 - r0 + 1) * (c1 - c0 + 1);
  checkLimit(limits, 'maxBlocks', blockCount, name, `the ${kind}s the window touches`);
  checkLimit(
    limits,
    'maxDecodedBytes',
    blockCount * blockBytes,
    name,
    `the decoded bytes of the ${kind}s the window touches`,
  );
  const blocks: Block[] = [];
  for (const band of planes) {
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const index = (band < 0 ? 0 : band * across * down) + row * across + col;
        blocks.push({ index, col, row, band, offset: 0, byteCount: 0 });
      }
    }
  }
  try {
    // Whole arrays (one read each, usually inside the cached header block).
    const [offsets, counts] = await Promise.all([
      loadBlockArray(fd, offTag, tiff.littleEndian),
      loadBlockArray(fd, cntTag, tiff.littleEndian),
    ]);
    for (const b of blocks) {
      b.offset = offsets[b.index] as number;
      b.byteCount = counts[b.index] as number;
    }
  } catch (err) {
    throwIfAborted(opts.signal, name);
    throw new RasterIoError(
      'TRUNCATED',
      `${name}: IFD ${level.ifd}: cannot read the ${offTag}/${cntTag} arrays (${(err as Error).message})`,
      { cause: err },
    );
  }
  const rowsOf = (b: Block): number => (tiled ? bh : Math.min(bh, level.height - b.row * bh));
  const crossesBottom = (b: Block): boolean => tiled && (b.row + 1) * bh > level.height;
  /** Bytes a block must decode to: uncompressed bottom-edge tiles only need their rows inside the image. */
  const blockSize = (b: Block): number =>
    rowBytes(level.compression === 1 && crossesBottom(b) ? level.height - b.row * bh : rowsOf(b));
  for (const b of blocks) {
    if (!Number.isFinite(b.offset) || !Number.isFinite(b.byteCount)) {
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: IFD ${level.ifd}: missing ${offTag} entry ${b.index} (the offsets array is shorter than the block grid)`,
      );
    }
    if (!Number.isSafeInteger(b.offset + b.byteCount) || b.offset < 0 || b.byteCount < 0) {
      throw new RasterIoError(
        'CORRUPT_TIFF',
        `${name}: IFD ${level.ifd}, ${kind} ${b.index} has offset ${b.offset} and byte count ${b.byteCount}`,
      );
    }
    // Uncompressed blocks are read at their geometric size whatever the byte count says, as libtiff does
    // (except tiles crossing the bottom edge: GDAL asks libtiff for their inner rows, which must be counted).
    if (level.compression === 1 && b.byteCount > 0 && !crossesBottom(b)) b.byteCount = blockSize(b);
    checkLimit(
      limits,
      'maxBlockBytes',
      b.byteCount,
      name,
      `the stored size of IFD ${level.ifd}, ${kind} ${b.index}`,
    );
  }

  // Allocated on the first decoded block: a file whose data is missing fails before the window is allocated.
  let output: RasterArray[] | undefined;
  const outputBands = (): RasterArray[] => {
    if (output) return output;
    output = bands.map(() => new DTYPE_ARRAY[level.dtype](win.width * win.height));
    const fill = sparseFill(level);
    if (fill !== 0) for (const a of output) a.fill(fill as never);
    return output;
  };
  const bandSlot = new Map(bands.map((b, i) => [b, i]));
  const filledBlocks: FilledBlock[] = [];
  let done = 0;
  const total = blocks.length;

  const place = (b: Block, bytes: Uint8Array): void => {
    const rowsInBlock = rowsOf(b);
    if (!tiff.littleEndian && bps > 1 && predictor !== 3) swapBytes(bytes, bps);
    if (predictor === 2) undoHorizontalPredictor(bytes, bps, bw * spp, spp);
    else if (predictor === 3) undoFloatingPointPredictor(bytes, bps, bw * spp, spp);
    const src = viewAs(level.dtype, bytes);
    const bx0 = b.col * bw;
    const by0 = b.row * bh;
    const x0 = Math.max(win.x, bx0);
    const x1 = Math.min(win.x + win.width, bx0 + bw, level.width);
    const y0 = Math.max(win.y, by0);
    const y1 = Math.min(win.y + win.height, by0 + rowsInBlock);
    if (spp === 1) {
      const dst = outputBands()[bandSlot.get(b.band < 0 ? 0 : b.band) as number] as RasterArray;
      for (let y = y0; y < y1; y++) {
        const s = (y - by0) * bw + (x0 - bx0);
        (dst as Uint8Array).set(
          (src as Uint8Array).subarray(s, s + (x1 - x0)),
          (y - win.y) * win.width + (x0 - win.x),
        );
      }
    } else {
      // Raw sample words, one monomorphic loop per word size (see deinterleave.ts).
      words ??= outputWords(outputBands(), bps);
      const srcWords = wordsOf(src, bps);
      const wps = bps === 8 ? 2 : 1;
      for (const [slot, band] of bands.entries()) {
        const dst = words[slot] as ReturnType<typeof wordsOf>;
        for (let y = y0; y < y1; y++) {
          const s = (((y - by0) * bw + (x0 - bx0)) * spp + band) * wps;
          const d = (y - win.y) * win.width + (x0 - win.x);
          deinterleaveRow(dst, d, srcWords, s, x1 - x0, spp, wps);
        }
      }
    }
  };
  let words: ReturnType<typeof outputWords> | undefined;

  const decode = async (b: Block, raw: Uint8Array): Promise<void> => {
    try {
      if (raw.byteLength < b.byteCount) {
        throw new RasterIoError(
          'TRUNCATED',
          `${name}: truncated file; IFD ${level.ifd}, ${kind} ${b.index} needs bytes ${b.offset}..${b.offset + b.byteCount - 1} but the file ends at ${b.offset + raw.byteLength}`,
        );
      }
      const expected = blockSize(b);
      // A last strip may hold the full RowsPerStrip rows (some writers pad it); anything else must fit exactly.
      let data = await decodeBlock(
        codec,
        raw,
        { expectedBytes: expected, maxBytes: tiled ? expected : blockBytes, file: name },
        `IFD ${level.ifd}, ${kind} ${b.index}`,
      );
      if (level.compression === 1 && data.byteLength > expected) data = data.subarray(0, expected);
      if (data.byteLength < expected || data.byteLength > (tiled ? expected : blockBytes)) {
        throw new RasterIoError(
          'CORRUPT_BLOCK',
          `${name}: IFD ${level.ifd}, ${kind} ${b.index} decodes to ${data.byteLength} bytes; its geometry needs ${expected}`,
        );
      }
      if (ycc) data = ycbcrToRgb(ycc, data.subarray(0, expected), bw, rowsOf(b), name);
      // Never modify the caller's buffer in place (memory sources hand out views).
      if (data === raw && (predictor !== 1 || (!tiff.littleEndian && bps > 1))) data = raw.slice();
      place(b, data);
    } catch (err) {
      if (!(err instanceof RasterIoError) || opts.onCorruptBlock !== 'fill') throw err;
      if (err.code !== 'CORRUPT_BLOCK' && err.code !== 'TRUNCATED') throw err;
      filledBlocks.push({ ifd: level.ifd, kind, index: b.index, code: err.code, message: err.message });
    }
    opts.onProgress?.({ stage: 'read', done: ++done, total });
  };

  // Sparse blocks (byteCount 0) keep the fill value; the rest are fetched in merged runs.
  const present = blocks.filter((b) => b.byteCount > 0).sort((a, b) => a.offset - b.offset);
  done += blocks.length - present.length;
  const runs: Block[][] = [];
  for (const b of present) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (
      run &&
      last &&
      b.offset - (last.offset + last.byteCount) <= opts.mergeGapBytes &&
      b.offset >= last.offset
    )
      run.push(b);
    else runs.push([b]);
  }
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: concurrency must be a positive integer, got ${opts.concurrency}`,
    );
  }
  let nextRun = 0;
  const worker = async (): Promise<void> => {
    while (nextRun < runs.length) {
      const run = runs[nextRun++] as Block[];
      const first = run[0] as Block;
      let end = 0;
      for (const b of run) end = Math.max(end, b.offset + b.byteCount);
      const bytes = await tiff.source.read(first.offset, end - first.offset, opts.signal);
      throwIfAborted(opts.signal, name);
      for (const b of run) {
        const start = b.offset - first.offset;
        await decode(
          b,
          bytes.subarray(Math.min(start, bytes.byteLength), Math.min(start + b.byteCount, bytes.byteLength)),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, runs.length) }, worker));

  const raster: ReadRasterResult = {
    width: win.width,
    height: win.height,
    dtype: level.dtype,
    bands: outputBands(),
    noData: level.noData,
  };
  if (level.geo) raster.geo = windowGeo(level.geo, win.x, win.y);
  if (opts.onCorruptBlock === 'fill') raster.filledBlocks = filledBlocks.sort((a, b) => a.index - b.index);
  return raster;
}

const INT_RANGE: Partial<Record<GeoTiffLevel['dtype'], [number, number]>> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** Sparse blocks hold nodata converted as GDAL converts it: rounded half away from zero, clamped, NaN → 0. */
function sparseFill(level: GeoTiffLevel): number {
  const v = level.noData;
  const range = INT_RANGE[level.dtype];
  if (v === null) return 0;
  if (!range) return v;
  if (Number.isNaN(v)) return 0;
  const r = v < 0 ? -Math.round(-v) : Math.round(v);
  return Math.min(range[1], Math.max(range[0], r));
}

/**
 * YCbCr samples (photometric 6) are converted to RGB as GDAL does when the layout is one libtiff handles;
 * returning raw Y/Cb/Cr samples as bands would be silently wrong pixels, so other layouts are refused.
 */
function checkYCbCr(level: GeoTiffLevel, name: string): void {
  if (level.photometric === 6 && (!level.ycbcr || level.predictor !== 1)) {
    throw new RasterIoError(
      'UNSUPPORTED_PHOTOMETRIC',
      `${name}: IFD ${level.ifd} stores YCbCr samples in a layout we cannot convert (supported: 8-bit, 3 samples, pixel-interleaved strips, subsampling 1/2/4, no predictor); convert it with gdal_translate -co PHOTOMETRIC=RGB`,
    );
  }
}

const TAG_IDS: Record<string, number> = {
  StripOffsets: 273,
  StripByteCounts: 279,
  TileOffsets: 324,
  TileByteCounts: 325,
};

/**
 * Load a StripOffsets/TileOffsets-style array as numbers. geotiff.js 3.0.5 reads arrays it defers (large
 * ones) as little-endian whatever the file's byte order, so big-endian values are swapped back here.
 */
async function loadBlockArray(
  fd: GeoTIFFImage['fileDirectory'],
  tag: string,
  littleEndian: boolean,
): Promise<number[]> {
  const id = TAG_IDS[tag] as number;
  const deferred = (
    fd as unknown as { deferredArrays: Map<number, { itemSize: number }> }
  ).deferredArrays.get(id);
  const values = Array.from((await fd.loadValue(id)) as ArrayLike<number | bigint>, Number);
  if (littleEndian || !deferred) return values;
  const size = deferred.itemSize;
  const view = new DataView(new ArrayBuffer(8));
  return values.map((v) => {
    if (size === 2) {
      view.setUint16(0, v, true);
      return view.getUint16(0, false);
    }
    if (size === 4) {
      view.setUint32(0, v, true);
      return view.getUint32(0, false);
    }
    view.setBigUint64(0, BigInt(v), true);
    return Number(view.getBigUint64(0, false));
  });
}

/** Run a codec; whatever it throws becomes a `CORRUPT_BLOCK` that says where the block is. */
async function decodeBlock(
  codec: Codec,
  raw: Uint8Array,
  info: BlockInfo,
  where: string,
): Promise<Uint8Array> {
  try {
    return await codec.decode(raw, info);
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(`${info.file}: `, '') : String(err);
    throw new RasterIoError('CORRUPT_BLOCK', `${info.file}: ${where}: ${detail}`, { cause: err });
  }
}

/** Colour spaces GDAL converts to RGB(A) on read: returning their raw samples would differ from GDAL. */
const CONVERTED_PHOTOMETRIC: Readonly<Record<number, string>> = {
  8: 'CIELab',
  9: 'ICCLab',
  10: 'ITULab',
  32844: 'LogL',
  32845: 'LogLuv',
};

function checkPhotometric(photometric: number, name: string, ifd: number): void {
  const space = CONVERTED_PHOTOMETRIC[photometric];
  if (space) {
    throw new RasterIoError(
      'UNSUPPORTED_PHOTOMETRIC',
      `${name}: IFD ${ifd} stores ${space} samples (PhotometricInterpretation ${photometric}); convert it with gdal_translate first`,
    );
  }
}

/**
 * The predictor libtiff applies: none for uncompressed and PackBits data (the tag is ignored there); the
 * others (LZW, deflate, registered codecs such as ZSTD) use it. Floating point prediction needs float samples.
 */
function effectivePredictor(level: GeoTiffLevel, name: string): number {
  if (level.compression === 1 || level.compression === 32773) return 1;
  const p = level.predictor;
  if (p !== 1 && p !== 2 && p !== 3) {
    throw new RasterIoError('UNSUPPORTED_CODEC', `${name}: unknown TIFF predictor ${p}; supported: 1, 2, 3`);
  }
  if (p === 3 && !level.dtype.startsWith('float')) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${name}: IFD ${level.ifd} uses the floating point predictor (3) on ${level.dtype} samples`,
    );
  }
  return p;
}

function resolveWindow(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  opts: ReadRasterOptions & { bboxCrs: 'native' | 'lonlat' },
): RasterWindow {
  const name = tiff.name;
  if (opts.window && opts.bbox)
    throw new RasterIoError('INVALID_ARGUMENT', `${name}: pass either window or bbox, not both`);
  if (opts.bbox) return bboxToWindow(level, opts.bbox, opts.bboxCrs, name);
  const w = opts.window ?? { x: 0, y: 0, width: level.width, height: level.height };
  const ok =
    [w.x, w.y, w.width, w.height].every(Number.isInteger) &&
    w.width > 0 &&
    w.height > 0 &&
    w.x >= 0 &&
    w.y >= 0 &&
    w.x + w.width <= level.width &&
    w.y + w.height <= level.height;
  if (!ok) {
    throw new RasterIoError(
      'WINDOW_OUT_OF_BOUNDS',
      `${name}: window {x:${w.x}, y:${w.y}, width:${w.width}, height:${w.height}} is not inside the ${level.width}x${level.height} raster; use integers with x+width <= ${level.width} and y+height <= ${level.height}`,
    );
  }
  return w;
}
