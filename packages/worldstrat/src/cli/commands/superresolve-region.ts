// `worldstrat superresolve --region <w,s,e,n | region.geojson> --dates A/B --weights w|--model m.json --out mosaic.tif
// [--queue redis://…]`: region-scale super-resolution (tiles through the executor, feathered mosaic COG).
import { readFile, stat } from 'node:fs/promises';
import type { RevisitProvider } from '@worldstrat/eo-fetch/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { QueueExecutor } from '../../executors/queue-executor.node.js';
import { regionFromGeoJson } from '../../pipelines/region-plan.js';
import { regionSuperresolvePipeline } from '../../pipelines/region-superresolve.node.js';
import {
  intOption,
  listValueOption,
  parseBBox,
  parseDate,
  parseDateRange,
  readLimitsFrom,
} from '../options.js';
import type { CliRuntime } from '../runtime.js';
import { providerAccess } from './search.js';
import type { SuperresolveCommandOptions } from './superresolve.js';

/** Add the `--region` options to the superresolve command. */
export function addRegionOptions(cmd: Command): void {
  cmd
    .option(
      '--region <bbox|file>',
      'super-resolve a whole region: minLon,minLat,maxLon,maxLat or a GeoJSON file (its bounding box), tile by tile into one mosaic COG',
      listValueOption(),
    )
    .option(
      '--tile-size <px>',
      "with --region: tile side in 10 m px, a multiple of the model's chip (srnet: 50; default 200)",
      intOption('tile-size', { min: 50, max: 2000 }),
    )
    .option(
      '--tile-overlap <px>',
      "with --region: tile padding blended with the neighbours, a multiple of the model's chip, at least one chip when there is more than one tile (default 100)",
      intOption('tile-overlap', { min: 0, max: 2000 }),
    )
    .option('--queue <url>', 'with --region: run the tiles as jobs on this Redis for `worldstrat worker`s');
}

/** A `--region` value: a bbox, or a GeoJSON file (read bounded). */
async function regionOf(value: string): Promise<[number, number, number, number]> {
  if (/^\s*-?[\d.]+\s*,/.test(value)) return parseBBox(value);
  const st = await stat(value).catch(() => null);
  if (!st?.isFile())
    throw new WorldStratError(
      'DATASET_NOT_FOUND',
      `--region ${value}: not a bbox (minLon,minLat,maxLon,maxLat) nor a GeoJSON file`,
    );
  if (st.size > 16 * 1024 * 1024)
    throw new WorldStratError('INVALID_ARGUMENT', `--region ${value} is ${st.size} bytes (limit 16 MiB)`);
  return regionFromGeoJson(await readFile(value, 'utf8'), value);
}

/**
 * Run `superresolve --region`.
 *
 * @param o - parsed options.
 * @param inputs - positional revisit files (must be empty).
 * @param rt - CLI runtime.
 * @param provider - the revisit provider of the options.
 */
export async function runRegionSuperresolve(
  o: SuperresolveCommandOptions,
  inputs: readonly string[],
  rt: CliRuntime,
  provider: RevisitProvider,
): Promise<void> {
  for (const [key, flag] of [
    ['aoi', '--aoi'],
    ['bbox', '--bbox'],
  ] as const)
    if (o[key] !== undefined)
      throw new WorldStratError('INVALID_ARGUMENT', `give --region or ${flag}, not both`);
  if (inputs.length > 0)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--region searches the catalogue; leave out the revisit files (${inputs.join(' ')})`,
    );
  if (o.dates === undefined)
    throw new WorldStratError('INVALID_ARGUMENT', '--region needs --dates START/END (YYYY-MM-DD/YYYY-MM-DD)');
  if ((o.weights === undefined) === (o.model === undefined))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      o.weights === undefined ? '--region needs --weights or --model' : 'give --weights or --model, not both',
    );
  const access = providerAccess(provider);
  if (o.queue !== undefined && access.fetch)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      '--queue: credentials in the provider URL are not sent to the queue; give workers access another way (a config file or the environment)',
    );
  const region = await regionOf(String(o.region));
  const readLimits = readLimitsFrom(o);
  const executor = o.queue !== undefined ? await QueueExecutor.connect(o.queue) : undefined;
  const engine = o.engine === 'tfjs' || o.engine === 'onnx' ? o.engine : undefined;
  const r = await regionSuperresolvePipeline
    .run(
      {
        region,
        dateRange: parseDateRange(o.dates),
        provider: access.provider,
        ...(o.weights !== undefined ? { weights: o.weights } : { model: o.model }),
        out: o.out,
        ...(access.fetch ? { fetch: access.fetch } : {}),
        ...(executor ? { executor } : {}),
        ...(o.targetDate !== undefined ? { targetDate: parseDate('target-date', o.targetDate) } : {}),
        ...(o.revisits !== undefined ? { revisits: o.revisits } : {}),
        ...(o.maxCloud !== undefined ? { maxCloudCover: o.maxCloud } : {}),
        ...(o.workDir !== undefined ? { workDir: o.workDir } : {}),
        ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
        ...(o.tileSize !== undefined ? { tileSizePx: o.tileSize } : {}),
        ...(o.tileOverlap !== undefined ? { tileOverlapPx: o.tileOverlap } : {}),
        ...(engine ? { engine } : {}),
        ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
        cloudMasks: o.cloudMasks !== false,
        ...(readLimits ? { readLimits } : {}),
      },
      { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
    )
    .finally(() => executor?.close());
  rt.done(
    r,
    `${r.width}×${r.height} px (${r.pixelSizeM[0].toFixed(2)} m, EPSG:${r.epsg}) → ${r.out}; ${r.tiles.total} tile(s): ${r.tiles.computed} computed, ${r.tiles.skipped} kept from ${r.workDir} (${r.seconds.toFixed(1)} s)`,
  );
}
