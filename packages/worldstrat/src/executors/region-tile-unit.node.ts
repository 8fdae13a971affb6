// The `region-sr-tile` unit: one tile of a region super-resolution. The single-AOI superresolve pipeline
// searches, downloads and super-resolves the tile's lon/lat box; the result is warped onto the tile's window of
// the region's UTM output grid and written atomically, then its sha256 goes into the tile's record. A tile
// whose file still matches its record (same parameters) completes without work.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { sha256File } from '@worldstrat/eo-fetch/node';
import type { BBox, GeoTransform, RasterIoLimits } from '@worldstrat/raster-io';
import { warpRaster } from '@worldstrat/raster-io';
import { readGeoTiffFile, writeFileAtomic, writeGeoTiff } from '@worldstrat/raster-io/node';
import { WorldStratError } from '../errors.js';
import type { EngineChoice } from '../pipelines/evaluate-models.node.js';
import type { PipelineContext } from '../pipelines/pipeline.js';
import type { RevisitProvider } from '../pipelines/revisit-stages.node.js';
import { superresolvePipeline } from '../pipelines/superresolve.node.js';
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
  hrTransform: GeoTransform;
  window: HrWindow;
  dateRange: [string, string];
  targetDate?: string;
  provider: RevisitProvider;
  maxCloudCover?: number;
  revisits?: number;
  /** Absolute weights path (readable by every worker). */
  weights: string;
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
    r = JSON.parse(await readFile(rec, 'utf8')) as TileRecord;
  } catch {
    return null; // an unreadable record: redo the tile
  }
  if (r.key !== key || (await sha256File(tif)) !== r.sha256) return null;
  return { tile: r.tile, file: r.file, sha256: r.sha256, bytes: r.bytes, skipped: true };
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
  if (!isAbsolute(params.workDir) || !isAbsolute(params.weights))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `region tile ${params.tile}: workDir ${params.workDir} and weights ${params.weights} must be absolute`,
    );
  if (!/^tile_\d+_\d+$/.test(params.tile))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `region tile name ${JSON.stringify(params.tile)} is invalid`,
    );
  const key = tileKey(params);
  const earlier = await verifiedEarlier(params, key);
  if (earlier) return earlier;
  const srFile = join(params.workDir, 'tiles', `${params.tile}.lonlat.tif`);
  await superresolvePipeline.run(
    {
      aoi: { bbox: params.bbox, name: params.tile },
      dateRange: params.dateRange,
      provider: params.provider,
      workDir: join(params.workDir, 'revisits', params.tile),
      weights: params.weights,
      out: srFile,
      quicklook: false,
      concurrency: 2,
      ...(params.targetDate !== undefined ? { targetDate: params.targetDate } : {}),
      ...(params.maxCloudCover !== undefined ? { maxCloudCover: params.maxCloudCover } : {}),
      ...(params.revisits !== undefined ? { revisits: params.revisits } : {}),
      ...(params.engine ? { engine: params.engine } : {}),
      ...(params.overlap !== undefined ? { overlap: params.overlap } : {}),
      ...(params.batchSize !== undefined ? { batchSize: params.batchSize } : {}),
      ...(params.cloudMasks !== undefined ? { cloudMasks: params.cloudMasks } : {}),
      ...(params.readLimits ? { readLimits: params.readLimits } : {}),
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    },
    { signal: context.signal },
  );
  const sr = await readGeoTiffFile(srFile, { signal: context.signal });
  const t = params.hrTransform;
  const w = params.window;
  const onTile = warpRaster(
    sr,
    {
      epsg: params.epsg,
      transform: [t[0] + w.x * t[1], t[1], 0, t[3] + w.y * t[5], 0, t[5]],
      width: w.width,
      height: w.height,
    },
    { method: 'bilinear', noData: Number.NaN },
  );
  const file = regionTileFile(params.tile);
  const abs = join(params.workDir, file);
  const bytes = await writeGeoTiff(abs, onTile, { tiled: true, compression: 'deflate', predictor: true });
  await rm(srFile, { force: true }); // the lon/lat intermediate this unit wrote
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
