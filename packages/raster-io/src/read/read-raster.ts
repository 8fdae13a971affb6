import type { GeoTIFFImage } from 'geotiff';
import type { Codec } from '../codecs/codec.js';
import { getCodec } from '../codecs/codec-registry.js';
import { swapBytes, undoFloatingPointPredictor, undoHorizontalPredictor } from '../codecs/predictor.js';
import { RasterIoError } from '../errors.js';
import { throwIfAborted } from '../internal/assert.js';
import { DTYPE_ARRAY, DTYPE_BYTES, viewAs } from '../internal/typed-array.js';
import type { BBox, Raster, RasterArray, RasterWindow } from '../types.js';
import { bboxToWindow } from './bbox-to-window.js';
import { windowGeo } from './geo-from-tags.js';
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
}

/** Defaults merged by {@link readRaster}. */
export const DEFAULT_READ_RASTER = {
  level: 0,
  bboxCrs: 'native',
  mergeGapBytes: 32 * 1024,
  concurrency: 8,
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
 *   `UNSUPPORTED_CODEC` ({@link UnsupportedCodecError}), `UNSUPPORTED_PHOTOMETRIC` (YCbCr we do not convert), `NO_GEOREFERENCING` / `UNKNOWN_CRS` (bbox reads), `ABORTED`
 * @example
 * ```ts
 * const tiff = await openGeoTiff(bytes);
 * const rgb = await readRaster(tiff, { bands: [0, 1, 2], window: { x: 100, y: 100, width: 64, height: 64 } });
 * ```
 */
export async function readRaster(tiff: GeoTiff, options: ReadRasterOptions = {}): Promise<Raster> {
  const opts = { ...DEFAULT_READ_RASTER, ...options };
  const { images, codecs } = geoTiffInternals(tiff);
  const name = tiff.name;
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
  const codec = await getCodec(level.compression, name, codecs);
  checkPhotometric(level, name);
  if (![1, 2, 3].includes(level.predictor)) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${name}: unknown TIFF predictor ${level.predictor}; supported: 1, 2, 3`,
    );
  }

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
      `${name}: cannot read the ${offTag}/${cntTag} arrays (${(err as Error).message})`,
      { cause: err },
    );
  }
  for (const b of blocks) {
    if (!Number.isFinite(b.offset) || !Number.isFinite(b.byteCount)) {
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: missing ${offTag} entry ${b.index} (the offsets array is shorter than the block grid)`,
      );
    }
  }

  const out: RasterArray[] = bands.map(() => new DTYPE_ARRAY[level.dtype](win.width * win.height));
  const fill = sparseFill(level);
  if (fill !== 0) for (const a of out) a.fill(fill as never);
  const bandSlot = new Map(bands.map((b, i) => [b, i]));
  const bps = DTYPE_BYTES[level.dtype];
  const spp = level.planarConfiguration === 2 ? 1 : level.bandCount;
  let done = 0;
  const total = blocks.length;

  const place = (b: Block, data: Uint8Array): void => {
    const rowsInBlock = tiled ? bh : Math.min(bh, level.height - b.row * bh);
    const expected = bw * rowsInBlock * spp * bps;
    let bytes = data;
    if (bytes.byteLength < expected) {
      // Short blocks happen only in broken files; pad so the geometry stays right.
      const padded = new Uint8Array(expected);
      padded.set(bytes);
      bytes = padded;
    }
    if (!tiff.littleEndian && bps > 1 && level.predictor !== 3) swapBytes(bytes, bps);
    if (level.predictor === 2) undoHorizontalPredictor(bytes, bps, bw * spp, spp);
    else if (level.predictor === 3) undoFloatingPointPredictor(bytes, bps, bw * spp, spp);
    const src = viewAs(level.dtype, bytes);
    const bx0 = b.col * bw;
    const by0 = b.row * bh;
    const x0 = Math.max(win.x, bx0);
    const x1 = Math.min(win.x + win.width, bx0 + bw, level.width);
    const y0 = Math.max(win.y, by0);
    const y1 = Math.min(win.y + win.height, by0 + rowsInBlock);
    if (spp === 1) {
      const dst = out[bandSlot.get(b.band < 0 ? 0 : b.band) as number] as RasterArray;
      for (let y = y0; y < y1; y++) {
        const s = (y - by0) * bw + (x0 - bx0);
        (dst as Uint8Array).set(
          (src as Uint8Array).subarray(s, s + (x1 - x0)),
          (y - win.y) * win.width + (x0 - win.x),
        );
      }
    } else {
      for (const [slot, band] of bands.entries()) {
        const dst = out[slot] as RasterArray;
        for (let y = y0; y < y1; y++) {
          let s = ((y - by0) * bw + (x0 - bx0)) * spp + band;
          let d = (y - win.y) * win.width + (x0 - win.x);
          for (let x = x0; x < x1; x++, s += spp, d++) dst[d] = src[s] as number;
        }
      }
    }
  };

  const decode = async (b: Block, raw: Uint8Array): Promise<void> => {
    if (raw.byteLength < b.byteCount) {
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: truncated file; ${tiled ? 'tile' : 'strip'} ${b.index} needs bytes ${b.offset}..${b.offset + b.byteCount - 1} but the file ends at ${b.offset + raw.byteLength}`,
      );
    }
    const rowsInBlock = tiled ? bh : Math.min(bh, level.height - b.row * bh);
    const ycc = level.ycbcr;
    const expected = ycc ? ycbcrBlockBytes(ycc, bw, rowsInBlock) : bw * rowsInBlock * spp * bps;
    let data = await decodeBlock(codec, raw, expected, name);
    if (ycc) data = ycbcrToRgb(ycc, data, bw, rowsInBlock, name);
    // Never modify the caller's buffer in place (memory sources hand out views).
    if (data === raw && (level.predictor !== 1 || (!tiff.littleEndian && bps > 1))) data = raw.slice();
    place(b, data);
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

  const raster: Raster = {
    width: win.width,
    height: win.height,
    dtype: level.dtype,
    bands: out,
    noData: level.noData,
  };
  if (level.geo) raster.geo = windowGeo(level.geo, win.x, win.y);
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
function checkPhotometric(level: GeoTiffLevel, name: string): void {
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

async function decodeBlock(
  codec: Codec,
  raw: Uint8Array,
  expectedBytes: number,
  file: string,
): Promise<Uint8Array> {
  return codec.decode(raw, { expectedBytes, file });
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
