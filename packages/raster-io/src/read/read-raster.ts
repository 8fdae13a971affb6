import type { GeoTIFFImage } from 'geotiff';
import { isCcitt } from '../codecs/ccitt-params.js';
import type { BlockInfo, Codec } from '../codecs/codec.js';
import { getCodec } from '../codecs/codec-registry.js';
import { JPEG_COMPRESSION } from '../codecs/jpeg-params.js';
import { LERC_COMPRESSION } from '../codecs/lerc-params.js';
import { WEBP_COMPRESSION } from '../codecs/webp-params.js';
import { RasterIoError, type RasterIoErrorCode } from '../errors.js';
import { throwIfAborted } from '../internal/assert.js';
import { checkOptions } from '../internal/check-args.js';
import { DTYPE_BYTES } from '../internal/typed-array.js';
import type { ByteSource } from '../source/byte-source.js';
import type { BBox, Raster, RasterArray, RasterWindow } from '../types.js';
import { bboxToWindow } from './bbox-to-window.js';
import { windowGeo } from './geo-from-tags.js';
import { checkLimit, type RasterIoLimits, resolveLimits } from './limits.js';
import { type GeoTiff, type GeoTiffLevel, geoTiffInternals } from './open-geotiff.js';
import { checkInto, outputBands } from './output-bands.js';
import {
  type BlockFailure,
  type DecodeTask,
  PARALLEL_MAX_BANDS,
  PARALLEL_MIN_BLOCKS,
  PARALLEL_MIN_BYTES,
  type ParallelBlockDecoder,
} from './parallel-decoder.js';
import {
  type BlockGeometry,
  type BlockJob,
  blockInfo,
  blockWhere,
  checkStored,
  corruptBlockError,
  msbFirst,
  placeDecoded,
} from './place-block.js';
import { plainScratch, sharedScratch } from './scratch-pool.js';
import { openPlaneStage } from './wasm-stage.js';
import { packedRowBytes } from './widen-samples.js';
import { type YCbCrLayout, ycbcrBlockBytes, ycbcrPlanesToRgb } from './ycbcr.js';

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
  /**
   * Threads decoding the blocks (default 1: this thread). With more, compressed reads of at least
   * `PARALLEL_MIN_BLOCKS` (4) blocks and 1 MiB decoded are decoded on a pool of worker threads (Node: files
   * opened with `openGeoTiffFile`/`readGeoTiffFile`, or `openGeoTiff` given `blockDecoder`); the pixels, limits
   * and errors are those of the single-thread path. Smaller reads never start the pool.
   */
  threads?: number;
  /**
   * Typed arrays to decode into instead of new ones: one per band read, of the file's sample type
   * (`Uint16Array` for uint16, …), each exactly window width × height samples, plain or backed by a
   * `SharedArrayBuffer` (threaded reads then decode straight into them). The result's `bands` are these arrays.
   * Reading many windows of one size into the same arrays spares each read the page faults of touching new
   * memory (GDAL's readers get that from the C allocator). If the read fails their content is unspecified.
   */
  into?: readonly RasterArray[];
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
  threads: 1,
} as const satisfies ReadRasterOptions;

/** Read options with the defaults filled in. */
export type ResolvedReadOptions = ReadRasterOptions &
  Required<Pick<ReadRasterOptions, keyof typeof DEFAULT_READ_RASTER>>;

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
  const opts = { ...DEFAULT_READ_RASTER, ...checkOptions('readRaster', options) };
  const { level, image, file } = levelOf(tiff, opts.level);
  return readLevel(file, level, image, resolveWindow(tiff, level, opts), opts);
}

/**
 * Level `index` of `tiff`, its TIFF image and the file holding it (`tiff`, or its `.ovr` sidecar).
 * @throws RasterIoError `INVALID_ARGUMENT` when there is none
 */
export function levelOf(
  tiff: GeoTiff,
  index: number,
): { level: GeoTiffLevel; image: GeoTIFFImage; file: GeoTiff } {
  const { images, levelFiles } = geoTiffInternals(tiff);
  const image = images[index];
  const level = tiff.levels[index];
  if (!Number.isInteger(index) || !level || !image) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${tiff.name}: level ${index} does not exist; the file has levels 0..${tiff.levels.length - 1}`,
    );
  }
  return { level, image, file: levelFiles[index] ?? tiff };
}

/**
 * Called once a read has fetched all it needs from its tiff's source, while the last blocks still decode:
 * `readGeoTiffFile` closes the file there rather than after decoding. Taken (deleted) when called.
 * @internal
 */
export const afterLastFetch = new WeakMap<GeoTiff, () => void>();

/**
 * Read window `win` of `level` (stored in `image`): the body of {@link readRaster}, also used for a level's
 * internal mask (see read-mask.ts), whose window is its level's.
 * @internal
 */
export async function readLevel(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  image: GeoTIFFImage,
  win: RasterWindow,
  opts: ResolvedReadOptions,
): Promise<ReadRasterResult> {
  const { codecs, limits: fileLimits, decoder } = geoTiffInternals(tiff);
  const name = tiff.name;
  const limits = resolveLimits(name, fileLimits, opts.limits);
  if (opts.onCorruptBlock !== 'error' && opts.onCorruptBlock !== 'fill') {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: onCorruptBlock must be 'error' or 'fill', got ${String(opts.onCorruptBlock)}`,
    );
  }
  throwIfAborted(opts.signal, name);
  const bands = resolveBands(level, opts.bands, name);
  // Planar YCbCr is read as stored, all three planes (each RGB band needs them all), and converted afterwards.
  const planarYCbCr = level.ycbcr !== undefined && level.planarConfiguration === 2 ? level.ycbcr : undefined;
  const readBands = planarYCbCr ? [0, 1, 2] : bands;
  checkLimit(
    limits,
    'maxPixels',
    win.width * win.height * readBands.length,
    name,
    'the samples to read (width × height × bands)',
  );
  if (opts.into !== undefined) checkInto(opts.into, level.dtype, win.width * win.height, bands.length, name);
  checkPhotometric(image.fileDirectory, level, name);
  const codec = await getCodec(level.compression, name, codecs);
  checkYCbCr(level, name);
  const predictor = effectivePredictor(level, name);

  const g = blockGeometry(tiff, level, win, readBands, predictor);
  const blocks = await planBlocks(tiff, level, g, limits, opts.signal);

  const threads = opts.threads;
  checkConcurrency(name, threads, opts.concurrency);
  const parallel = useParallel(threads, decoder, codec, g, blocks, readBands.length);
  const failures: BlockFailure[] = [];
  const filledBlocks: FilledBlock[] = [];
  let done = 0;
  const progress = (n: number): void => {
    for (let i = 0; i < n; i++) opts.onProgress?.({ stage: 'read', done: ++done, total: blocks.length });
  };
  const onFailure = (f: BlockFailure): void => {
    if (opts.onCorruptBlock !== 'fill' || (f.code !== 'CORRUPT_BLOCK' && f.code !== 'TRUNCATED')) {
      throw new RasterIoError(f.code, f.message);
    }
    filledBlocks.push({ ifd: level.ifd, kind: g.kind, index: f.index, code: f.code, message: f.message });
  };

  const decode = async (b: BlockJob, raw: Uint8Array): Promise<void> => {
    try {
      checkStored(g, b, raw);
      const stored = msbFirst(g, raw);
      const info = blockInfo(g, b);
      if (stage) info.into = stage.blockArea;
      // A block decoded synchronously is placed before anything else runs, as `reuse` requires.
      const decoded = decodeBlock(codec, stored, info, blockWhere(g, b));
      placeDecoded(
        g,
        b,
        stored,
        decoded instanceof Uint8Array ? decoded : await decoded,
        outputTargets,
        stage,
      );
    } catch (err) {
      const salvage =
        err instanceof RasterIoError &&
        opts.onCorruptBlock === 'fill' &&
        (err.code === 'CORRUPT_BLOCK' || err.code === 'TRUNCATED');
      if (!salvage) throw err;
      onFailure({ index: b.index, code: err.code, message: err.message });
    }
    progress(1);
  };
  const pending: Promise<void>[] = [];
  const decodeOnWorkers = async (task: DecodeTask): Promise<void> => {
    const fs = await (decoder as ParallelBlockDecoder).decode(threads, g, outputTargets(), task, {
      onBlocks: opts.onProgress && progress,
      signal: opts.signal,
      staged: wholeWindow,
    });
    for (const f of fs) failures.push(f); // one by one: a task may carry more failures than a call's arguments
  };
  const dispatch = (run: BlockJob[], bytes: Uint8Array, pooled: boolean): void => {
    const base = (run[0] as BlockJob).offset;
    const job = decodeOnWorkers({ base, bytes, blocks: run }).then(() => {
      if (pooled) sharedScratch.give(bytes); // every task is done with it (not so after a rejection)
    });
    job.catch(() => {}); // awaited below; a rejection before then is not unhandled
    pending.push(job);
  };

  // Sparse blocks (byteCount 0) keep the fill value; the rest are fetched in merged runs.
  const present = blocks.filter((b) => b.byteCount > 0).sort((a, b) => a.offset - b.offset);
  progress(blocks.length - present.length);
  // Allocated on the first decoded block: a file whose data is missing fails before the window is allocated.
  const output = outputBands({
    dtype: level.dtype,
    length: win.width * win.height,
    count: readBands.length,
    into: planarYCbCr ? undefined : opts.into,
    shared: parallel,
    fill: sparseFill(level),
    gaps: present.length < blocks.length || opts.onCorruptBlock === 'fill',
  });
  const outputTargets = output.targets;
  // Whole blocks of every band in order split in WebAssembly (see wasm-stage.ts), here or on the workers: only
  // when every pixel of the window comes from a block, as the planes are not filled first.
  const wholeWindow = !planarYCbCr && present.length === blocks.length && opts.onCorruptBlock === 'error';
  const stage = wholeWindow && !parallel ? openPlaneStage(g, { rowOrdered: inRowOrder(present) }) : null;
  const runs = mergeRuns(
    present,
    opts.mergeGapBytes,
    tiff.source.preferredReadBytes ?? Number.POSITIVE_INFINITY,
  );
  // Runs are read concurrently but decoded here in file order (the next reads overlap the decoding), so the
  // error thrown is always the first failing block's; workers' failures are sorted into that order below.
  const inOrder = parallel ? undefined : new DecodeTurns(runs.length);
  let nextRun = 0;
  let fetched = 0;
  const onFetched = (): void => {
    if (++fetched < runs.length) return;
    const fire = afterLastFetch.get(tiff);
    afterLastFetch.delete(tiff);
    fire?.();
  };
  const worker = async (): Promise<void> => {
    while (nextRun < runs.length) {
      const i = nextRun++;
      const run = runs[i] as BlockJob[];
      const first = run[0] as BlockJob;
      let end = 0;
      for (const b of run) end = Math.max(end, b.offset + b.byteCount);
      const { bytes, pooled } = await readRun(
        tiff.source,
        first.offset,
        end - first.offset,
        parallel,
        opts.signal,
      );
      throwIfAborted(opts.signal, name);
      onFetched();
      if (parallel) {
        dispatch(run, bytes, pooled);
        continue;
      }
      await (inOrder as DecodeTurns).turn(i, async () => {
        for (const b of run) {
          const start = b.offset - first.offset;
          const stored = Math.min(start, bytes.byteLength);
          await decode(b, bytes.subarray(stored, Math.min(start + b.byteCount, bytes.byteLength)));
        }
      });
      if (pooled) plainScratch.give(bytes); // every block of the run is placed: nothing refers to it
    }
  };
  // A local file is lent to the workers, which read their own blocks: nothing is read or copied here first.
  const lent = parallel && present.length > 0 ? await tiff.source.lendFile?.(opts.signal) : undefined;
  try {
    if (lent) {
      const file = { fd: lent.fd, size: lent.size };
      const job = decodeOnWorkers({ file, blocks: present });
      job.catch(() => {}); // awaited below
      pending.push(job);
    } else await Promise.all(Array.from({ length: Math.min(opts.concurrency, runs.length) }, worker));
    if (parallel) output.prefault(); // every run is with the workers: this thread is free until they are done
    await Promise.all(pending);
    if (stage && present.length > 0) stage.copyTo(outputTargets());
  } finally {
    stage?.release();
    // the descriptor goes back only once no worker can still read it
    if (lent) await Promise.allSettled(pending).then(() => lent.release());
  }
  throwIfAborted(opts.signal, name);
  // Worker failures in file order, so the error thrown is the one the single-thread path would throw.
  const order = new Map(present.map((b, i) => [b.index, i]));
  failures.sort((a, b) => (order.get(a.index) as number) - (order.get(b.index) as number));
  for (const f of failures) onFailure(f);

  const raster: ReadRasterResult = {
    width: win.width,
    height: win.height,
    dtype: level.dtype,
    bands: planarYCbCr
      ? planarYCbCrBands(planarYCbCr, output.finish() as Uint8Array[], bands, opts.into)
      : output.finish(),
    noData: level.noData,
  };
  if (level.geo) raster.geo = windowGeo(level.geo, win.x, win.y);
  if (opts.onCorruptBlock === 'fill') raster.filledBlocks = filledBlocks.sort((a, b) => a.index - b.index);
  return raster;
}

/**
 * The requested bands of a planar YCbCr window: its Y, Cb and Cr planes (as stored) converted to R, G and B in
 * place, then picked (into the caller's `into` arrays when given; a band asked for twice gets a copy).
 */
function planarYCbCrBands(
  layout: YCbCrLayout,
  planes: Uint8Array[],
  bands: number[],
  into: readonly RasterArray[] | undefined,
): RasterArray[] {
  const [y, cb, cr] = planes as [Uint8Array, Uint8Array, Uint8Array];
  ycbcrPlanesToRgb(layout, y, cb, cr);
  const used = new Set<number>();
  return bands.map((b, i) => {
    const plane = planes[b] as Uint8Array;
    const target = into?.[i];
    if (target) {
      target.set(plane);
      return target;
    }
    if (used.has(b)) return plane.slice();
    used.add(b);
    return plane;
  });
}

/** Most decode threads one read may use. */
const MAX_THREADS = 256;

/** The requested 0-based bands (default: all, in order), checked. */
function resolveBands(level: GeoTiffLevel, requested: readonly number[] | undefined, name: string): number[] {
  const bands = requested ? [...requested] : Array.from({ length: level.bandCount }, (_, i) => i);
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
  return bands;
}

function checkConcurrency(name: string, threads: number, concurrency: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: threads must be an integer 1..${MAX_THREADS}, got ${threads}`,
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `${name}: concurrency must be a positive integer, got ${concurrency}`,
    );
  }
}

/**
 * Decode on workers only when it pays: several threads, a pool, a built-in codec and a large read.
 * Uncompressed blocks stay here: there is nothing to decode, and shipping them to a worker costs a copy.
 */
function useParallel(
  threads: number,
  decoder: ParallelBlockDecoder | undefined,
  codec: Codec,
  g: BlockGeometry,
  blocks: BlockJob[],
  bandCount: number,
): decoder is ParallelBlockDecoder {
  if (threads < 2 || !decoder || g.ycbcr || g.compression === 1 || !decoder.supports(codec)) return false;
  if (bandCount > PARALLEL_MAX_BANDS) return false;
  if (typeof SharedArrayBuffer === 'undefined' || blocks.length < PARALLEL_MIN_BLOCKS) return false;
  let bytes = 0;
  for (const b of blocks) bytes += b.expected;
  return bytes >= PARALLEL_MIN_BYTES;
}

/** Runs `turn(i, job)` jobs one at a time in index order, whatever order they arrive in. */
class DecodeTurns {
  private readonly done: Promise<void>[];
  private readonly finish: (() => void)[] = [];

  constructor(count: number) {
    this.done = Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve) => {
          this.finish[i] = resolve;
        }),
    );
  }

  private failed = false;

  async turn(i: number, job: () => Promise<void>): Promise<void> {
    if (i > 0) await this.done[i - 1];
    try {
      if (!this.failed) await job(); // after a failure the read has already rejected with it: skip the rest
    } catch (err) {
      this.failed = true;
      throw err;
    } finally {
      this.finish[i]?.();
    }
  }
}

/**
 * One run's stored bytes. When the source can read into memory of our choosing, they go into pooled scratch
 * (`pooled`: give it back once decoded), shared for workers (which then read the bytes where they are, with no
 * copy or transfer); otherwise they are what the source returns.
 */
async function readRun(
  source: ByteSource,
  offset: number,
  length: number,
  forWorkers: boolean,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Uint8Array; pooled: boolean }> {
  if (!source.readInto || (forWorkers && typeof SharedArrayBuffer === 'undefined'))
    return { bytes: await source.read(offset, length, signal), pooled: false };
  const target = (forWorkers ? sharedScratch : plainScratch).take(length).view;
  return { bytes: target.subarray(0, await source.readInto(offset, target, signal)), pooled: true };
}

/** Whether blocks sorted by offset come row by row (every block of a row before any of a later row). */
function inRowOrder(present: readonly BlockJob[]): boolean {
  return present.every((b, i) => i === 0 || b.row >= (present[i - 1] as BlockJob).row);
}

/**
 * Blocks (sorted by offset) whose stored bytes are at most `gap` apart are fetched in one read, of at most
 * `maxBytes` unless one block alone is larger. The first run is capped at a quarter of that: decoding waits for
 * it, and the later runs are read while it decodes.
 */
function mergeRuns(present: BlockJob[], gap: number, maxBytes: number): BlockJob[][] {
  const runs: BlockJob[][] = [];
  for (const b of present) {
    const run = runs[runs.length - 1];
    const first = run?.[0];
    const last = run?.[run.length - 1];
    const cap = runs.length === 1 ? maxBytes / 4 : maxBytes;
    if (
      run &&
      first &&
      last &&
      b.offset - (last.offset + last.byteCount) <= gap &&
      b.offset >= last.offset &&
      b.offset + b.byteCount - first.offset <= cap
    )
      run.push(b);
    else runs.push([b]);
  }
  return runs;
}

/** What every block of this read shares. */
function blockGeometry(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  win: RasterWindow,
  bands: number[],
  predictor: number,
): BlockGeometry {
  const tiled = level.tileWidth !== undefined;
  const bw = level.tileWidth ?? level.width;
  const bh = level.tileHeight ?? (level.rowsPerStrip as number);
  const spp = level.planarConfiguration === 2 ? 1 : level.bandCount;
  const bps = DTYPE_BYTES[level.dtype];
  const g: BlockGeometry = {
    name: tiff.name,
    ifd: level.ifd,
    kind: tiled ? 'tile' : 'strip',
    compression: level.compression,
    dtype: level.dtype,
    bps,
    spp,
    bw,
    bh,
    predictor,
    littleEndian: tiff.littleEndian,
    tiled,
    win,
    levelWidth: level.width,
    blockBytes: 0,
    bands,
  };
  // planar YCbCr (1×1) blocks are plain samples, converted once the window is read (see readLevel)
  if (level.ycbcr && level.planarConfiguration === 1) g.ycbcr = level.ycbcr;
  // libtiff's JPEG codec asks for no bit reversal (TIFF_NOBITREV): FillOrder does not apply to its data
  if (level.lsbFirst && level.compression !== JPEG_COMPRESSION) g.lsbFirst = true;
  if (level.nbits) g.nbits = level.nbits;
  if (level.halfFloat) {
    g.halfFloat = true;
    g.bps = 2; // stored; the output is float32
  }
  if (level.float24) {
    g.float24 = true;
    g.bps = 3; // stored; the output is float32
  }
  if (level.compression === JPEG_COMPRESSION) {
    g.jpeg = {
      ycbcrToRgb: level.photometric === 6,
      ...(level.jpegTables ? { tables: level.jpegTables } : {}),
      ...(level.ycbcrSubsampling ? { sampling: level.ycbcrSubsampling } : {}),
    };
  }
  if (level.lerc) {
    // libtiff's LERC codec takes whole-byte integer and 32/64-bit float samples only
    if (level.nbits || level.halfFloat || level.float24 || level.ycbcr)
      throw new RasterIoError(
        'UNSUPPORTED_CODEC',
        `${g.name}: IFD ${level.ifd} is LERC-compressed ${level.nbits ? `${level.nbits}-bit` : level.halfFloat ? 'Float16' : level.float24 ? 'Float24' : 'YCbCr'} data, which LERC cannot hold`,
      );
    g.lerc = { ...level.lerc };
  }
  if (level.compression === WEBP_COMPRESSION) {
    checkWebpLevel(level, g);
    g.webp = true;
  }
  if (level.ccitt) {
    // libtiff's fax codecs take 1-bit samples, one per block row element
    if (level.nbits !== 1 || g.spp !== 1)
      throw new RasterIoError(
        'UNSUPPORTED_CODEC',
        `${g.name}: IFD ${level.ifd} is CCITT-compressed (${level.compression}) with ${level.nbits ?? DTYPE_BYTES[level.dtype] * 8}-bit samples, ${g.spp} per pixel; CCITT holds 1-bit single-sample rows only`,
      );
    g.ccitt = { ...level.ccitt };
  }
  g.blockBytes = rowBytes(g, bh);
  return g;
}

/** libtiff's WEBP codec takes 8-bit RGB or RGBA stored pixel-interleaved only. */
function checkWebpLevel(level: GeoTiffLevel, g: BlockGeometry): void {
  const why =
    level.dtype !== 'uint8' || level.nbits
      ? `${level.nbits ?? DTYPE_BYTES[level.dtype] * 8}-bit ${level.dtype} samples`
      : level.bandCount !== 3 && level.bandCount !== 4
        ? `${level.bandCount} samples per pixel`
        : level.planarConfiguration === 2
          ? 'band-interleaved (planar) blocks'
          : level.ycbcr
            ? 'YCbCr samples'
            : undefined;
  if (why)
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${g.name}: IFD ${level.ifd} is WEBP-compressed with ${why}; WEBP holds 8-bit RGB or RGBA pixels only`,
    );
}

/** Bytes of `rows` block rows; YCbCr blocks hold subsampled chroma: fewer bytes than their RGB geometry. */
function rowBytes(g: BlockGeometry, rows: number): number {
  if (g.nbits) return packedRowBytes(g) * rows;
  return g.ycbcr ? ycbcrBlockBytes(g.ycbcr, g.bw, rows) : g.bw * rows * g.spp * g.bps;
}

/** The blocks the window touches, with their stored location, checked against the limits. */
async function planBlocks(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  g: BlockGeometry,
  limits: RasterIoLimits,
  signal: AbortSignal | undefined,
): Promise<BlockJob[]> {
  const { name, bw, bh, win, kind } = g;
  const across = Math.ceil(level.width / bw);
  const down = Math.ceil(level.height / bh);
  const c0 = Math.floor(win.x / bw);
  const c1 = Math.floor((win.x + win.width - 1) / bw);
  const r0 = Math.floor(win.y / bh);
  const r1 = Math.floor((win.y + win.height - 1) / bh);
  const planes = level.planarConfiguration === 2 ? g.bands : [-1];
  // packed and float16 samples are widened into a block of the dtype: up to 8 times their stored size
  const decodedBlockBytes =
    g.nbits || g.halfFloat || g.float24 ? g.bw * g.bh * g.spp * DTYPE_BYTES[g.dtype] : g.blockBytes;
  checkLimit(
    limits,
    'maxBlockBytes',
    decodedBlockBytes,
    name,
    `the decoded size of one ${kind} (IFD ${level.ifd})`,
  );
  const blockCount = planes.length * (r1 - r0 + 1) * (c1 - c0 + 1);
  checkLimit(limits, 'maxBlocks', blockCount, name, `the ${kind}s the window touches`);
  checkLimit(
    limits,
    'maxDecodedBytes',
    blockCount * decodedBlockBytes,
    name,
    `the decoded bytes of the ${kind}s the window touches`,
  );
  const rowsOf = (row: number): number => (g.tiled ? bh : Math.min(bh, level.height - row * bh));
  // GDAL reads an uncompressed bottom-edge tile in part (below) unless its formula asks for every row, when it
  // reads it whole at its geometric size like any other tile
  const crossesBottom = (row: number): boolean =>
    g.tiled && (row + 1) * bh > level.height && gdalBottomTileRows(row, bh, level.height) < bh;
  const blocks: BlockJob[] = [];
  for (const [slot, band] of planes.entries()) {
    for (let row = r0; row <= r1; row++) {
      // Bytes a block must decode to: bottom-edge tiles only need the rows GDAL asks libtiff for, which libtiff
      // decodes no further (YCbCr tiles, which GDAL reads through libtiff's RGBA interface, are read whole).
      const rows = rowsOf(row);
      const partial = crossesBottom(row) && (level.compression === 1 || !g.ycbcr);
      const expected = rowBytes(g, partial ? gdalBottomTileRows(row, bh, level.height) : rows);
      for (let col = c0; col <= c1; col++) {
        const index = (band < 0 ? 0 : band * across * down) + row * across + col;
        blocks.push({ index, col, row, slot: band < 0 ? -1 : slot, offset: 0, byteCount: 0, rows, expected });
      }
    }
  }
  await locateBlocks(tiff, level, g, blocks, limits, crossesBottom, signal);
  return blocks;
}

/** Fill in each block's offset and byte count from the offsets/byte-counts arrays, checked. */
async function locateBlocks(
  tiff: GeoTiff,
  level: GeoTiffLevel,
  g: BlockGeometry,
  blocks: BlockJob[],
  limits: RasterIoLimits,
  crossesBottom: (row: number) => boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { name, kind } = g;
  const offTag = level.offsetsTag;
  const cntTag = level.countsTag;
  // libtiff reads as many entries as the level has blocks, whatever count the tags declare
  const planes = level.planarConfiguration === 2 ? level.bandCount : 1;
  const total = Math.ceil(level.width / g.bw) * Math.ceil(level.height / g.bh) * planes;
  const { blockArray } = geoTiffInternals(tiff);
  const array = async (tag: string) => {
    const values = await blockArray(level.ifd, TAG_IDS[tag] as number, total, signal);
    if (!values)
      throw new RasterIoError(
        'TRUNCATED',
        `${name}: IFD ${level.ifd}: cannot read the ${tag} array: it runs past the end of the ${tiff.source.size ?? '?'}-byte file`,
      );
    return values;
  };
  const [offsets, stored] = await Promise.all([
    array(offTag),
    level.byteCountsMissing ? null : array(cntTag),
  ]);
  throwIfAborted(signal, name);
  const counts = stored ?? estimatedByteCounts(level, g, offsets, tiff.source.size);
  // libtiff counts strips from the geometry (the arrays may hold more entries than it reads)
  const oneStrip =
    !g.tiled &&
    level.planarConfiguration === 1 &&
    Math.ceil(level.height / (level.rowsPerStrip ?? level.height)) === 1;
  for (const b of blocks) {
    b.offset = offsets[b.index] as number;
    b.byteCount = counts[b.index] as number;
  }
  // libtiff's strip/tile size (a strip's rows end at the image's); the sample-type size bounds packed samples
  const capRows = g.tiled ? g.bh : Math.min(g.bh, level.height);
  const capBase = Math.max(g.blockBytes, g.bw * capRows * g.spp * DTYPE_BYTES[g.dtype]);
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
    if (level.compression === 1 && level.ycbcr) {
      // GDAL reads these through libtiff's RGBA interface, which reads the strip's byte count as stored
      checkRgbaStripBytes(level, b, oneStrip, tiff.source.size, name);
      b.byteCount = b.expected;
    }
    if (b.byteCount === 0 && b.offset > 0 && oneStrip) {
      b.byteCount = estimatedSingleStrip(level, b, tiff.source.size);
    }
    // Uncompressed blocks are read at their geometric size whatever the byte count says, as GDAL does
    // (except tiles crossing the bottom edge: GDAL asks libtiff for their inner rows, which must be counted).
    if (level.compression === 1 && b.byteCount > 0 && !crossesBottom(b.row)) b.byteCount = b.expected;
    if (level.compression !== 1) b.byteCount = libtiffByteCountCap(b.byteCount, capBase);
    checkLimit(
      limits,
      'maxBlockBytes',
      b.byteCount,
      name,
      `the stored size of IFD ${level.ifd}, ${kind} ${b.index}`,
    );
  }
}

/**
 * The stored bytes libtiff reads of a compressed block: a byte count over 1 MiB and over 10 × the block's size +
 * 4096 is cut to that (TIFFFillStrip/TIFFFillTile's "Too large strip byte count"), so a header claiming gigabytes
 * costs a few kilobytes.
 */
function libtiffByteCountCap(byteCount: number, blockBytes: number): number {
  if (byteCount <= 1024 * 1024 || blockBytes === 0) return byteCount;
  return Math.floor((byteCount - 4096) / 10) > blockBytes ? blockBytes * 10 + 4096 : byteCount;
}

/**
 * The byte counts libtiff estimates for a directory without any (one strip or tile, or one per band): uncompressed,
 * the block's size; compressed, the file size less the header, the directory and its values, split between the
 * bands of a planar image, the last block cut at the end of the file. A block starting past the end of the file
 * is `TRUNCATED`, never read as sparse.
 */
function estimatedByteCounts(
  level: GeoTiffLevel,
  g: BlockGeometry,
  offsets: number[],
  fileSize: number | undefined,
): number[] {
  const { name } = g;
  const n = offsets.length;
  if (level.compression === 1) return new Array<number>(n).fill(g.blockBytes);
  const tagBytes = level.directoryBytes ?? Number.NaN;
  if (fileSize === undefined || !Number.isFinite(tagBytes)) {
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD ${level.ifd} has no ${level.countsTag}, and ${fileSize === undefined ? "the file's size is not known" : 'its directory has an entry of unknown type'} to estimate them from`,
    );
  }
  let space = libtiffSpace(fileSize, tagBytes);
  if (level.planarConfiguration === 2) space = Math.floor(space / level.bandCount);
  const counts = new Array<number>(n).fill(space);
  const last = offsets[n - 1] as number;
  if (last >= fileSize) {
    throw new RasterIoError(
      'TRUNCATED',
      `${name}: IFD ${level.ifd} has no ${level.countsTag}, and its last ${g.kind} starts at byte ${last}, past the end of the ${fileSize}-byte file`,
    );
  }
  if (last + space > fileSize) counts[n - 1] = fileSize - last;
  return counts;
}

/**
 * An uncompressed YCbCr strip as libtiff's RGBA interface reads it (GDAL's way for YCbCr outside JPEG): the strip's
 * stored byte count, except that the only strip of an image gets libtiff's estimate when its count looks bad (0,
 * past the end of the file, or under one scanline per image row; a scanline being a row of sampling blocks over
 * the vertical subsampling, rounded down). Fewer bytes than the strip's rows of sampling blocks fail the read
 * ("Not enough data for scanline"), as do bytes past the end of the file.
 *
 * @throws RasterIoError `CORRUPT_BLOCK` for too few bytes, `TRUNCATED` for bytes past the end of the file
 */
function checkRgbaStripBytes(
  level: GeoTiffLevel,
  b: BlockJob,
  oneStrip: boolean,
  fileSize: number | undefined,
  name: string,
): void {
  const [hs, vs] = (level.ycbcr as NonNullable<GeoTiffLevel['ycbcr']>).subsampling;
  // a planar strip (1×1) holds one plane: a scanline is one sample per pixel
  const samplingRow =
    level.planarConfiguration === 2 ? level.width : Math.ceil(level.width / hs) * (hs * vs + 2);
  const estimate = Math.floor(samplingRow / vs) * level.height;
  const available = fileSize === undefined ? Number.POSITIVE_INFINITY : fileSize - b.offset;
  const looksBad = b.byteCount === 0 || b.byteCount > available || b.byteCount < estimate;
  const bytes = oneStrip && looksBad ? estimate : b.byteCount;
  const where = `${name}: IFD ${level.ifd}, strip ${b.index}`;
  if (bytes < b.expected)
    throw new RasterIoError(
      'CORRUPT_BLOCK',
      `${where} holds ${bytes} bytes of YCbCr samples${bytes === b.byteCount ? '' : ` (libtiff's estimate for its StripByteCounts of ${b.byteCount})`}; its rows need ${b.expected}`,
    );
  if (bytes > available)
    throw new RasterIoError(
      'TRUNCATED',
      `${where}: ${bytes} bytes at byte ${b.offset} run past the end of the ${fileSize}-byte file`,
    );
}

/**
 * libtiff takes a zero byte count of an image's only strip for a writer that did not know it, not for a sparse
 * strip: it reads the strip's geometric size, or, compressed, its estimate of the strip's bytes: the file size
 * less the header, the directory and its values, cut at the end of the file (so a strip stored before its
 * directory is cut short by the directory's size, as in libtiff). 0 (sparse) when the file size is not known yet
 * or the strip starts past the end of the file.
 */
function estimatedSingleStrip(level: GeoTiffLevel, b: BlockJob, fileSize: number | undefined): number {
  if (level.compression === 1) return b.expected;
  if (fileSize === undefined || b.offset >= fileSize) return 0;
  const tagBytes = level.directoryBytes ?? Number.NaN;
  if (!Number.isFinite(tagBytes)) return fileSize - b.offset;
  const space = libtiffSpace(fileSize, tagBytes);
  return b.offset + space > fileSize ? fileSize - b.offset : space;
}

/** libtiff's byte-count estimate before any split or cut: the file less its header, directory and tag values. */
function libtiffSpace(fileSize: number, tagBytes: number): number {
  return fileSize < tagBytes ? fileSize : fileSize - tagBytes;
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
  if (level.photometric === 6 && level.compression === JPEG_COMPRESSION) {
    if (level.planarConfiguration === 1 && level.bandCount === 3 && level.dtype === 'uint8') return;
    throw new RasterIoError(
      'UNSUPPORTED_PHOTOMETRIC',
      `${name}: IFD ${level.ifd} stores JPEG YCbCr as ${level.bandCount} ${level.dtype} sample(s)${level.planarConfiguration === 2 ? ' in separate planes' : ''}; supported: 3 pixel-interleaved 8-bit samples (as GDAL writes them)`,
    );
  }
  if (level.photometric === 6 && !level.ycbcr && ycbcrReadAsStored(level)) return;
  if (level.photometric === 6 && (!level.ycbcr || level.predictor !== 1)) {
    throw new RasterIoError(
      'UNSUPPORTED_PHOTOMETRIC',
      `${name}: IFD ${level.ifd} stores YCbCr samples in a layout we cannot convert (supported: 8-bit, 3 samples, strips, pixel-interleaved with subsampling 1/2/4 or planar with 1×1, no predictor); convert it with gdal_translate -co PHOTOMETRIC=RGB`,
    );
  }
}

/**
 * YCbCr samples of more than 8 bits outside JPEG: GDAL does not take libtiff's RGBA interface for them and returns
 * the samples as stored, as long as libtiff sizes their rows plainly: planar, or 3 pixel-interleaved samples
 * subsampled 1×1 (other subsamplings are sized as subsampled blocks, and other sample counts fail the directory in
 * libtiff; those stay refused).
 */
function ycbcrReadAsStored(level: GeoTiffLevel): boolean {
  if (storedBits(level) <= 8) return false;
  if (level.planarConfiguration === 2) return true;
  // libtiff sizes pixel-interleaved YCbCr strips as subsampled 3-sample blocks: any other count fails the directory
  if (level.bandCount !== 3) return false;
  const [hs, vs] = level.ycbcrSubsampling ?? [2, 2];
  return hs === 1 && vs === 1;
}

const TAG_IDS: Record<string, number> = {
  StripOffsets: 273,
  StripByteCounts: 279,
  TileOffsets: 324,
  TileByteCounts: 325,
};

/** Run a codec; whatever it throws becomes a `CORRUPT_BLOCK` that says where the block is. */
function decodeBlock(
  codec: Codec,
  raw: Uint8Array,
  info: BlockInfo,
  where: string,
): Uint8Array | Promise<Uint8Array> {
  const typed = (err: unknown) => corruptBlockError(err, info.file, where);
  try {
    const out = codec.decode(raw, info);
    if (out instanceof Uint8Array) return out;
    return Promise.resolve(out).catch((err: unknown) => {
      throw typed(err);
    });
  } catch (err) {
    throw typed(err);
  }
}

/** Colour spaces GDAL may convert to RGB(A) on read: returning their raw samples would differ from GDAL. */
const CONVERTED_PHOTOMETRIC: Readonly<Record<number, string>> = {
  5: 'CMYK',
  8: 'CIELab',
  32844: 'LogL',
  32845: 'LogLuv',
};

/** Stored bits per sample of a level (packed, half-float or whole bytes). */
function storedBits(level: GeoTiffLevel): number {
  return level.nbits ?? (level.halfFloat ? 16 : level.float24 ? 24 : DTYPE_BYTES[level.dtype] * 8);
}

/**
 * Whether GDAL 3.6 reads the level through libtiff's RGBA interface, converting its samples: GDAL tries that for
 * CIELab, LogL, LogLuv and CMYK of 8 bits or fewer (not a 1-bit single band), and takes it only when
 * `TIFFRGBAImageOK` accepts the layout: 1/2/4/8/16-bit integer samples; CMYK with InkSet 1 and 4+ samples;
 * CIELab as exactly 3 8- or 16-bit colour samples without extra samples; LogL/LogLuv SGILog-compressed. Everything
 * else (16-bit or float CIELab and CMYK, ICCLab, ITULab, CIELab with an alpha) GDAL reads as stored.
 */
function gdalConvertsToRgba(
  fd: GeoTIFFImage['fileDirectory'],
  level: GeoTiffLevel,
  photometric: number,
): boolean {
  const bits = storedBits(level);
  const spp = level.bandCount;
  if (bits > 8 || (bits === 1 && spp === 1) || ![1, 2, 4, 8].includes(bits)) return false;
  const extras = tagCount(fd.getValue('ExtraSamples'));
  switch (photometric) {
    case 5:
      return (level.inkSet ?? 1) === 1 && spp >= 4;
    case 8:
      return bits === 8 && spp === 3 && extras === 0;
    case 32844:
      return level.compression === 34676;
    case 32845:
      return (level.compression === 34676 || level.compression === 34677) && level.planarConfiguration === 1;
    default:
      return false;
  }
}

/** How many values a tag holds (geotiff.js gives one value as a number, several as an array). */
function tagCount(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? 1 : (v as ArrayLike<unknown>).length;
}

/**
 * Refuse samples GDAL converts (through libtiff's RGBA interface) instead of returning them as stored: 8-bit
 * CIELab, 8-bit (or fewer) CMYK with InkSet 1 and SGILog-compressed LogL/LogLuv, which GDAL returns as RGBA.
 */
function checkPhotometric(fd: GeoTIFFImage['fileDirectory'], level: GeoTiffLevel, name: string): void {
  const photometric = Number(fd.getValue('PhotometricInterpretation') ?? 1);
  const space = CONVERTED_PHOTOMETRIC[photometric];
  if (space && gdalConvertsToRgba(fd, level, photometric)) {
    const cmyk = photometric === 5;
    throw new RasterIoError(
      'UNSUPPORTED_PHOTOMETRIC',
      `${name}: IFD ${level.ifd} stores ${cmyk ? `${storedBits(level)}-bit CMYK` : `${storedBits(level)}-bit ${space}`} samples (PhotometricInterpretation ${photometric}), which GDAL converts${cmyk ? ' to RGBA' : ''}; convert it with gdal_translate first`,
    );
  }
}

/**
 * The predictor libtiff applies: none for uncompressed, PackBits, JPEG, LERC, WEBP and CCITT data (the tag is ignored there); the
 * others (LZW, deflate, registered codecs such as ZSTD) use it. Floating point prediction needs float samples.
 */
function effectivePredictor(level: GeoTiffLevel, name: string): number {
  if (
    level.compression === 1 ||
    level.compression === 32773 ||
    level.compression === JPEG_COMPRESSION ||
    level.compression === LERC_COMPRESSION ||
    level.compression === WEBP_COMPRESSION ||
    isCcitt(level.compression)
  )
    return 1;
  const p = level.predictor;
  if (!Number.isSafeInteger(p)) {
    // libtiff ignores such a tag and reads the data unpredicted: wrong pixels for data that was predicted
    throw new RasterIoError(
      'CORRUPT_TIFF',
      `${name}: IFD ${level.ifd}'s Predictor tag is not one integer, so how the samples were predicted is unknown`,
    );
  }
  if (level.nbits && p !== 1) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${name}: IFD ${level.ifd} uses predictor ${p} on ${level.nbits}-bit samples (libtiff refuses it too)`,
    );
  }
  if (p !== 1 && p !== 2 && p !== 3) {
    throw new RasterIoError('UNSUPPORTED_CODEC', `${name}: unknown TIFF predictor ${p}; supported: 1, 2, 3`);
  }
  if (p === 2 && level.float24) {
    // libtiff's horizontal predictor takes 8/16/32/64-bit samples only
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${name}: IFD ${level.ifd} uses predictor 2 on 24-bit float samples (libtiff refuses it too)`,
    );
  }
  if (p === 3 && !level.dtype.startsWith('float')) {
    throw new RasterIoError(
      'UNSUPPORTED_CODEC',
      `${name}: IFD ${level.ifd} uses the floating point predictor (3) on ${level.dtype} samples`,
    );
  }
  return p;
}

export function resolveWindow(
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

/**
 * The rows of an uncompressed bottom-edge tile GDAL (3.6) reads: `tileHeight − ((row + 1) · tileHeight mod
 * height)`. That is the rows inside the image, except in an image less than half a tile tall in that row, where
 * GDAL's modulo asks for more rows (a tile stored shorter than that fails in GDAL, so it does here), or for all of
 * them (modulo 0), when GDAL reads the tile whole, as any inner tile.
 */
function gdalBottomTileRows(row: number, tileHeight: number, height: number): number {
  return tileHeight - (((row + 1) * tileHeight) % height);
}
