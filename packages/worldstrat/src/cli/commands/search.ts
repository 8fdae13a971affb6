// `worldstrat search`: catalogue search (STAC API or SentinelHub) + temporal matching for AOIs.
import { aoiPixelSize, DEFAULT_MAX_AOI_SIDE_PX, type S2Level } from '@worldstrat/eo-fetch';
import type { Aoi } from '@worldstrat/geo-sampling';
import { readAoisFile } from '@worldstrat/geo-sampling/node';
import type { BBox } from '@worldstrat/raster-io';
import { writeFileAtomic } from '@worldstrat/raster-io/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { type RevisitProvider, searchRevisits } from '../../pipelines/revisit-stages.node.js';
import { type CliRunner, parseIntOption, parseNumberOption } from '../runtime.js';

/** What `search --out` writes and `fetch --matches` reads. */
export interface MatchesFile {
  version: 1;
  provider: RevisitProvider;
  levels: S2Level[];
  targetDate: string;
  aois: Aoi[];
  revisits: Awaited<ReturnType<typeof searchRevisits>>['revisits'];
}

/**
 * Provider options shared by `search` and `rebuild`-style commands.
 *
 * @param o - parsed options (`provider`, `stacUrl`, `stacProvider`, `shUrl`, `shConfig`).
 * @returns the provider.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for an unknown kind.
 */
export function providerFromOptions(o: Record<string, unknown>): RevisitProvider {
  const kind = (o.provider as string | undefined) ?? 'stac';
  if (kind === 'stac')
    return {
      kind,
      url: o.stacUrl as string | undefined,
      provider: (o.stacProvider as string) ?? 'earth-search',
    };
  if (kind === 'sentinelhub')
    return { kind, baseUrl: o.shUrl as string | undefined, configPath: o.shConfig as string | undefined };
  throw new WorldStratError('INVALID_ARGUMENT', `--provider ${kind}: use stac or sentinelhub`);
}

/**
 * Parse `--levels L2A,L1C`.
 *
 * @param v - option text.
 * @returns the levels.
 * @throws {WorldStratError} `INVALID_ARGUMENT`.
 */
export function parseLevels(v: unknown): S2Level[] {
  const levels = String(v ?? 'L2A')
    .split(',')
    .map((s) => s.trim().toUpperCase());
  for (const l of levels)
    if (l !== 'L2A' && l !== 'L1C')
      throw new WorldStratError('INVALID_ARGUMENT', `levels ${v}: use L2A, L1C or both`);
  return levels as S2Level[];
}

/**
 * Parse `minLon,minLat,maxLon,maxLat`.
 *
 * @param v - option text (or an array from a config file).
 * @returns the box.
 * @throws {WorldStratError} `INVALID_ARGUMENT`.
 */
export function parseBBoxOption(v: unknown): BBox {
  const parts = Array.isArray(v) ? v.map(Number) : String(v).split(',').map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x)))
    throw new WorldStratError('INVALID_ARGUMENT', `bbox ${String(v)}: expected minLon,minLat,maxLon,maxLat`);
  return parts as BBox;
}

/** Register the command. */
export function registerSearch(program: Command, run: CliRunner): void {
  program
    .command('search')
    .description(
      'search Sentinel-2 scenes for AOIs (STAC API or SentinelHub Catalog) and match the best revisits',
    )
    .option('--aois <file>', 'AOI file (.csv/.geojson/.arrow from `worldstrat aois`)')
    .option('--bbox <bbox>', 'or a single box minLon,minLat,maxLon,maxLat (named "bbox")')
    .option('--from <date>', '(required) window start (YYYY-MM-DD)')
    .option('--to <date>', '(required) window end (YYYY-MM-DD)')
    .option('--target-date <date>', 'rank revisits by distance to this date (default: middle of the window)')
    .option('--revisits <n>', 'revisits kept per AOI', parseIntOption('revisits'), 16)
    .option('--max-cloud <pct>', 'maximum scene cloud cover', parseNumberOption('max-cloud'))
    .option('--levels <list>', 'L2A,L1C', 'L2A')
    .option('--provider <kind>', 'stac | sentinelhub', 'stac')
    .option('--stac-url <url>', 'STAC API root (default: the provider’s)')
    .option('--stac-provider <id>', 'earth-search | earth-search-c1 | planetary-computer', 'earth-search')
    .option('--sh-url <url>', 'SentinelHub API root')
    .option('--sh-config <file>', 'SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET)')
    .option('--concurrency <n>', 'searches in flight', parseIntOption('concurrency'), 4)
    .option(
      '--max-aoi-px <n>',
      'largest AOI side in 10 m pixels (larger AOIs are refused before searching)',
      parseIntOption('max-aoi-px'),
      DEFAULT_MAX_AOI_SIDE_PX,
    )
    .option('--out <file.json>', 'write the matches (input of `worldstrat fetch --matches`)')
    .action((_opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        if (!o.from || !o.to)
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            'search needs --from and --to (or set them in --config)',
          );
        let aois: Aoi[];
        if (o.aois) aois = await readAoisFile(o.aois as string);
        else if (o.bbox) {
          const b = parseBBoxOption(o.bbox);
          aois = [
            {
              name: 'bbox',
              lon: (b[0] + b[2]) / 2,
              lat: (b[1] + b[3]) / 2,
              bounds: b,
              areaKm2: 0,
              source: 'bbox',
            },
          ];
        } else throw new WorldStratError('INVALID_ARGUMENT', 'search needs --aois <file> or --bbox <box>');
        // a world-sized box would otherwise match scenes and be fetched as a huge, degenerate raster
        for (const a of aois)
          if (a.bounds[0] < a.bounds[2]) aoiPixelSize(a.bounds, 10, { maxSidePx: o.maxAoiPx as number });
        const from = String(o.from);
        const to = String(o.to);
        const targetDate =
          (o.targetDate as string | undefined) ??
          new Date((Date.parse(from) + Date.parse(to)) / 2).toISOString().slice(0, 10);
        const provider = providerFromOptions(o);
        const levels = parseLevels(o.levels);
        const res = await searchRevisits(
          aois,
          {
            provider,
            dateRange: [from, to],
            targetDate,
            nRevisits: o.revisits as number,
            maxCloudCover: o.maxCloud as number | undefined,
            levels,
            concurrency: o.concurrency as number,
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        if (o.out) {
          const file: MatchesFile = {
            version: 1,
            provider,
            levels,
            targetDate,
            aois,
            revisits: res.revisits,
          };
          await writeFileAtomic(o.out as string, `${JSON.stringify(file)}\n`);
        }
        const summary = {
          aois: aois.length,
          searchRequests: res.searchRequests,
          found: res.found,
          duplicates: res.duplicates,
          shortfalls: res.matchShortfalls,
          revisits: Object.fromEntries(
            Object.entries(res.revisits).map(([level, list]) => [
              level,
              (list ?? []).map((r) => ({
                aoi: r.aoi,
                n: r.n,
                id: r.entry.id,
                datetime: r.entry.datetime,
                cloudCover: r.entry.cloudCover,
                deltaDays: r.deltaDays,
              })),
            ]),
          ),
          out: o.out ?? null,
        };
        const lines = Object.entries(summary.revisits).flatMap(([level, list]) => [
          `${level}: ${list.length} revisits for ${aois.length} AOIs (${res.searchRequests} searches)`,
          ...list.map(
            (r) =>
              `  ${r.aoi} #${r.n}  ${r.id}  ${r.datetime.slice(0, 10)}  ${r.cloudCover === null ? 'cloud unknown' : `cloud ${r.cloudCover}%`}  Δ${r.deltaDays} d`,
          ),
        ]);
        if (o.out) lines.push(`wrote ${o.out}`);
        rt.done(summary, lines.join('\n'));
      }),
    );
}
