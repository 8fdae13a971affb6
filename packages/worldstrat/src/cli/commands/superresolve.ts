// `worldstrat superresolve <revisits…|folder> --weights w --out sr.tif`, or
// `worldstrat superresolve --aoi lon,lat | --bbox w,s,e,n --dates start/end --weights w --out sr.tif` (revisits
// searched via STAC and downloaded first): SR GeoTIFF + PNG quicklook.
import { getStacProvider } from '@worldstrat/eo-fetch';
import type { RevisitProvider } from '@worldstrat/eo-fetch/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import {
  type SuperresolveAoi,
  type SuperresolveOptions,
  type SuperresolveResult,
  superresolvePipeline,
} from '../../pipelines/superresolve.node.js';
import {
  addReadLimitOptions,
  areaOption,
  concurrencyOption,
  dateOption,
  intOption,
  listValueOption,
  numberOption,
  parseBBox,
  parseDate,
  parseDateRange,
  parseLonLat,
  pathOption,
  percentOption,
  type ReadLimitOptions,
  readLimitsFrom,
} from '../options.js';
import type { CliRunner, CliRuntime } from '../runtime.js';
import { type ProviderOptions, providerAccess, providerFromOptions } from './search.js';
import { addRegionOptions, runRegionSuperresolve } from './superresolve-region.js';

/** `--provider stac|sentinelhub`, or a STAC provider id (`earth-search`, …) as a shorthand for stac + that id. */
function revisitProviderFromOptions(o: ProviderOptions): RevisitProvider {
  const p = o.provider;
  if (p === undefined || p === 'stac' || p === 'sentinelhub') return providerFromOptions(o);
  getStacProvider(p); // UNKNOWN_PROVIDER (exit 2) with the known ids
  return { kind: 'stac', url: o.stacUrl, provider: p };
}

/**
 * Register a super-resolution command (`superresolve`, and `infer` with the same local-file options).
 *
 * @param program - the CLI program.
 * @param run - the runner.
 * @param name - command name.
 * @param description - help text.
 * @param catalogue - also offer the AOI + date range (STAC / SentinelHub) options; default for `superresolve`.
 */
export function registerSuperresolveCommand(
  program: Command,
  run: CliRunner,
  name = 'superresolve',
  description = 'super-resolve Sentinel-2 revisits → GeoTIFF + PNG: local GeoTIFFs (files or a lr_dataset/<AOI>/L2A folder), or an AOI (--aoi lon,lat | --bbox w,s,e,n) + --dates whose revisits are found via STAC and downloaded',
  catalogue = name === 'superresolve',
): void {
  const cmd = program
    .command(name)
    .description(description)
    .argument(
      catalogue ? '[inputs...]' : '<inputs...>',
      `co-registered 12-band L2A revisit GeoTIFFs, or a folder of *-L2A_data.tiff${catalogue ? ' (or use --aoi/--bbox)' : ''}`,
    )
    .option('--weights <file>', '.safetensors (PyTorch layout) or .onnx weights (or --model)')
    .option(
      '--model <descriptor.json>',
      'a third-party ONNX model described by a STAC MLM document (its mlm:model asset is the .onnx next to it)',
    )
    .requiredOption('--out <file.tif>', 'output GeoTIFF (float32, deflate); the PNG goes next to it');
  if (catalogue)
    cmd
      .option(
        '--aoi <lon,lat>',
        'search revisits for a WorldStrat AOI (2.5 km² box) around this point',
        listValueOption(),
      )
      .option('--bbox <w,s,e,n>', 'or for this lon/lat box (minLon,minLat,maxLon,maxLat)', listValueOption())
      .option('--area <km2>', 'AOI area for --aoi (default 2.5, the release’s)', areaOption())
      .option('--aoi-name <name>', 'name of the revisit folder/files (default from the coordinates)')
      .option(
        '--dates <start/end>',
        'with --aoi/--bbox: acquisition window, e.g. 2022-06-01/2022-06-30',
        listValueOption(),
      )
      .option(
        '--target-date <date>',
        'rank revisits by distance to this date (default: middle of --dates)',
        dateOption('target-date'),
      )
      .option(
        '--revisits <n>',
        'revisits to fetch (default: the model’s)',
        intOption('revisits', { min: 1, max: 100 }),
      )
      .option('--max-cloud <pct>', 'maximum scene cloud cover (%)', percentOption('max-cloud'))
      .option(
        '--provider <p>',
        'stac | sentinelhub, or a STAC provider id (earth-search, earth-search-c1, planetary-computer); default stac',
      )
      .option('--stac-url <url>', 'STAC API root (default: the provider’s)')
      .option('--stac-provider <id>', 'earth-search | earth-search-c1 | planetary-computer', 'earth-search')
      .option('--sh-url <url>', 'SentinelHub API root')
      .option('--sh-config <file>', 'SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET)')
      .option(
        '--work-dir <dir>',
        'where revisits are downloaded (resumable; default <out>-revisits/ next to --out)',
      )
      .option('--concurrency <n>', 'revisits downloaded at once', concurrencyOption());
  if (catalogue) addRegionOptions(cmd);
  cmd
    .option('--engine <e>', 'tfjs | onnx (default: onnx for .onnx files, else tfjs)')
    .option('--quicklook <file.png>', 'PNG quicklook path', pathOption('quicklook', 'a PNG file path'))
    .option('--no-quicklook', 'skip the PNG')
    .option('--overlap <px>', 'LR chip overlap: 0 or 25', intOption('overlap', { min: 0, max: 10_000 }))
    .option('--batch-size <n>', 'chips per inference batch', intOption('batch-size', { min: 1, max: 4096 }))
    .option('--no-cloud-masks', 'ignore *-CLM.tiff masks next to the revisits')
    .option(
      '--dn-scale <x>',
      'inputs are DN: reflectance = DN·scale + offset',
      numberOption('dn-scale', { above: 0, max: 1e6 }),
    )
    .option('--dn-offset <x>', 'offset for --dn-scale', numberOption('dn-offset', { min: -1e6, max: 1e6 }));
  addReadLimitOptions(cmd);
  if (catalogue)
    cmd.addHelpText(
      'after',
      `
Examples:
  $ worldstrat superresolve lr_dataset/Landcover-1/L2A --weights highresnet.safetensors --out sr.tif
  $ worldstrat superresolve --aoi 8.54,47.37 --dates 2022-06-01/2022-08-31 --max-cloud 20 \\
      --weights highresnet.safetensors --out zurich-sr.tif
  $ worldstrat superresolve --bbox=-15.80,12.42,-15.78,12.44 --dates 2023-01-01/2023-02-28 \\
      --provider earth-search-c1 --weights srcnn-mf.onnx --out sr.tif
  $ worldstrat superresolve --region 8.50,47.35,8.60,47.40 --dates 2022-06-01/2022-08-31 \\
      --weights highresnet.safetensors --out zurich-mosaic.tif [--queue redis://127.0.0.1:6379]

With --aoi/--bbox the revisits (the model's revisit count unless --revisits) are the acquisitions closest to
--target-date with the least cloud whose footprint covers the AOI; they are downloaded (windowed COG reads,
warped to the AOI's 10 m EPSG:4326 grid) into --work-dir, and a re-run reuses what is complete there.`,
    );
  cmd.action((args: string[] | undefined, _opts, command: Command) =>
    run<SuperresolveCommandOptions>(command, async (o, rt) => {
      const inputs = args ?? [];
      if (catalogue && o.region !== undefined)
        return runRegionSuperresolve(o, inputs, rt, revisitProviderFromOptions(o));
      for (const flag of ['tileSize', 'tileOverlap', 'queue'] as const)
        if (o[flag] !== undefined)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies with --region`,
          );
      const r = await superresolvePipeline.run(superresolveOptionsFrom(name, catalogue, inputs, o), {
        signal: rt.signal,
        onProgress: rt.onProgress,
        log: rt.info,
      });
      printSuperresolveResult(r, rt);
    }),
  );
}

/** Options of `worldstrat superresolve` / `infer` (positions, boxes and dates may come as text or lists from a config file). */
export interface SuperresolveCommandOptions extends ProviderOptions, ReadLimitOptions {
  /** --region: a bbox or a GeoJSON file (region-scale super-resolution). */
  region?: string;
  tileSize?: number;
  tileOverlap?: number;
  /** Redis URL of the queue executor (with --region). */
  queue?: string;
  weights?: string;
  /** A STAC MLM descriptor of a third-party ONNX model (instead of --weights). */
  model?: string;
  out: string;
  aoi?: unknown;
  bbox?: unknown;
  area?: number;
  aoiName?: string;
  dates?: unknown;
  targetDate?: unknown;
  revisits?: number;
  maxCloud?: number;
  workDir?: string;
  concurrency?: number;
  engine?: string;
  /** A PNG path, or false with --no-quicklook. */
  quicklook?: string | boolean;
  overlap?: number;
  batchSize?: number;
  cloudMasks?: boolean;
  dnScale?: number;
  dnOffset?: number;
}

/** The AOI from --aoi or --bbox (not both), or undefined for local revisit files. */
function superresolveAoiFrom(o: SuperresolveCommandOptions): SuperresolveAoi | undefined {
  if (o.aoi !== undefined && o.bbox !== undefined)
    throw new WorldStratError('INVALID_ARGUMENT', `give --aoi ${o.aoi} or --bbox ${o.bbox}, not both`);
  const named = o.aoiName !== undefined ? { name: String(o.aoiName) } : {};
  if (o.aoi !== undefined)
    return { ...parseLonLat(o.aoi, 'aoi'), ...(o.area !== undefined ? { areaKm2: o.area } : {}), ...named };
  if (o.bbox !== undefined) return { bbox: parseBBox(o.bbox), ...named };
  return undefined;
}

/** The pipeline's options: exactly one of local revisits or an AOI + --dates, the search options only with an AOI. */
function superresolveOptionsFrom(
  name: string,
  catalogue: boolean,
  inputs: string[],
  o: SuperresolveCommandOptions,
): SuperresolveOptions {
  const engine = o.engine;
  if (engine !== undefined && engine !== 'tfjs' && engine !== 'onnx')
    throw new WorldStratError('INVALID_ARGUMENT', `--engine ${engine}: expected tfjs or onnx`);
  const aoi = superresolveAoiFrom(o);
  if (catalogue && inputs.length > 0 && aoi)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${name} got revisit files (${inputs.join(' ')}) and ${o.aoi !== undefined ? '--aoi' : '--bbox'}; give local revisits or an AOI + --dates, not both`,
    );
  if (inputs.length === 0 && !aoi)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${name} needs revisit GeoTIFFs / a lr_dataset/<AOI>/L2A folder, or --aoi lon,lat | --bbox w,s,e,n with --dates start/end`,
    );
  if (!aoi)
    for (const [key, flag] of [
      ['dates', '--dates'],
      ['targetDate', '--target-date'],
      ['maxCloud', '--max-cloud'],
      ['workDir', '--work-dir'],
    ] as const)
      if (o[key] !== undefined)
        throw new WorldStratError(
          'INVALID_ARGUMENT',
          `${flag} applies with --aoi/--bbox (catalogue search); with local revisit files leave it out`,
        );
  if (aoi && o.dates === undefined)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${name} with ${o.aoi !== undefined ? '--aoi' : '--bbox'} needs --dates START/END (YYYY-MM-DD/YYYY-MM-DD)`,
    );
  const readLimits = readLimitsFrom(o);
  return {
    ...(aoi ? catalogueOptionsFrom(aoi, o) : { inputs }),
    ...(o.weights !== undefined ? { weights: o.weights } : {}),
    ...(o.model !== undefined ? { model: o.model } : {}),
    out: o.out,
    ...(engine ? { engine } : {}),
    ...(o.quicklook === false
      ? { quicklook: false as const }
      : typeof o.quicklook === 'string'
        ? { quicklook: o.quicklook }
        : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    cloudMasks: o.cloudMasks !== false,
    ...(readLimits ? { readLimits } : {}),
    ...(o.dnScale !== undefined ? { reflectance: { scale: o.dnScale, offset: o.dnOffset ?? 0 } } : {}),
  };
}

/** The catalogue half of the pipeline's options (AOI, window, provider, search and download settings). */
function catalogueOptionsFrom(
  aoi: SuperresolveAoi,
  o: SuperresolveCommandOptions,
): Pick<
  SuperresolveOptions,
  | 'aoi'
  | 'dateRange'
  | 'provider'
  | 'fetch'
  | 'targetDate'
  | 'revisits'
  | 'maxCloudCover'
  | 'workDir'
  | 'concurrency'
> {
  const access = providerAccess(revisitProviderFromOptions(o));
  return {
    aoi,
    dateRange: parseDateRange(o.dates),
    provider: access.provider,
    ...(access.fetch ? { fetch: access.fetch } : {}),
    ...(o.targetDate !== undefined ? { targetDate: parseDate('target-date', o.targetDate) } : {}),
    ...(o.revisits !== undefined ? { revisits: o.revisits } : {}),
    ...(o.maxCloud !== undefined ? { maxCloudCover: o.maxCloud } : {}),
    ...(o.workDir !== undefined ? { workDir: String(o.workDir) } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  };
}

/** The human summary: the revisits found (catalogue runs), the product, the warnings. */
function printSuperresolveResult(r: SuperresolveResult, rt: CliRuntime): void {
  const lines: string[] = [];
  if (r.search) {
    const s = r.search;
    lines.push(
      `${s.aoi.name}: ${s.revisits.length} revisit(s) from ${s.provider} (${s.found} scene(s) found, ${s.downloaded} downloaded, ${s.skipped} already in ${s.workDir})`,
      ...s.revisits.map(
        (v) =>
          `  #${v.n}  ${v.itemId}  ${v.datetime.slice(0, 10)}  ${v.cloudCover === null ? 'cloud unknown' : `cloud ${v.cloudCover}%`}  Δ${v.deltaDays} d`,
      ),
      ...s.failed.map((f) => `  #${f.n}  ${f.itemId}  FAILED (${f.code}): ${f.message}`),
    );
  }
  lines.push(
    `${r.model.name ?? r.model.kind} R=${r.model.revisits} (${r.engine}): ${r.width}×${r.height} px → ${r.out}${r.quicklook ? ` + ${r.quicklook}` : ''} (${r.seconds.toFixed(1)} s)`,
    // repeated in the summary so --quiet still shows what the product worked around
    ...r.warnings.map((w) => `warning ${w.code}: ${w.message}`),
  );
  rt.done(r, lines.join('\n'));
}

/** Register `superresolve`. */
export function registerSuperresolve(program: Command, run: CliRunner): void {
  registerSuperresolveCommand(program, run);
}
