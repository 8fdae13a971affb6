// Streaming COG writer: the full-resolution image arrives in row order, blocks are compressed as soon as a
// tile row is complete and parked in a temporary file, overviews are decimated from the rows as they pass,
// and close() lays out the COG (ghost header, IFDs, smallest overview first) by copying the parked blocks.
// Memory is one tile row per level (plus the few source rows an overview row reads), whatever the image size.

import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeValue } from '@worldstrat/core';
import type { Codec } from '../codecs/codec.js';
import { NODE_CODECS } from '../codecs/node-codecs.node.js';
import { applyFloatingPointPredictor, applyHorizontalPredictor } from '../codecs/predictor.js';
import { zstdBackend } from '../codecs/zstd-codec.node.js';
import { RasterIoError } from '../errors.js';
import { checkString } from '../internal/check-args.js';
import {
  bytesOf,
  DTYPE_ARRAY,
  DTYPE_BYTES,
  DTYPE_SAMPLE_FORMAT,
  dtypeOfArray,
  sampleBits,
} from '../internal/typed-array.js';
import type { DType, GeoBlock, RasterArray } from '../types.js';
import { formatNoData, geoTags, STRUCTURAL_METADATA } from './encode-geotiff.js';
import {
  type OverviewLevel,
  type OverviewResampling,
  overviewLevels,
  type RowDecimator,
  rowDecimator,
} from './overviews.js';
import { FIELD, type IfdEntry, ifdByteLength, writeIfd } from './tiff-ifd.js';
import { COMPRESSION_CODES, checkWriteSettings } from './write-options.js';

/** Options of {@link createCogWriter}. */
export interface CogWriterOptions {
  width: number;
  height: number;
  /** Number of bands (1..65535). */
  bands: number;
  dtype: DType;
  noData?: number | null;
  geo?: GeoBlock;
  /** Tile edge (default 512, GDAL's COG default). */
  tileSize?: 256 | 512;
  /**
   * Compression (default `'deflate'`, Node's deflate codec: libdeflate or `node:zlib`; `'zstd'`: libzstd or
   * `node:zlib`'s zstd, TIFF code 50000).
   */
  compression?: 'none' | 'deflate' | 'zstd';
  /** Deflate level 0..9 (default 6). */
  deflateLevel?: number;
  /** ZSTD level 1..22 (default 9, GDAL's). */
  zstdLevel?: number;
  /** As `encodeGeoTiff`'s: `true` = 2 for integers, 3 for floats, 1 when uncompressed (default false). */
  predictor?: boolean | 1 | 2 | 3;
  /** Overview decimation factors, increasing integers ≥ 2 (e.g. [2, 4, 8]). */
  overviews?: number[];
  /** Default `'average'` (nodata-aware, GDAL's pixels). */
  overviewResampling?: OverviewResampling;
  /** `'band'` (default, one band per block) or `'pixel'` (interleaved). */
  interleave?: 'band' | 'pixel';
  /**
   * Aborts pending writes; the temporary files are removed as soon as it fires and the destination is left
   * untouched. Honoured until close()'s rename is issued; calls then reject with `ABORTED` once the files are gone.
   */
  signal?: AbortSignal;
  /** Called after each block is compressed. */
  onProgress?: (p: { stage: 'encode'; done: number; total: number }) => void;
}

/** A COG being written; see {@link createCogWriter}. */
export interface CogWriter {
  /** The next full-resolution row {@link CogWriter.writeRows} expects. */
  readonly nextRow: number;
  /**
   * Append full-resolution rows `y .. y + n - 1`: one typed array of `width × n` values per band.
   * The arrays are copied; they may be reused once the promise resolves.
   */
  writeRows(y: number, bands: readonly RasterArray[]): Promise<void>;
  /** Lay out the COG and rename it onto the destination; resolves to the file size in bytes. */
  close(): Promise<number>;
  /** Drop everything written so far (temporary files removed; the destination untouched). */
  abort(): Promise<void>;
}

/** Validated settings shared by every level. */
interface Plan {
  path: string;
  width: number;
  height: number;
  spp: number;
  dtype: DType;
  noData: number | null | undefined;
  tile: number;
  bps: number;
  predictor: number;
  level: number;
  /** TIFF compression code. */
  compression: number;
  codec: Codec | undefined;
  factors: number[];
  resampling: OverviewResampling;
  pixel: boolean;
  geoEntries: IfdEntry[];
}

/** Where a compressed block sits in the temporary block file. */
interface Parked {
  at: number;
  length: number;
  tail: Uint8Array;
}

/** One resolution level and the state of its row stream. */
interface Level {
  width: number;
  height: number;
  across: number;
  down: number;
  /** Level whose rows feed this one (-1 for full resolution). */
  source: number;
  decimator: RowDecimator | undefined;
  /** Source rows kept for the next output rows: `window[k][band]` is source row `windowStart + k`. */
  window: RasterArray[][];
  windowStart: number;
  /**
   * Whether source rows are read in place from the source's tile-row buffer: true when an output row reads
   * fewer rows than a tile holds (always, for sane factors), else they are copied into `window`.
   */
  views: boolean;
  /** Output rows done. */
  rows: number;
  /** The current tile row, one `tile × width` buffer per band. */
  tileRow: RasterArray[];
  blocks: (Parked | undefined)[];
}

/**
 * Open a streaming Cloud-Optimized GeoTIFF writer: rows arrive in order through
 * {@link CogWriter.writeRows}; memory is bounded by one tile row per level, not by the image. The file
 * (pixels, overviews, tags and layout) is byte-identical to `writeGeoTiff(path, raster, { cog: true, … })`
 * for the same image and options. Temporary files sit next to `path`; the destination appears only on
 * a successful {@link CogWriter.close} (atomic rename).
 *
 * @param path - destination path
 * @param options - size, bands, dtype, noData, geo, tileSize, compression, predictor, overviews, interleave
 * @returns the writer
 * @throws RasterIoError `INVALID_ARGUMENT`, `UNSUPPORTED_DTYPE`, `UNSUPPORTED_CRS`, `WRITE_FAILED`; the writer's
 *   methods throw `ROWS_OUT_OF_ORDER` (a row other than `nextRow`, or close() before the last row),
 *   `INVALID_ARGUMENT` (wrong band count, type or length), `WRITER_CLOSED`, `ABORTED`, `WRITE_FAILED`
 * @example
 * ```ts
 * const w = await createCogWriter('mosaic.tif', { width, height, bands: 1, dtype: 'float32', noData: NaN,
 *   compression: 'deflate', predictor: true, overviews: [2, 4] });
 * for (let y = 0; y < height; y += 512) await w.writeRows(y, [rowsOf(y)]);
 * await w.close();
 * ```
 */
export async function createCogWriter(path: string, options: CogWriterOptions): Promise<CogWriter> {
  checkString('createCogWriter', 'path', path);
  if (options === null || typeof options !== 'object')
    throw new RasterIoError(
      'INVALID_ARGUMENT',
      `createCogWriter: options must be an object with width, height, bands and dtype, got ${describeValue(options)}`,
    );
  const plan = planWriter(path, options);
  const levels = planLevels(plan);
  const suffix = randomBytes(6).toString('hex');
  const tmp = `${path}.${suffix}.tmp`;
  const parkPath = `${path}.${suffix}.blocks.tmp`;
  const { signal } = options;
  if (signal?.aborted) throw aborted(path, signal);
  let park: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    park = await open(parkPath, 'w+');
  } catch (err) {
    throw writeFailed(path, err);
  }
  // The signal may have fired while the block file was opened: nothing listened yet.
  if (signal?.aborted) {
    await park.close().catch(() => {});
    await rm(parkPath, { force: true }).catch(() => {});
    throw aborted(path, signal);
  }
  return new StreamingCogWriter(plan, levels, options, tmp, parkPath, park);
}

function aborted(path: string, signal: AbortSignal | undefined): RasterIoError {
  return new RasterIoError('ABORTED', `${path}: COG write aborted`, { cause: signal?.reason });
}

function bad(message: string): never {
  throw new RasterIoError('INVALID_ARGUMENT', message);
}

function writeFailed(path: string, err: unknown): RasterIoError {
  if (err instanceof RasterIoError) return err;
  return new RasterIoError(
    'WRITE_FAILED',
    `${path}: write failed (${(err as Error).message}); check that the folder is writable and the disk has space`,
    { cause: err },
  );
}

/** Validates the options (the same rules and messages as `encodeGeoTiff`'s). */
function planWriter(path: string, o: CogWriterOptions): Plan {
  const { width, height, dtype } = o;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1))
    bad(
      `${path}: raster size ${describeValue(width)}x${describeValue(height)} is invalid; width and height must be positive integers`,
    );
  if (!(Number.isInteger(o.bands) && o.bands >= 1 && o.bands <= 65535))
    bad(`${path}: bands must be an integer in 1..65535, got ${describeValue(o.bands)}`);
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw new RasterIoError(
      'UNSUPPORTED_DTYPE',
      `${path}: dtype ${describeValue(dtype)} cannot be written; use one of ${Object.keys(DTYPE_BYTES).join(', ')}`,
    );
  // the rules encodeGeoTiff applies too
  const { tile, compression, predictor, level, factors, resampling, interleave } = checkWriteSettings(
    `${path}: `,
    { ...o, tileSize: o.tileSize ?? 512, compression: o.compression ?? 'deflate' },
  );
  if (compression === 'zstd' && zstdBackend() === null)
    bad(
      `${path}: compression 'zstd' needs libzstd (Debian/Ubuntu: libzstd1) with the optional koffi package, or Node ≥ 22.15`,
    );
  checkMemory(path, width, height, o.bands, tile, DTYPE_BYTES[dtype]);
  return {
    path,
    width,
    height,
    spp: o.bands,
    dtype,
    noData: o.noData,
    tile,
    bps: DTYPE_BYTES[dtype],
    predictor,
    level,
    compression: COMPRESSION_CODES[compression],
    codec: compression === 'none' ? undefined : NODE_CODECS[COMPRESSION_CODES[compression]],
    factors,
    resampling,
    pixel: interleave === 'pixel' && o.bands > 1,
    geoEntries: o.geo ? geoTags(o.geo) : [],
  };
}

/** Largest tile row buffered per level (bytes) and most blocks tracked: far beyond any 4 GiB classic TIFF. */
const MAX_TILE_ROW_BYTES = 2 ** 31;
const MAX_BLOCKS = 2 ** 24;

/** Refuses sizes whose tile-row buffers or block index could not be allocated (a typed error, not a RangeError). */
function checkMemory(
  path: string,
  width: number,
  height: number,
  bands: number,
  tile: number,
  bps: number,
): void {
  const rowBytes = tile * width * bands * bps;
  const blocks = Math.ceil(width / tile) * Math.ceil(height / tile) * bands;
  if (rowBytes > MAX_TILE_ROW_BYTES || blocks > MAX_BLOCKS)
    bad(
      `${path}: ${width} × ${height} px × ${bands} bands needs ${Math.ceil(rowBytes / 2 ** 20)} MiB per tile row and ${blocks} blocks (limits ${MAX_TILE_ROW_BYTES / 2 ** 20} MiB, ${MAX_BLOCKS}); write it in parts`,
    );
}

/** Full resolution and overviews; each overview reads the level the in-memory writer computes it from. */
function planLevels(plan: Plan): Level[] {
  const { width, height, tile, spp, dtype, pixel } = plan;
  const overviews = overviewLevels(width, height, plan.factors, plan.resampling, spp > 1 && !pixel);
  const all = [{ width, height, source: -1 }, ...overviews];
  return all.map(({ width: w, height: h, source }, i) => {
    const { width: sw, height: sh } = all[Math.max(0, source)] as OverviewLevel;
    const across = Math.ceil(w / tile);
    const down = Math.ceil(h / tile);
    return {
      width: w,
      height: h,
      across,
      down,
      source,
      decimator: i === 0 ? undefined : rowDecimator(sw, sh, w, h, dtype, plan.resampling, plan.noData),
      window: [],
      windowStart: 0,
      views: i > 0 && Math.ceil(sh / h) + 2 < tile,
      rows: 0,
      tileRow: Array.from({ length: spp }, () => new DTYPE_ARRAY[dtype](tile * w)),
      blocks: new Array((pixel ? 1 : spp) * across * down).fill(undefined),
    };
  });
}

/** A block ready to be parked: its slot in its level and its compressed bytes. */
interface Encoded {
  level: Level;
  index: number;
  bytes: Uint8Array;
}

class StreamingCogWriter implements CogWriter {
  nextRow = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private parkEnd = 0;
  private encoded = 0;
  private readonly totalBlocks: number;
  private queue: Promise<void> = Promise.resolve();
  private failure: RasterIoError | undefined;
  /** abort() was called: pending work stops (later calls say WRITER_CLOSED, not ABORTED). */
  private halted = false;
  /** The rename onto the destination has been issued: from then on the write stands, whatever aborts. */
  private committed = false;
  private discarding: Promise<void> | undefined;
  private scratch: RasterArray | undefined;
  /** The signal fired: fail every later call with ABORTED and remove the temporary files now. */
  private readonly onAbort = (): void => {
    if (this.committed) return;
    this.failure ??= aborted(this.plan.path, this.options.signal);
    void this.discard();
  };

  constructor(
    private readonly plan: Plan,
    private readonly levels: Level[],
    private readonly options: CogWriterOptions,
    private readonly tmp: string,
    private readonly parkPath: string,
    private readonly park: FileHandle,
  ) {
    this.totalBlocks = levels.reduce((n, lv) => n + lv.blocks.length, 0);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  writeRows(y: number, bands: readonly RasterArray[]): Promise<void> {
    try {
      this.checkOpen('writeRows');
      const n = this.checkRows(y, bands);
      const out: Encoded[] = [];
      try {
        for (let r = 0; r < n; r++) {
          const row = bands.map(
            (b) => b.subarray(r * this.plan.width, (r + 1) * this.plan.width) as RasterArray,
          );
          this.pushRow(0, row, out);
        }
      } catch (err) {
        // Half-pushed rows leave the levels inconsistent: the writer is done for.
        this.failure = writeFailed(this.plan.path, err);
        void this.discard();
        throw this.failure;
      }
      this.nextRow += n;
      return this.enqueue(() => this.parkBlocks(out));
    } catch (err) {
      return this.rejectAfterCleanup(err);
    }
  }

  close(): Promise<number> {
    try {
      this.checkOpen('close');
      if (this.nextRow !== this.plan.height)
        throw new RasterIoError(
          'ROWS_OUT_OF_ORDER',
          `${this.plan.path}: close() after ${this.nextRow} of ${this.plan.height} rows; write rows ${this.nextRow}..${this.plan.height - 1} first (or abort())`,
        );
    } catch (err) {
      return this.rejectAfterCleanup(err);
    }
    this.state = 'closing';
    return this.finish();
  }

  async abort(): Promise<void> {
    // After the rename is issued there is nothing left to drop: wait for close() to settle.
    if (this.committed) return this.queue;
    this.halted = true;
    await this.discard();
  }

  /** The layout, behind any block still being parked; a failure or an abort rejects once the files are removed. */
  private async finish(): Promise<number> {
    let size = 0;
    await this.enqueue(async () => {
      size = await this.layout();
    });
    this.state = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    return size;
  }

  /** Rejects with `err` only once a discard under way has removed the temporary files (callers may exit then). */
  private async rejectAfterCleanup(err: unknown): Promise<never> {
    await this.discarding;
    throw err;
  }

  /** Throws the failure, or ABORTED after abort(): checked between steps of the file work. */
  private throwIfStopped(): void {
    if (this.failure) throw this.failure;
    if (this.halted) throw new RasterIoError('ABORTED', `${this.plan.path}: COG write aborted by abort()`);
  }

  private checkOpen(what: string): void {
    if (this.failure) throw this.failure; // the write that failed says why, not only that the writer is closed
    if (this.state !== 'open')
      throw new RasterIoError(
        'WRITER_CLOSED',
        `${this.plan.path}: ${what}() on a COG writer that is already ${this.state === 'closing' ? 'closing' : 'closed or aborted'}`,
      );
  }

  /** Bounds-checks one writeRows call; returns its row count. */
  private checkRows(y: number, bands: readonly RasterArray[]): number {
    const { path, width, height, spp, dtype } = this.plan;
    if (y !== this.nextRow)
      throw new RasterIoError(
        'ROWS_OUT_OF_ORDER',
        `${path}: rows must arrive in order; expected row ${this.nextRow}, got ${y}`,
      );
    if (!Array.isArray(bands) || bands.length !== spp)
      bad(
        `${path}: writeRows(${y}) got ${Array.isArray(bands) ? bands.length : 'no'} bands; expected ${spp}`,
      );
    const len = (bands[0] as RasterArray | undefined)?.length ?? 0;
    // an indexed loop: forEach skips the holes of a sparse array, which then failed later as WRITE_FAILED
    for (let i = 0; i < bands.length; i++) {
      const b = bands[i] as RasterArray;
      const typed = ArrayBuffer.isView(b as unknown) && dtypeOfArray(b) === dtype;
      if (!typed) bad(`${path}: writeRows(${y}) band ${i} is not a ${dtype} typed array`);
      if (b.length !== len || len === 0 || len % width !== 0)
        bad(
          `${path}: writeRows(${y}) band ${i} has ${b.length} values; expected a positive multiple of width ${width}, equal for every band`,
        );
    }
    const n = len / width;
    if (y + n > height) bad(`${path}: writeRows(${y}) with ${n} rows passes the last row ${height - 1}`);
    return n;
  }

  /** One row of level `li` arrives: into its tile row (flushed when full) and on to the levels it feeds. */
  private pushRow(li: number, row: RasterArray[], out: Encoded[]): void {
    const lv = this.levels[li] as Level;
    const { tile } = this.plan;
    const inTile = lv.rows % tile;
    const w = lv.width;
    const stored = lv.tileRow.map((t, i) => {
      t.set(row[i] as never, inTile * w);
      return t.subarray(inTile * w, (inTile + 1) * w) as RasterArray;
    });
    lv.rows++;
    if (inTile === tile - 1 || lv.rows === lv.height) this.flushTileRow(lv, out);
    this.levels.forEach((child, ci) => {
      if (child.source === li) this.feed(ci, stored, out);
    });
  }

  /** Source row for level `ci`: emit every output row whose source rows have all arrived. */
  private feed(ci: number, row: RasterArray[], out: Encoded[]): void {
    const lv = this.levels[ci] as Level;
    const src = this.levels[lv.source] as Level;
    const dec = lv.decimator as RowDecimator;
    // `row` views the source's tile-row buffer, which the next tile row overwrites: keep copies unless the
    // rows an output row reads are always still there.
    if (!lv.views) lv.window.push(row.map((b) => b.slice() as RasterArray));
    while (lv.rows < lv.height) {
      const [start, end] = dec.rowsFor(lv.rows);
      if (end > src.rows) break;
      const next = row.map((_, b) => dec.row(this.sourceRows(lv, src, b, start, end), lv.rows));
      this.pushRow(ci, next, out);
    }
    if (lv.views) return;
    // Keep only rows the next output row may still read.
    const keepFrom = lv.rows < lv.height ? dec.rowsFor(lv.rows)[0] : src.rows;
    const drop = Math.max(0, Math.min(lv.window.length, keepFrom - lv.windowStart));
    lv.window.splice(0, drop);
    lv.windowStart += drop;
  }

  /** Source rows `start .. end - 1` of band `b`, back to back (a view of the tile row when they are contiguous). */
  private sourceRows(lv: Level, src: Level, b: number, start: number, end: number): RasterArray {
    const { tile, dtype } = this.plan;
    if (!lv.views) return concatRows(lv.window.slice(start - lv.windowStart, end - lv.windowStart), b, dtype);
    const w = src.width;
    const buf = src.tileRow[b] as RasterArray;
    const at = start % tile;
    if (at + end - start <= tile) return buf.subarray(at * w, (at + end - start) * w) as RasterArray;
    const out = new DTYPE_ARRAY[dtype](w * (end - start));
    for (let r = start; r < end; r++)
      out.set(buf.subarray((r % tile) * w, ((r % tile) + 1) * w) as never, (r - start) * w);
    return out;
  }

  /** Compress the blocks of the tile row just completed (zero-padded edges, as the in-memory writer). */
  private flushTileRow(lv: Level, out: Encoded[]): void {
    const { tile, spp, dtype, pixel } = this.plan;
    const ty = Math.ceil(lv.rows / tile) - 1;
    const rows = lv.rows - ty * tile;
    for (let tx = 0; tx < lv.across; tx++) {
      const x0 = tx * tile;
      const cols = Math.min(tile, lv.width - x0);
      if (pixel) {
        const buf = new DTYPE_ARRAY[dtype](tile * tile * spp);
        const bits = sampleBits(buf); // as encodeGeoTiff: float32 NaN payloads kept
        lv.tileRow.forEach((tileRow, b) => {
          const band = sampleBits(tileRow);
          for (let r = 0; r < rows; r++)
            for (let c = 0, s = r * lv.width + x0, d = r * tile * spp + b; c < cols; c++, s++, d += spp)
              bits[d] = band[s] as number;
        });
        out.push({ level: lv, index: ty * lv.across + tx, bytes: this.encode(buf, tile * spp, spp) });
        continue;
      }
      lv.tileRow.forEach((band, b) => {
        const buf = this.blockBuffer(cols < tile || rows < tile);
        for (let r = 0; r < rows; r++)
          (buf as Uint8Array).set(
            (band as Uint8Array).subarray(r * lv.width + x0, r * lv.width + x0 + cols),
            r * tile,
          );
        out.push({ level: lv, index: (b * lv.down + ty) * lv.across + tx, bytes: this.encode(buf, tile, 1) });
      });
    }
  }

  /**
   * A tile-sized buffer for one band block: one reused scratch when the codec copies it anyway, else a fresh
   * one (uncompressed bytes are parked as they are); zeroed where an edge tile does not cover it.
   */
  private blockBuffer(edge: boolean): RasterArray {
    const { tile, dtype, codec } = this.plan;
    if (!codec) return new DTYPE_ARRAY[dtype](tile * tile);
    this.scratch ??= new DTYPE_ARRAY[dtype](tile * tile);
    if (edge) this.scratch.fill(0);
    return this.scratch;
  }

  private encode(block: RasterArray, rowSamples: number, perBlock: number): Uint8Array {
    const { predictor, bps, codec, level } = this.plan;
    const bytes = bytesOf(block);
    if (predictor === 2) applyHorizontalPredictor(bytes, bps, rowSamples, perBlock);
    else if (predictor === 3) applyFloatingPointPredictor(bytes, bps, rowSamples, perBlock);
    const done = codec ? (codec.encode as NonNullable<Codec['encode']>)(bytes, level) : bytes;
    this.options.onProgress?.({ stage: 'encode', done: ++this.encoded, total: this.totalBlocks });
    return done;
  }

  /** Serialises temp-file work; the first failure sticks and fails every later call. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      this.throwIfStopped();
      return job();
    });
    this.queue = run.catch(() => {});
    return run.catch(async (err) => {
      this.failure ??= writeFailed(this.plan.path, err);
      await this.discard();
      throw this.failure;
    });
  }

  private async parkBlocks(blocks: Encoded[]): Promise<void> {
    for (const { level, index, bytes } of blocks) {
      this.throwIfStopped();
      const at = this.parkEnd;
      await this.park.write(bytes, 0, bytes.byteLength, at);
      this.parkEnd += bytes.byteLength;
      const tail = new Uint8Array(4);
      tail.set(bytes.subarray(Math.max(0, bytes.byteLength - 4)));
      level.blocks[index] = { at, length: bytes.byteLength, tail };
    }
  }

  /**
   * Writes the COG to the temporary path, then renames it onto the destination. An abort is honoured up to the
   * rename: it is checked between the steps and last right before the rename is issued.
   */
  private async layout(): Promise<number> {
    const head = headerLayout(this.plan, this.levels);
    const fh = await open(this.tmp, 'w');
    try {
      await fh.write(head.bytes, 0, head.bytes.byteLength, 0);
      const order = [...this.levels].reverse();
      await copyBlocks(this.park, fh, order, head.bytes.byteLength, () => this.throwIfStopped());
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.throwIfStopped();
    this.committed = true; // set in the same tick as the check: no abort can slip in between
    try {
      await rename(this.tmp, this.plan.path);
    } catch (err) {
      this.committed = false;
      throw err;
    }
    await this.removeTemporaries();
    return head.size;
  }

  /**
   * Removes this writer's temporary files (never the destination) once the file work under way has stopped (it
   * checks for the failure or abort between steps, so a file it is about to create cannot outlive the removal);
   * once, however often it is called.
   */
  private discard(): Promise<void> {
    this.state = 'closed';
    this.discarding ??= (async () => {
      await this.queue;
      await this.removeTemporaries();
      this.options.signal?.removeEventListener('abort', this.onAbort);
    })();
    return this.discarding;
  }

  private async removeTemporaries(): Promise<void> {
    await this.park.close().catch(() => {});
    await rm(this.parkPath, { force: true }).catch(() => {});
    await rm(this.tmp, { force: true }).catch(() => {});
  }
}

/** Row `b` of each window row, back to back. */
function concatRows(rows: RasterArray[][], b: number, dtype: DType): RasterArray {
  if (rows.length === 1) return (rows[0] as RasterArray[])[b] as RasterArray;
  const w = ((rows[0] as RasterArray[])[b] as RasterArray).length;
  const out = new DTYPE_ARRAY[dtype](w * rows.length);
  for (const [k, r] of rows.entries()) out.set(r[b] as never, k * w);
  return out;
}

/** Header, ghost area and every IFD with final block offsets; `size` is the whole file's. */
function headerLayout(plan: Plan, levels: Level[]): { bytes: Uint8Array; size: number } {
  const body = STRUCTURAL_METADATA + (STRUCTURAL_METADATA.length % 2 === 1 ? ' ' : '');
  const ghost = new TextEncoder().encode(
    `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`,
  );
  let pos = 8 + ghost.byteLength;
  pos += pos & 1;
  const entries = levels.map((lv, i) => ifdEntries(plan, lv, i));
  const ifdAt = entries.map((e) => {
    const at = pos;
    pos += ifdByteLength(e);
    pos += pos & 1;
    return at;
  });
  const headEnd = pos;
  const offsets = new Map<Level, number[]>();
  for (const lv of [...levels].reverse()) {
    offsets.set(
      lv,
      lv.blocks.map((b) => {
        const at = pos + 4; // after the size leader
        pos = at + (b as Parked).length + 4; // + trailer
        return at;
      }),
    );
  }
  if (pos > 0xffffffff)
    throw new RasterIoError(
      'WRITE_FAILED',
      `${plan.path}: the COG would be ${pos} bytes; classic TIFF is limited to 4 GiB (BigTIFF is not written): split the raster or compress it`,
    );
  const bytes = new Uint8Array(headEnd);
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, ifdAt[0] as number, true);
  bytes.set(ghost, 8);
  levels.forEach((lv, i) => {
    const e = (entries[i] as IfdEntry[]).map((x) =>
      x.tag === 324 ? { ...x, values: offsets.get(lv) as number[] } : x,
    );
    writeIfd(view, ifdAt[i] as number, e, i + 1 < levels.length ? (ifdAt[i + 1] as number) : 0);
  });
  return { bytes, size: pos };
}

/** The tags of one tiled level (tile offsets filled in by the caller). */
function ifdEntries(plan: Plan, lv: Level, i: number): IfdEntry[] {
  const { spp, bps, dtype, predictor, tile, pixel, noData } = plan;
  const e: IfdEntry[] = [
    { tag: 256, type: FIELD.LONG, values: [lv.width] },
    { tag: 257, type: FIELD.LONG, values: [lv.height] },
    { tag: 258, type: FIELD.SHORT, values: new Array(spp).fill(bps * 8) },
    { tag: 259, type: FIELD.SHORT, values: [plan.compression] },
    { tag: 262, type: FIELD.SHORT, values: [1] },
    { tag: 277, type: FIELD.SHORT, values: [spp] },
    { tag: 284, type: FIELD.SHORT, values: [spp > 1 && !pixel ? 2 : 1] },
    { tag: 339, type: FIELD.SHORT, values: new Array(spp).fill(DTYPE_SAMPLE_FORMAT[dtype]) },
  ];
  if (noData !== null && noData !== undefined)
    e.push({ tag: 42113, type: FIELD.ASCII, values: formatNoData(noData) });
  if (i > 0) e.push({ tag: 254, type: FIELD.LONG, values: [1] });
  if (predictor !== 1) e.push({ tag: 317, type: FIELD.SHORT, values: [predictor] });
  if (spp > 1) e.push({ tag: 338, type: FIELD.SHORT, values: new Array(spp - 1).fill(0) });
  e.push(
    { tag: 322, type: FIELD.SHORT, values: [tile] },
    { tag: 323, type: FIELD.SHORT, values: [tile] },
    { tag: 324, type: FIELD.LONG, values: new Array(lv.blocks.length).fill(0) },
    { tag: 325, type: FIELD.LONG, values: lv.blocks.map((b) => (b as Parked).length) },
  );
  if (i === 0) e.push(...plan.geoEntries);
  return e;
}

/**
 * Copies parked blocks in file order, each with its size leader and 4-byte trailer, in ~4 MiB writes;
 * `check` (throws to stop) runs before each write.
 */
async function copyBlocks(
  park: FileHandle,
  fh: FileHandle,
  order: Level[],
  start: number,
  check: () => void,
): Promise<void> {
  const CHUNK = 4 << 20;
  let buf = new Uint8Array(CHUNK);
  let used = 0;
  let pos = start;
  const flush = async (): Promise<void> => {
    check();
    await fh.write(buf, 0, used, pos);
    pos += used;
    used = 0;
  };
  for (const lv of order) {
    for (const b of lv.blocks as Parked[]) {
      const need = b.length + 8;
      if (used + need > buf.byteLength) await flush();
      if (need > buf.byteLength) buf = new Uint8Array(need);
      new DataView(buf.buffer).setUint32(used, b.length, true);
      const { bytesRead } = await park.read(buf, used + 4, b.length, b.at);
      if (bytesRead !== b.length)
        throw new Error(`temporary block file is short (${bytesRead} of ${b.length} bytes at ${b.at})`);
      buf.set(b.tail, used + 4 + b.length);
      used += need;
    }
  }
  await flush();
}
