// `worldstrat plot map|distribution|dataset`: the plots people look at, as SVG + PNG.
import { parseCsv } from '@worldstrat/core';
import { readPoisFile } from '@worldstrat/geo-sampling/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { checkOutputPaths, type NamedPath } from '../../internal/output-paths.node.js';
import { plotDatasetPipeline } from '../../pipelines/plot-dataset.node.js';
import { readInputText } from '../../pipelines/read-input.node.js';
import { classDistributionSvg } from '../../plots/bar-chart.js';
import { writePlot } from '../../plots/render-png.node.js';
import { boundsCell, worldMapSvg } from '../../plots/world-map.js';
import { checkInputFile } from '../input-file.js';
import {
  addReadLimitOptions,
  commaListOption,
  intOption,
  type ReadLimitOptions,
  readLimitsFrom,
} from '../options.js';
import type { CliRunner } from '../runtime.js';

async function countColumn(path: string, column: string): Promise<Record<string, number>> {
  const text = await readInputText(path, 'table');
  const { header, rows } = parseCsv(text, { name: path });
  if (!header.includes(column)) {
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${path} has no column "${column}" (columns: ${header.join(', ')})`,
    );
  }
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const k = r[column] || 'None';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** The files `writePlot(base, …)` writes. */
const plotFiles = (base: string): NamedPath[] =>
  ['svg', 'png'].map((ext) => ({ path: `${base}.${ext}`, what: 'plot file' }));

/** Options of `worldstrat plot map`. */
interface PlotMapOptions {
  out: string;
  classColumn: string;
  title?: string;
  width: number;
}

/** Options of `worldstrat plot distribution`. */
interface PlotDistributionOptions {
  out: string;
  column: string;
  compare?: string;
  names: string;
  title?: string;
}

/** Options of `worldstrat plot dataset`. */
interface PlotDatasetOptions extends ReadLimitOptions {
  out: string;
  aoi?: string;
  revisits: number;
  classColumn: string;
}

/** Register the command group. */
export function registerPlot(program: Command, run: CliRunner): void {
  const plot = program.command('plot').description('plots as SVG + PNG: map, distribution, dataset');
  plot
    .command('map')
    .description('world map of points/AOIs coloured by a class column, over Natural Earth land')
    .argument('<table>', 'points or AOIs (.csv with lon/lat, or .geojson)')
    .requiredOption('--out <base>', 'output path without extension (writes .svg and .png)')
    .option('--class-column <col>', 'column that colours the markers', 'IPCC Class')
    .option('--title <text>', 'title')
    .option('--width <px>', 'width in px', intOption('width', { min: 100, max: 20_000 }), 1200)
    .action((table: string, _opts, cmd: Command) =>
      run<PlotMapOptions>(cmd, async (o, rt) => {
        await checkInputFile(table, 'points file');
        await checkOutputPaths(plotFiles(o.out), [{ path: table, what: 'points file' }]);
        const { pois } = await readPoisFile(table, { checkName: false, duplicates: 'suffix' });
        const col = o.classColumn;
        const points = pois.map((p) => {
          const bounds = boundsCell(p.properties.bounds);
          return {
            lon: p.lon,
            lat: p.lat,
            label: p.properties[col] || (col === 'source' ? p.source : undefined) || 'points',
            bounds,
            title: p.name,
          };
        });
        const files = await writePlot(
          o.out,
          worldMapSvg(points, {
            width: o.width,
            title: o.title ?? `${points.length} points by ${col}`,
          }),
        );
        rt.done({ points: points.length, ...files }, `wrote ${files.svg} and ${files.png}`);
      }),
    );
  plot
    .command('distribution')
    .description('bar chart of a class column; with --compare, grouped bars (e.g. before/after rebalancing)')
    .argument('<table>', 'CSV file')
    .requiredOption('--out <base>', 'output path without extension')
    .requiredOption('--column <col>', 'class column to count')
    .option('--compare <table>', 'a second CSV (e.g. the rebalanced draw)')
    .option('--names <a,b>', 'series names', commaListOption(), 'Original,Rebalanced')
    .option('--title <text>', 'title')
    .action((table: string, _opts, cmd: Command) =>
      run<PlotDistributionOptions>(cmd, async (o, rt) => {
        const tables = [table, ...(o.compare ? [o.compare] : [])];
        await checkOutputPaths(
          plotFiles(o.out),
          tables.map((path) => ({ path, what: 'table' })),
        );
        const col = o.column;
        const [a, b] = String(o.names).split(',');
        const series = [{ name: a ?? 'Original', counts: await countColumn(table, col) }];
        if (o.compare) series.push({ name: b ?? 'Rebalanced', counts: await countColumn(o.compare, col) });
        const title =
          o.title ?? (o.compare ? `${b ?? 'Rebalanced'} distribution of ${col}` : `Distribution of ${col}`);
        const files = await writePlot(o.out, classDistributionSvg(series, { title }));
        rt.done(
          { series: series.map((s) => ({ name: s.name, counts: s.counts })), ...files },
          `wrote ${files.svg} and ${files.png}`,
        );
      }),
    );
  const dataset = plot
    .command('dataset')
    .description(
      'AOI map, class distribution, LR/bicubic/HR panel, revisit GIF and an HTML report for a dataset',
    )
    .argument('<root>', 'dataset folder (release layout, e.g. from `worldstrat synth`)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--aoi <name>', 'AOI for the panel and GIF (default: the first)')
    .option('--revisits <n>', 'revisits in the GIF', intOption('revisits', { min: 1, max: 100 }), 8)
    .option('--class-column <col>', 'column that colours the map', 'IPCC Class');
  addReadLimitOptions(dataset).action((root: string, _opts, cmd: Command) =>
    run<PlotDatasetOptions>(cmd, async (o, rt) => {
      const readLimits = readLimitsFrom(o);
      const res = await plotDatasetPipeline.run(
        {
          root,
          out: o.out,
          aoi: o.aoi,
          revisits: o.revisits,
          classColumn: o.classColumn,
          ...(readLimits ? { readLimits } : {}),
        },
        { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
      );
      rt.done(res, `report: ${res.report}`);
    }),
  );
}
