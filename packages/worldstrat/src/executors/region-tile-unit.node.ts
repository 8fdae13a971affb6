// The `region-sr-tile` unit: one tile of a region super-resolution. The single-AOI superresolve pipeline
// searches, downloads and super-resolves the tile's lon/lat box; the result is warped onto the tile's window of
// the region's UTM output grid and written atomically, then its sha256 goes into the tile's record. A tile
// whose file still matches its record (same parameters) completes without work.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { describeValue } from '@worldstrat/core';
import { lrRevisitPaths } from '@worldstrat/eo-fetch';
import type { RevisitProvider } from '@worldstrat/eo-fetch/node';
import { downloadRevisits, searchRevisits, sha256File } from '@worldstrat/eo-fetch/node';
import type { Aoi } from '@worldstrat/geo-sampling';
import type { BBox, GeoTransform, ProjectedGrid, Raster, RasterIoLimits } from '@worldstrat/raster-io';
import { projectGrid, warpRaster } from '@worldstrat/raster-io';
import { readGeoTiffFile, writeFileAtomic, writeGeoTiff } from '@worldstrat/raster-io/node';
import { loadModelDescriptor } from '@worldstrat/srnet/node';
import { WorldStratError } from '../errors.js';
import { downloadFailureError, leadingFailure } from '../internal/download-failures.js';
import type { EngineChoice } from '../pipelines/evaluate-models.node.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import { readInputText } from '../pipelines/read-input.node.js';
import { resolveSuperresolveAoi, superresolvePipeline } from '../pipelines/superresolve.node.js';
import {
  absolutePath,
  bad,
  type DocumentSource,
  dayRange,
  finite,
  flag,
  integer,
  isoDate,
  list,
  lonLatBox,
  optional,
  provider,
  readLimits,
  record,
  text,
} from './document-checks.node.js';
import type { StageRuntime } from './stage-handlers.node.js';

/** A pixel window of the region's SR (HR) output grid. */
export interface HrWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** JSON parameters of one `region-sr-tile` unit (no credentials: workers load their own). */
export interface RegionTileParams {
  /** `tile_<row>_<col>`. */
  tile: string;
  /** Absolute work folder shared by every worker (tiles/, revisits/). */
  workDir: string;
  /** Lon/lat box the tile's revisits are searched and downloaded for. */
  bbox: BBox;
  /** The region's output grid (UTM) and this tile's window of it. */
  epsg: number;
  /** The tile's padded LR window on the region grid: origin transform and size (the SR input grid). */
  lrTransform: GeoTransform;
  lrWidth: number;
  lrHeight: number;
  /** The tile's window of the region's SR grid (what the model must write). */
  window: HrWindow;
  dateRange: [string, string];
  targetDate?: string;
  provider: RevisitProvider;
  maxCloudCover?: number;
  /** Revisits to fetch (the model's count). */
  revisits: number;
  /**
   * The model, exactly one of: srnet weights (absolute path readable by every worker) and their sha256, or a
   * STAC MLM descriptor (absolute path) with its sha256 and its ONNX file's. A changed file redoes the tiles.
   */
  weights?: string;
  weightsSha256?: string;
  model?: string;
  modelSha256?: string;
  modelOnnxSha256?: string;
  engine?: EngineChoice;
  overlap?: number;
  batchSize?: number;
  cloudMasks?: boolean;
  readLimits?: Partial<RasterIoLimits>;
}

/** What a tile unit produced. */
export interface RegionTileResult {
  tile: string;
  /** Tile GeoTIFF, relative to `workDir`. */
  file: string;
  sha256: string;
  bytes: number;
  /** True when an earlier run's verified tile was kept. */
  skipped: boolean;
}

/** Record written next to a finished tile. */
interface TileRecord extends RegionTileResult {
  key: string;
}

/** Tile GeoTIFF and record paths, relative to the work folder. */
export const regionTileFile = (tile: string): string => join('tiles', `${tile}.tif`);
const recordFile = (tile: string): string => join('tiles', `${tile}.json`);

/**
 * Check a `region-sr-tile` unit's parameters as a queue delivers them.
 *
 * @param v - the job's data.
 * @param doc - names the job.
 * @returns the same parameters, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkRegionTileParams(v: unknown, doc: DocumentSource): RegionTileParams {
  const p = record(doc, v, 'params');
  tileName(doc, p.tile, 'tile');
  absolutePath(doc, p.workDir, 'workDir');
  lonLatBox(doc, p.bbox, 'bbox');
  integer(doc, p.epsg, 'epsg', 1024, 999_999);
  const t = list(doc, p.lrTransform, 'lrTransform', 6);
  if (t.length !== 6) bad(doc, 'lrTransform', `has ${t.length} numbers, not 6`);
  for (const [i, x] of t.entries()) finite(doc, x, `lrTransform[${i}]`, -1e12, 1e12);
  integer(doc, p.lrWidth, 'lrWidth', 1, 1_000_000);
  integer(doc, p.lrHeight, 'lrHeight', 1, 1_000_000);
  const w = record(doc, p.window, 'window');
  for (const k of ['x', 'y']) integer(doc, w[k], `window.${k}`, 0, 1e9);
  for (const k of ['width', 'height']) integer(doc, w[k], `window.${k}`, 1, 1e7);
  dayRange(doc, p.dateRange, 'dateRange');
  optional(p.targetDate, (x) => isoDate(doc, x, 'targetDate', true));
  provider(doc, p.provider, 'provider');
  optional(p.maxCloudCover, (x) => finite(doc, x, 'maxCloudCover', 0, 100));
  integer(doc, p.revisits, 'revisits', 1, 1000);
  for (const k of ['weights', 'model']) optional(p[k], (x) => absolutePath(doc, x, k));
  for (const k of ['weightsSha256', 'modelSha256', 'modelOnnxSha256'])
    optional(p[k], (x) => text(doc, x, k, 64));
  optional(p.engine, (x) => {
    if (x !== 'tfjs' && x !== 'onnx') bad(doc, 'engine', `${describeValue(x)} is not tfjs or onnx`);
  });
  optional(p.overlap, (x) => integer(doc, x, 'overlap', 0, 1e6));
  optional(p.batchSize, (x) => integer(doc, x, 'batchSize', 1, 1e6));
  optional(p.cloudMasks, (x) => flag(doc, x, 'cloudMasks'));
  optional(p.readLimits, (x) => readLimits(doc, x, 'readLimits'));
  return p as unknown as RegionTileParams;
}

/**
 * Check a `region-sr-tile` unit's result as a queue returns it: the tile's own file, a sha256, a size.
 *
 * @param v - the job's return value.
 * @param doc - names the job.
 * @param params - the unit's parameters (its tile).
 * @returns the same result, typed.
 * @throws {WorldStratError} `doc.code` naming the member.
 */
export function checkRegionTileResult(
  v: unknown,
  doc: DocumentSource,
  params: Pick<RegionTileParams, 'tile'>,
): RegionTileResult {
  const r = record(doc, v, 'result');
  if (r.tile !== params.tile) bad(doc, 'tile', `${describeValue(r.tile)} is not ${params.tile}`);
  // the mosaic opens `workDir/file`: only the tile's own file may be named
  if (r.file !== regionTileFile(params.tile)) bad(doc, 'file', `is not ${regionTileFile(params.tile)}`);
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) bad(doc, 'sha256', 'is not a sha256');
  integer(doc, r.bytes, 'bytes', 1, Number.MAX_SAFE_INTEGER);
  flag(doc, r.skipped, 'skipped');
  return r as unknown as RegionTileResult;
}

function tileName(doc: DocumentSource, v: unknown, at: string): string {
  if (typeof v !== 'string' || !/^tile_\d{1,6}_\d{1,6}$/.test(v))
    bad(doc, at, `${describeValue(v)} is not tile_<row>_<col>`);
  return v;
}

/** Hash of the parameters that shape a tile's pixels (a changed one recomputes the tile). */
function tileKey(p: RegionTileParams): string {
  const { workDir: _w, readLimits: _r, ...shape } = p;
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 32);
}

/** The tile's earlier result when its record matches `key` and the file still hashes to it; else null. */
async function verifiedEarlier(p: RegionTileParams, key: string): Promise<RegionTileResult | null> {
  const rec = join(p.workDir, recordFile(p.tile));
  const tif = join(p.workDir, regionTileFile(p.tile));
  if (!existsSync(rec) || !existsSync(tif)) return null;
  let r: TileRecord;
  try {
    r = JSON.parse(await readInputText(rec, 'tile record', 1 << 20)) as TileRecord;
  } catch {
    return null; // an unreadable record (not JSON, not a regular file, too large): redo the tile
  }
  // `r?.`: a record edited to `null` is unreadable too, not a crash.
  if (r?.key !== key || typeof r.sha256 !== 'string' || (await sha256File(tif)) !== r.sha256) return null;
  return { tile: r.tile, file: r.file, sha256: r.sha256, bytes: r.bytes, skipped: true };
}

const midDate = ([a, b]: [string, string]): string =>
  new Date((Date.parse(`${a}T00:00:00Z`) + Date.parse(`${b}T23:59:59Z`)) / 2).toISOString().slice(0, 10);

/** Search + download the tile's revisits (the superresolve stages), all of them or a typed error. */
async function fetchTileRevisits(
  p: RegionTileParams,
  aoi: Aoi,
  root: string,
  context: PipelineContext,
  runtime: StageRuntime,
): Promise<number[]> {
  const where = `region tile ${p.tile} ${JSON.stringify(p.bbox.map((x) => +x.toFixed(6)))} ${p.dateRange.join('/')}`;
  const found = await searchRevisits(
    [aoi],
    {
      provider: p.provider,
      dateRange: p.dateRange,
      targetDate: p.targetDate ?? midDate(p.dateRange),
      nRevisits: p.revisits,
      levels: ['L2A'],
      ...(p.maxCloudCover !== undefined ? { maxCloudCover: p.maxCloudCover } : {}),
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    },
    { signal: context.signal },
  ).catch((err: unknown) => {
    if ((err as { code?: string })?.code === 'NO_MATCHES')
      throw new WorldStratError('REVISITS_NOT_FOUND', `${where}: no L2A scene covers the tile`, {
        cause: err,
      });
    throw err;
  });
  const matched = found.revisits.L2A ?? [];
  if (matched.length === 0)
    throw new WorldStratError('REVISITS_NOT_FOUND', `${where}: no L2A scene covers the tile`);
  const dl = await downloadRevisits(
    [aoi],
    { L2A: matched },
    {
      root,
      provider: p.provider,
      levels: ['L2A'],
      concurrency: 2,
      ...(p.readLimits ? { readLimits: p.readLimits } : {}),
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    },
    { signal: context.signal },
  );
  // a tile missing a revisit its neighbours have would show a seam: fail it (a retry resumes the downloads)
  const lead = leadingFailure(dl.failures);
  if (lead)
    throw downloadFailureError(
      dl.failures,
      `${where}: ${dl.failures.length} of ${matched.length} revisit download(s) failed (first: ${lead.code}: ${lead.message})`,
    );
  return matched.map((m) => m.n);
}

/** The tile's revisits (and cloud masks) warped onto its LR window of the region's UTM grid, as GeoTIFFs. */
async function tileRevisitsOnGrid(
  p: RegionTileParams,
  context: PipelineContext,
  runtime: StageRuntime,
): Promise<string[]> {
  const aoi = resolveSuperresolveAoi({ bbox: p.bbox, name: p.tile });
  const root = join(p.workDir, 'revisits', p.tile);
  const ns = await fetchTileRevisits(p, aoi, root, context, runtime);
  const grid = { epsg: p.epsg, transform: p.lrTransform, width: p.lrWidth, height: p.lrHeight };
  // every revisit (and mask) of the tile shares one projection of the grid per source CRS
  const projections = new Map<number, ProjectedGrid>();
  const warp = (r: Raster, method: 'bilinear' | 'nearest'): Raster => {
    const epsg = r.geo?.epsg;
    if (epsg === undefined) return warpRaster(r, grid, { method }); // its NO_GEOREFERENCING error
    let projected = projections.get(epsg);
    if (!projected) {
      projected = projectGrid(grid, epsg);
      projections.set(epsg, projected);
    }
    return warpRaster(r, grid, { method, projected });
  };
  const out: string[] = [];
  for (const n of ns) {
    const data = join(root, lrRevisitPaths(aoi.name, n, 'L2A').data);
    const clm = data.replace(/L2A_data(\.tiff?)$/i, 'CLM$1');
    const target = join(root, 'utm', `${p.tile}-${n}-L2A_data.tiff`);
    const read = (f: string) =>
      readGeoTiffFile(f, { signal: context.signal, ...(p.readLimits ? { limits: p.readLimits } : {}) });
    // hand-over files for the SR step, read back at once: uncompressed (deflating them cost ≈ 50 ms of CPU a tile)
    await writeGeoTiff(target, warp(await read(data), 'bilinear'), { compression: 'none' });
    if (existsSync(clm))
      await writeGeoTiff(target.replace(/L2A_data\.tiff$/, 'CLM.tiff'), warp(await read(clm), 'nearest'), {
        compression: 'none',
      });
    out.push(target);
  }
  return out;
}

/** Checks the unit names one model by absolute path and that every file hashes to what the run planned. */
async function verifyTileModel(p: RegionTileParams): Promise<void> {
  const where = `region tile ${p.tile}`;
  const check = async (file: string, want: string | undefined, what: string): Promise<void> => {
    const actual = await sha256File(file).catch(() => 'missing');
    if (actual !== want)
      throw new WorldStratError(
        'CHECKSUM_MISMATCH',
        `${where}: ${what} ${file} here hashes to ${actual}, the run planned ${want}; give every worker the same file`,
      );
  };
  if ((p.weights === undefined) === (p.model === undefined))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${where}: the unit must name weights or a model descriptor, not both`,
    );
  const file = (p.weights ?? p.model) as string;
  if (!isAbsolute(file))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${where}: the model file ${file} must be an absolute path`,
    );
  if (p.weights !== undefined) return check(p.weights, p.weightsSha256, 'weights');
  await check(file, p.modelSha256, 'model descriptor');
  const { modelPath } = await loadModelDescriptor(file);
  await check(modelPath, p.modelOnnxSha256, 'model ONNX');
}

/**
 * Run one region tile: search + download + super-resolve its box, warp onto its output window, write, verify.
 *
 * @param params - the unit's parameters.
 * @param context - signal.
 * @param runtime - the process's fetch.
 * @returns the tile file and its sha256.
 * @throws {WorldStratError} `INVALID_ARGUMENT`, `REVISITS_NOT_FOUND`, `DOWNLOAD_FAILED`, `WRITE_FAILED`,
 *   `CHECKSUM_MISMATCH` (the file on disk differs from what was written), `ABORTED`; srnet/raster-io errors.
 */
export async function runRegionTileUnit(
  params: RegionTileParams,
  context: PipelineContext,
  runtime: StageRuntime = {},
): Promise<RegionTileResult> {
  if (!isAbsolute(params.workDir))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `region tile ${params.tile}: workDir ${params.workDir} must be absolute`,
    );
  if (!/^tile_\d+_\d+$/.test(params.tile))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `region tile name ${JSON.stringify(params.tile)} is invalid`,
    );
  const key = tileKey(params);
  await verifyTileModel(params);
  const earlier = await verifiedEarlier(params, key);
  if (earlier) return earlier;
  const lrFiles = await tileRevisitsOnGrid(params, context, runtime);
  const file = regionTileFile(params.tile);
  const abs = join(params.workDir, file);
  const sr = await superresolvePipeline.run(
    {
      inputs: lrFiles,
      ...(params.model !== undefined ? { model: params.model } : { weights: params.weights }),
      out: abs,
      quicklook: false,
      ...(params.engine ? { engine: params.engine } : {}),
      ...(params.overlap !== undefined ? { overlap: params.overlap } : {}),
      ...(params.batchSize !== undefined ? { batchSize: params.batchSize } : {}),
      ...(params.cloudMasks !== undefined ? { cloudMasks: params.cloudMasks } : {}),
    },
    { signal: context.signal },
  );
  if (sr.width !== params.window.width || sr.height !== params.window.height)
    throw new WorldStratError(
      'SHAPE_MISMATCH',
      `region tile ${params.tile}: the model wrote ${sr.width} × ${sr.height} px, the tile's window is ${params.window.width} × ${params.window.height}`,
    );
  const bytes = sr.bytes;
  const size = (await stat(abs)).size;
  if (size !== bytes)
    throw new WorldStratError(
      'CHECKSUM_MISMATCH',
      `region tile ${abs} is ${size} bytes on disk, ${bytes} were written; the tile is retried`,
    );
  const sha256 = await sha256File(abs);
  const result: RegionTileResult = { tile: params.tile, file, sha256, bytes, skipped: false };
  await writeFileAtomic(
    join(params.workDir, recordFile(params.tile)),
    `${JSON.stringify({ ...result, key })}\n`,
  );
  return result;
}
