// `worldstrat stratify`: classify points (land cover → IPCC, settlement model) and optionally rebalance + draw.

import { toCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { readPoisFile } from '@worldstrat/geo-sampling/node';
import {
  classCounts,
  classifyPoints,
  isRebalanceWeightName,
  REBALANCE_WEIGHTS,
  rebalance,
  stratifiedDraw,
} from '@worldstrat/stratify';
import { openClassRasterPathOrUrl } from '@worldstrat/stratify/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { checkOutputPaths } from '../../internal/output-paths.node.js';
import { checkInputFile } from '../input-file.js';
import {
  addReadLimitOptions,
  intOption,
  MAX_POINTS,
  type ReadLimitOptions,
  readLimitsFrom,
  seedOption,
} from '../options.js';
import type { CliRunner, CliRuntime } from '../runtime.js';

const COLUMNS = ['name', 'lon', 'lat', 'source', 'landcover_id', 'LCCS', 'IPCC', 'SMOD_id', 'SMOD'] as const;

/** Register the command. */
export function registerStratify(program: Command, run: CliRunner): void {
  addReadLimitOptions(program.command('stratify'))
    .description(
      'classify points with a land-cover (LCCS/WorldCover → IPCC) and a settlement (SMOD) raster; optionally rebalance and draw',
    )
    .argument('<points>', 'points file (.csv with lon/lat or longitude/latitude, or .geojson)')
    .requiredOption('--landcover <file|url>', '(required) land-cover raster (local file or COG URL)')
    .option('--landcover-legend <legend>', 'lccs | worldcover', 'lccs')
    .option('--smod <file|url>', 'settlement raster (GHSL SMOD)')
    .option('--smod-crs <crs>', 'CRS of the SMOD raster when the file names none', 'ESRI:54009')
    .option('--compat', "upstream's ceil pixel rounding (one row south, one column east)", false)
    .option(
      '--target <n>',
      'rebalance over IPCC classes and draw this many points',
      intOption('target', { min: 1, max: MAX_POINTS }),
    )
    .option('--weight <f>', 'rebalancing weight: cbrt | sqrt | linear', 'cbrt')
    .option('--seed <n>', 'seed of the draw', seedOption(), 0)
    .option('--out <file>', 'output CSV (default: stdout)')
    .action((points: string, _opts, cmd: Command) =>
      run<StratifyOptions>(cmd, (o, rt) => stratifyAction(points, o, rt)),
    );
}

/** Options of `worldstrat stratify` (as its parsers return them). */
interface StratifyOptions extends ReadLimitOptions {
  landcover: string;
  landcoverLegend: string;
  smod?: string;
  smodCrs: string;
  compat: boolean;
  target?: number;
  weight: string;
  seed: number;
  out?: string;
}

/** Classify the points, optionally rebalance + draw, and write or print the table. */
async function stratifyAction(points: string, o: StratifyOptions, rt: CliRuntime): Promise<void> {
  if (!isRebalanceWeightName(o.weight))
    throw new WorldStratError('INVALID_ARGUMENT', `--weight ${o.weight}: use cbrt, sqrt or linear`);
  const weight = REBALANCE_WEIGHTS[o.weight];
  const legend = o.landcoverLegend;
  if (legend !== 'lccs' && legend !== 'worldcover')
    throw new WorldStratError('INVALID_ARGUMENT', `--landcover-legend ${legend}: use lccs or worldcover`);
  await checkInputFile(points, 'points file');
  if (o.out)
    await checkOutputPaths(
      [{ path: o.out, what: '--out' }],
      [
        { path: points, what: 'points file' },
        { path: o.landcover, what: '--landcover' },
        ...(o.smod ? [{ path: o.smod, what: '--smod' }] : []),
      ],
    );
  const { pois } = await readPoisFile(points);
  const readLimits = readLimitsFrom(o);
  const limits = readLimits ? { readLimits } : {};
  const landcover = await openClassRasterPathOrUrl(o.landcover, limits);
  const smod = o.smod ? await openClassRasterPathOrUrl(o.smod, { crs: o.smodCrs, ...limits }) : undefined;
  let rows: Awaited<ReturnType<typeof classifyPoints<(typeof pois)[number]>>>;
  try {
    rows = await classifyPoints(pois, {
      landcover,
      smod,
      landcoverLegend: legend,
      unknownClass: 'null',
      compat: Boolean(o.compat),
      signal: rt.signal,
    });
  } finally {
    await landcover.close();
    await smod?.close();
  }
  rt.onProgress({ stage: 'classify', done: rows.length, total: rows.length });
  const before = classCounts(rows.map((r) => r.IPCC));
  let out = rows;
  let shortfalls: unknown[] = [];
  if (o.target !== undefined) {
    const classified = rows.filter((r) => r.IPCC !== null);
    const drawn = await stratifiedDraw(classified, (r) => r.IPCC, rebalance(before, o.target, { weight }), {
      seed: o.seed,
      onShortfall: 'report',
      signal: rt.signal,
    });
    out = drawn.rows;
    shortfalls = drawn.shortfalls;
  }
  const text = toCsv(
    [...COLUMNS],
    out.map((r) => COLUMNS.map((c) => cellOf(r, c))),
  );
  if (o.out) await writeFileAtomic(o.out, text);
  const after = classCounts(out.map((r) => r.IPCC));
  const result = {
    points: pois.length,
    classified: rows.filter((r) => r.IPCC !== null).length,
    written: out.length,
    before,
    after,
    shortfalls,
    out: o.out ?? null,
  };
  const summary = `${after.map((c) => `${c.class}: ${c.count}`).join(', ')}${shortfalls.length ? ` (short: ${JSON.stringify(shortfalls)})` : ''}`;
  if (o.out) rt.done(result, `wrote ${out.length} classified points to ${o.out}\n${summary}`);
  else if (rt.json) rt.done({ ...result, rows: out });
  else rt.done(result, text.trimEnd());
}

/** One CSV cell of a classified point (a POI plus its class columns). */
function cellOf(r: object, column: (typeof COLUMNS)[number]): string | number | null {
  const v: unknown = Reflect.get(r, column);
  return typeof v === 'string' || typeof v === 'number' ? v : null;
}
