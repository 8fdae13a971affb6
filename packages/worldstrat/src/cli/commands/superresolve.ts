// `worldstrat superresolve <revisits…|folder> --weights w --out sr.tif`, or
// `worldstrat superresolve --aoi lon,lat | --bbox w,s,e,n --dates start/end --weights w --out sr.tif` (revisits
// searched via STAC and downloaded first): SR GeoTIFF + PNG quicklook.
import { getStacProvider } from '@worldstrat/eo-fetch';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import type { RevisitProvider } from '../../pipelines/revisit-stages.node.js';
import { type SuperresolveAoi, superresolvePipeline } from '../../pipelines/superresolve.node.js';
import {
  addReadLimitOptions,
  areaOption,
  concurrencyOption,
  dateOption,
  intOption,
  numberOption,
  parseBBox,
  parseDate,
  parseDateRange,
  parseLonLat,
  percentOption,
  readLimitsFrom,
} from '../options.js';
import type { CliRunner } from '../runtime.js';
import { providerAccess, providerFromOptions } from './search.js';
import { addRegionOptions, runRegionSuperresolve } from './superresolve-region.js';

/** `--provider stac|sentinelhub`, or a STAC provider id (`earth-search`, …) as a shorthand for stac + that id. */
function revisitProviderFromOptions(o: Record<string, unknown>): RevisitProvider {
  const p = o.provider as string | undefined;
  if (p === undefined || p === 'stac' || p === 'sentinelhub') return providerFromOptions(o);
  getStacProvider(p); // UNKNOWN_PROVIDER (exit 2) with the known ids
  return { kind: 'stac', url: o.stacUrl as string | undefined, provider: p };
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
    .requiredOption('--weights <file>', '.safetensors (PyTorch layout) or .onnx weights')
    .requiredOption('--out <file.tif>', 'output GeoTIFF (float32, deflate); the PNG goes next to it');
  if (catalogue)
    cmd
      .option('--aoi <lon,lat>', 'search revisits for a WorldStrat AOI (2.5 km² box) around this point')
      .option('--bbox <w,s,e,n>', 'or for this lon/lat box (minLon,minLat,maxLon,maxLat)')
      .option('--area <km2>', 'AOI area for --aoi (default 2.5, the release’s)', areaOption())
      .option('--aoi-name <name>', 'name of the revisit folder/files (default from the coordinates)')
      .option('--dates <start/end>', 'with --aoi/--bbox: acquisition window, e.g. 2022-06-01/2022-06-30')
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
    .option('--quicklook <file.png>', 'PNG quicklook path')
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
    run(command, async (o, rt) => {
      const engine = o.engine as string | undefined;
      if (engine !== undefined && engine !== 'tfjs' && engine !== 'onnx')
        throw new WorldStratError('INVALID_ARGUMENT', `--engine ${engine}: expected tfjs or onnx`);
      const inputs = args ?? [];
      if (catalogue && o.region !== undefined)
        return runRegionSuperresolve(o, inputs, rt, revisitProviderFromOptions(o));
      for (const flag of ['tileSize', 'tileOverlap', 'queue'] as const)
        if (o[flag] !== undefined)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies with --region`,
          );
      let aoi: SuperresolveAoi | undefined;
      if (o.aoi !== undefined && o.bbox !== undefined)
        throw new WorldStratError('INVALID_ARGUMENT', `give --aoi ${o.aoi} or --bbox ${o.bbox}, not both`);
      if (o.aoi !== undefined)
        aoi = {
          ...parseLonLat(o.aoi, 'aoi'),
          ...(o.area !== undefined ? { areaKm2: o.area as number } : {}),
          ...(o.aoiName !== undefined ? { name: String(o.aoiName) } : {}),
        };
      else if (o.bbox !== undefined)
        aoi = {
          bbox: parseBBox(o.bbox),
          ...(o.aoiName !== undefined ? { name: String(o.aoiName) } : {}),
        };
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
      const access = aoi ? providerAccess(revisitProviderFromOptions(o)) : undefined;
      const r = await superresolvePipeline.run(
        {
          ...(aoi
            ? {
                aoi,
                dateRange: parseDateRange(o.dates),
                provider: access!.provider,
                ...(access?.fetch ? { fetch: access.fetch } : {}),
                ...(o.targetDate !== undefined ? { targetDate: parseDate('target-date', o.targetDate) } : {}),
                ...(o.revisits !== undefined ? { revisits: o.revisits as number } : {}),
                ...(o.maxCloud !== undefined ? { maxCloudCover: o.maxCloud as number } : {}),
                ...(o.workDir !== undefined ? { workDir: String(o.workDir) } : {}),
                ...(o.concurrency !== undefined ? { concurrency: o.concurrency as number } : {}),
              }
            : { inputs }),
          weights: o.weights as string,
          out: o.out as string,
          ...(engine ? { engine } : {}),
          ...(o.quicklook === false
            ? { quicklook: false as const }
            : typeof o.quicklook === 'string'
              ? { quicklook: o.quicklook }
              : {}),
          ...(o.overlap !== undefined ? { overlap: o.overlap as number } : {}),
          ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
          cloudMasks: o.cloudMasks !== false,
          ...(readLimitsFrom(o) ? { readLimits: readLimitsFrom(o) } : {}),
          ...(o.dnScale !== undefined
            ? {
                reflectance: {
                  scale: o.dnScale as number,
                  offset: (o.dnOffset as number | undefined) ?? 0,
                },
              }
            : {}),
        },
        { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
      );
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
        `${r.model.kind} R=${r.model.revisits} (${r.engine}): ${r.width}×${r.height} px → ${r.out}${r.quicklook ? ` + ${r.quicklook}` : ''} (${r.seconds.toFixed(1)} s)`,
        // repeated in the summary so --quiet still shows what the product worked around
        ...r.warnings.map((w) => `warning ${w.code}: ${w.message}`),
      );
      rt.done(r, lines.join('\n'));
    }),
  );
}

/** Register `superresolve`. */
export function registerSuperresolve(program: Command, run: CliRunner): void {
  registerSuperresolveCommand(program, run);
}
