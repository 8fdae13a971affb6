// `worldstrat stratify`: classify points (land cover → IPCC, settlement model) and optionally rebalance + draw.

import { toCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { readPoisFile } from '@worldstrat/geo-sampling/node';
import { classCounts, classifyPoints, rebalance, stratifiedDraw } from '@worldstrat/stratify';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { openClassificationRaster } from '../../pipelines/rebuild.node.js';
import { addReadLimitOptions, intOption, MAX_POINTS, readLimitsFrom, seedOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

const WEIGHTS: Record<string, (c: number) => number> = {
  cbrt: Math.cbrt,
  sqrt: Math.sqrt,
  linear: (c) => c,
};
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
    .option('--compat', "upstream's ceil pixel rounding", false)
    .option(
      '--target <n>',
      'rebalance over IPCC classes and draw this many points',
      intOption('target', { min: 1, max: MAX_POINTS }),
    )
    .option('--weight <f>', 'rebalancing weight: cbrt | sqrt | linear', 'cbrt')
    .option('--seed <n>', 'seed of the draw', seedOption(), 0)
    .option('--out <file>', 'output CSV (default: stdout)')
    .action((points: string, _opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const weight = WEIGHTS[o.weight as string];
        if (!weight)
          throw new WorldStratError('INVALID_ARGUMENT', `--weight ${o.weight}: use cbrt, sqrt or linear`);
        const legend = o.landcoverLegend as string;
        if (legend !== 'lccs' && legend !== 'worldcover')
          throw new WorldStratError(
            'INVALID_ARGUMENT',
            `--landcover-legend ${legend}: use lccs or worldcover`,
          );
        const { pois } = await readPoisFile(points).catch((e) => {
          if ((e as { code?: string }).code === 'ENOENT')
            throw new WorldStratError('DATASET_NOT_FOUND', `points file ${points} does not exist`, {
              cause: e,
            });
          throw e;
        });
        const readLimits = readLimitsFrom(o);
        const landcover = await openClassificationRaster(o.landcover as string, undefined, readLimits);
        const smod = o.smod
          ? await openClassificationRaster(o.smod as string, o.smodCrs as string, readLimits)
          : undefined;
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
          const drawn = await stratifiedDraw(
            classified,
            (r) => r.IPCC,
            rebalance(before, o.target as number, { weight }),
            { seed: o.seed as number, onShortfall: 'report', signal: rt.signal },
          );
          out = drawn.rows;
          shortfalls = drawn.shortfalls;
        }
        const text = toCsv(
          [...COLUMNS],
          out.map((r) =>
            COLUMNS.map((c) => (r as unknown as Record<string, string | number | null>)[c] ?? null),
          ),
        );
        if (o.out) await writeFileAtomic(o.out as string, text);
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
      }),
    );
}
