// `superresolve --region`: region-scale super-resolution. Plan the region's output grid (UTM zone of its
// centre) and its overlapping tiles, run each tile as a `region-sr-tile` unit through an executor (in-process or
// BullMQ workers), then blend the tiles with linear feathering weights into one mosaic COG with overviews.
// Tile work is bounded by the tile size; the mosaic is streamed block row by block row (region-mosaic).
import { isAbsolute, resolve } from 'node:path';
import { L2A_BANDS } from '@worldstrat/eo-fetch';
import type { RevisitProvider } from '@worldstrat/eo-fetch/node';
import { sha256File } from '@worldstrat/eo-fetch/node';
import type { BBox, RasterIoLimits } from '@worldstrat/raster-io';
import { createDescriptorEngine, descriptorBandIndices, loadModelDescriptor } from '@worldstrat/srnet/node';
import { WorldStratError } from '../errors.js';
import type { Executor, ExecutorUnit, UnitOutcome } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local-executor.node.js';
import type { RegionTileParams, RegionTileResult } from '../executors/region-tile-unit.node.js';
import { checkOutputPaths } from '../internal/output-paths.node.js';
import { type EngineChoice, loadWeightsEngine } from './evaluate-models.node.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { assembleMosaic, hrWindowOf } from './region-mosaic.node.js';
import {
  DEFAULT_REGION_TILE_OVERLAP_PX,
  DEFAULT_REGION_TILE_PX,
  planRegion,
  type RegionPlan,
  type RegionTile,
} from './region-plan.js';
import { MAX_AOI_SIDE_PX } from './superresolve.node.js';

/** srnet's scene chip (LR px): the SR output grid is `outputSize / chip` times finer than 10 m. */
const SRNET_CHIP_PX = 50;

/** Options of the region superresolve pipeline. */
export interface RegionSuperresolveOptions {
  /** `[minLon, minLat, maxLon, maxLat]` (a GeoJSON region: `regionFromGeoJson` gives its box). */
  region: BBox;
  /** Acquisition window `[start, end]`, `YYYY-MM-DD`. */
  dateRange: readonly [string, string];
  targetDate?: string;
  /** Catalogue. Default `{ kind: 'stac' }`. */
  provider?: RevisitProvider;
  maxCloudCover?: number;
  revisits?: number;
  /** Weights file (read by every worker: give a path they share). Exactly one of weights/model. */
  weights?: string;
  /**
   * Or a third-party ONNX model described by a STAC MLM document (read by every worker): its tile size is the
   * chip the grid aligns to, its scale the output grid's, its bands must be L2A bands.
   */
  model?: string;
  /** Mosaic COG path (float32, NaN no-data, deflate, internal overviews). */
  out: string;
  /** Tiles, records and revisits (shared by every worker). Default `<out without .tif>-region/`. */
  workDir?: string;
  /**
   * Tile core side in LR px and padding on each inner side, multiples of the model's chip: srnet's 50 px, or a
   * descriptor's tile size (defaults 200 and 100, rounded up to the chip: with srnet's 25 px chip overlap a
   * tile's pixels then equal a single run's wherever it is blended).
   */
  tileSizePx?: number;
  tileOverlapPx?: number;
  /** Largest region side in LR px (default 8192 ≈ 82 km). */
  maxSidePx?: number;
  /** Largest region area in LR px (default 4096² ≈ 1,680 km²). */
  maxPixels?: number;
  engine?: EngineChoice;
  overlap?: number;
  batchSize?: number;
  cloudMasks?: boolean;
  readLimits?: Partial<RasterIoLimits>;
  /** Fetch for the in-process executor (queue workers use their own). */
  fetch?: typeof fetch;
  /** Where tiles run. Default: a {@link LocalExecutor} in this process. */
  executor?: Executor;
  /** Tiles in flight with the local executor (default 1: each tile already uses the cores). */
  concurrency?: number;
}

/** Result of a region run. */
export interface RegionSuperresolveResult {
  out: string;
  workDir: string;
  epsg: number;
  /** Mosaic size (SR pixels) and pixel size in metres. */
  width: number;
  height: number;
  pixelSizeM: [number, number];
  lrWidth: number;
  lrHeight: number;
  tiles: { total: number; computed: number; skipped: number };
  overviews: number[];
  bytes: number;
  seconds: number;
}

/** The SR output grid of a plan: the LR grid made `factor` times finer. */
interface HrGrid {
  fx: number;
  fy: number;
  width: number;
  height: number;
  transform: [number, number, number, number, number, number];
}

function hrGridOf(plan: RegionPlan, outputSize: readonly [number, number], chipPx: number): HrGrid {
  const fy = outputSize[0] / chipPx;
  const fx = outputSize[1] / chipPx;
  const t = plan.transform;
  return {
    fx,
    fy,
    width: Math.round(plan.width * fx),
    height: Math.round(plan.height * fy),
    transform: [t[0], t[1] / fx, 0, t[3], 0, t[5] / fy],
  };
}

/** What the plan needs from the model: its chip (LR px), output chip, revisits and the files' hashes. */
interface RegionModel {
  chipPx: number;
  outputSize: [number, number];
  revisits: number;
  unit: Pick<RegionTileParams, 'weights' | 'weightsSha256' | 'model' | 'modelSha256' | 'modelOnnxSha256'>;
  /** The files the model was read from: the mosaic may not replace them. */
  files: string[];
}

/** Load the model once to read its geometry (the engine is not kept); a descriptor's bands must be L2A's. */
async function regionModel(options: RegionSuperresolveOptions): Promise<RegionModel> {
  const { weights, model } = options;
  if ((weights === undefined) === (model === undefined))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      model === undefined
        ? 'region superresolve needs weights (.safetensors / .onnx) or a model descriptor (STAC MLM JSON)'
        : `give weights (${weights}) or a model descriptor (${model}), not both`,
    );
  if (model !== undefined) return descriptorModel(model, options.engine);
  const e = await loadWeightsEngine(
    weights as string,
    options.engine ?? (weights?.endsWith('.onnx') ? 'onnx' : 'tfjs'),
  );
  try {
    return {
      chipPx: SRNET_CHIP_PX,
      outputSize: [e.config.outputSize[0], e.config.outputSize[1]],
      revisits: e.config.revisits,
      unit: { weights: resolve(weights as string), weightsSha256: await sha256File(weights as string) },
      files: [weights as string],
    };
  } finally {
    e.dispose();
  }
}

async function descriptorModel(model: string, engine?: EngineChoice): Promise<RegionModel> {
  if (engine === 'tfjs')
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      'a model descriptor runs its ONNX file on ONNX Runtime; drop engine tfjs',
    );
  const { descriptor, onnx, modelPath } = await loadModelDescriptor(model);
  // Tiles get the catalogue's L2A stack: refuse a model needing other bands before any request.
  try {
    descriptorBandIndices(descriptor, L2A_BANDS);
  } catch (err) {
    throw new WorldStratError(
      'MODEL_BANDS_UNAVAILABLE',
      `${model}: the model needs bands [${descriptor.bands.join(', ')}] but region tiles are Sentinel-2 L2A [${L2A_BANDS.join(', ')}]`,
      { cause: err },
    );
  }
  const e = await createDescriptorEngine(descriptor, onnx);
  try {
    return {
      chipPx: e.tileSize,
      outputSize: [e.config.outputSize[0], e.config.outputSize[1]],
      revisits: e.config.revisits,
      unit: {
        model: resolve(model),
        modelSha256: await sha256File(model),
        modelOnnxSha256: await sha256File(modelPath),
      },
      files: [model, modelPath],
    };
  } finally {
    e.dispose();
  }
}

/** A tile size/overlap default rounded up to whole chips. */
const chipMultiple = (px: number, chip: number): number => Math.ceil(px / chip) * chip;

function tileUnits(
  options: RegionSuperresolveOptions,
  plan: RegionPlan,
  g: HrGrid,
  workDir: string,
  model: RegionModel,
): ExecutorUnit<RegionTileParams>[] {
  const o = options;
  return plan.tiles.map((tile) => ({
    unit: tile.name,
    params: {
      tile: tile.name,
      workDir,
      bbox: tile.bbox,
      epsg: plan.epsg,
      lrTransform: [
        plan.transform[0] + tile.padded.x * plan.transform[1],
        plan.transform[1],
        0,
        plan.transform[3] + tile.padded.y * plan.transform[5],
        0,
        plan.transform[5],
      ],
      lrWidth: tile.padded.width,
      lrHeight: tile.padded.height,
      window: hrWindowOf(tile, g),
      revisits: o.revisits ?? model.revisits,
      dateRange: [o.dateRange[0], o.dateRange[1]],
      provider: o.provider ?? { kind: 'stac' },
      ...model.unit,
      ...(o.targetDate !== undefined ? { targetDate: o.targetDate } : {}),
      ...(o.maxCloudCover !== undefined ? { maxCloudCover: o.maxCloudCover } : {}),
      ...(o.engine ? { engine: o.engine } : {}),
      ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.cloudMasks !== undefined ? { cloudMasks: o.cloudMasks } : {}),
      ...(o.readLimits ? { readLimits: o.readLimits } : {}),
    },
  }));
}

/**
 * Unit indices, largest padded tile first (ties in plan order). Workers take jobs in submission order, so the
 * small border tiles come last and fill the gaps at the end of a run instead of one large tile running alone
 * while the other workers idle (longest-processing-time-first scheduling).
 */
function largestFirst(units: readonly ExecutorUnit<RegionTileParams>[]): number[] {
  const px = (i: number) => {
    const p = (units[i] as ExecutorUnit<RegionTileParams>).params;
    return p.lrWidth * p.lrHeight;
  };
  return units.map((_, i) => i).sort((a, b) => px(b) - px(a) || a - b);
}

/** Run the tiles through the executor; any failed tile fails the run with its code (the rest are kept). */
async function runTiles(
  options: RegionSuperresolveOptions,
  units: ExecutorUnit<RegionTileParams>[],
  context: PipelineContext,
): Promise<RegionTileResult[]> {
  const executor = options.executor ?? new LocalExecutor(options.fetch ? { fetch: options.fetch } : {});
  try {
    const order = largestFirst(units);
    const run = await executor.run<RegionTileParams, RegionTileResult>(
      'region-sr-tile',
      order.map((i) => units[i] as ExecutorUnit<RegionTileParams>),
      { concurrency: options.concurrency ?? 1 },
      context,
    );
    const outcomes = new Array<UnitOutcome<RegionTileResult>>(units.length);
    order.forEach((i, k) => {
      outcomes[i] = run.outcomes[k] as UnitOutcome<RegionTileResult>;
    });
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      const f = failed[0] as { unit: string; code: string; message: string };
      throw new WorldStratError(
        'TILES_FAILED',
        `${failed.length} of ${units.length} region tile(s) failed (${[...new Set(failed.map((x) => (x as { code: string }).code))].join(', ')}); first: ${f.unit}: ${f.code}: ${f.message}. Finished tiles are kept; run again to redo the failed ones`,
      );
    }
    return outcomes.map((o) => (o as { value: RegionTileResult }).value);
  } finally {
    if (!options.executor) await executor.close();
  }
}

/**
 * Region-scale super-resolution: plan (UTM grid of the region's centre, overlapping tiles), one
 * `region-sr-tile` unit per tile (search, download, SR, warp onto the tile's window, atomic write + sha256
 * record; a verified tile is not redone), then a feathered blend into a mosaic COG with overviews. Progress
 * stages: `region-sr-tile`, `assemble`, `write`.
 *
 * @throws {WorldStratError} `INVALID_ARGUMENT`, `REGION_TOO_LARGE`, `TILES_FAILED` (with the tiles' codes),
 *   `CHECKSUM_MISMATCH`, `MODEL_BANDS_UNAVAILABLE` (a descriptor needing bands L2A lacks), `QUEUE_UNAVAILABLE`
 *   (queue executor), `ABORTED`; srnet's `BAD_MODEL_DESCRIPTOR` / `ARCHITECTURE_MISMATCH` for a bad descriptor.
 * @example
 * ```ts
 * await regionSuperresolvePipeline.run({ region: [8.50, 47.35, 8.60, 47.40],
 *   dateRange: ['2022-06-01', '2022-06-30'], weights: 'highresnet.safetensors', out: 'zurich-sr.tif' });
 * ```
 */
export const regionSuperresolvePipeline = definePipeline<RegionSuperresolveOptions, RegionSuperresolveResult>(
  {
    name: 'superresolve-region',
    description: 'super-resolve a whole region tile by tile (local or queue workers) into one mosaic COG',
    async run(options, context = {}) {
      const t0 = performance.now();
      const model = await regionModel(options);
      await checkOutputPaths(
        [{ path: options.out, what: 'output' }],
        model.files.map((path) => ({ path, what: 'model file' })),
      );
      const chip = model.chipPx;
      const plan = planRegion(options.region, {
        tileSizePx: options.tileSizePx ?? chipMultiple(DEFAULT_REGION_TILE_PX, chip),
        overlapPx: options.tileOverlapPx ?? chipMultiple(DEFAULT_REGION_TILE_OVERLAP_PX, chip),
        alignPx: chip,
        ...(options.maxSidePx !== undefined ? { maxSidePx: options.maxSidePx } : {}),
        ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      });
      const side = plan.tileSizePx + 2 * plan.overlapPx + 4; // + the lon/lat margin of a tile's box
      if (side > MAX_AOI_SIDE_PX)
        throw new WorldStratError(
          'INVALID_ARGUMENT',
          `tile size ${plan.tileSizePx} + 2 × overlap ${plan.overlapPx} LR px exceeds a superresolve AOI (${MAX_AOI_SIDE_PX} px a side); use smaller tiles`,
        );
      const workDir = resolve(options.workDir ?? `${options.out.replace(/\.tiff?$/i, '')}-region`);
      if (!isAbsolute(workDir))
        throw new WorldStratError('INVALID_ARGUMENT', `workDir ${workDir} is not absolute`);
      const g = hrGridOf(plan, model.outputSize, chip);
      context.log?.(
        `region ${JSON.stringify(options.region)}: ${plan.width} × ${plan.height} LR px in EPSG:${plan.epsg} → ${g.width} × ${g.height} SR px, ${plan.tiles.length} tile(s) of ${plan.tileSizePx} px (overlap ${plan.overlapPx})`,
      );
      const tiles = await runTiles(options, tileUnits(options, plan, g, workDir, model), context);
      const { bytes, overviews } = await assembleMosaic(
        plan,
        g,
        tiles.map((t, i) => ({
          file: t.file,
          sha256: t.sha256,
          window: hrWindowOf(plan.tiles[i] as RegionTile, g),
        })),
        workDir,
        options.out,
        context,
      );
      const skipped = tiles.filter((t) => t.skipped).length;
      return {
        out: options.out,
        workDir,
        epsg: plan.epsg,
        width: g.width,
        height: g.height,
        pixelSizeM: [g.transform[1], -g.transform[5]],
        lrWidth: plan.width,
        lrHeight: plan.height,
        tiles: { total: tiles.length, computed: tiles.length - skipped, skipped },
        overviews,
        bytes,
        seconds: (performance.now() - t0) / 1000,
      };
    },
  },
);
