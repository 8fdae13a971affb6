// Pipeline: the plots people look at for a dataset on disk (real or synthetic): AOI world map by class, class
// distribution, an LR / bicubic / HR panel, an animated GIF of the revisits, and an HTML report linking them.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseCsv } from '@worldstrat/core';
import { writeFileAtomic } from '@worldstrat/core/node';
import { lrDataSuffix, METADATA_CSV_NAME, SPLIT_CSV_NAME } from '@worldstrat/dataset';
import { lrLevelDir, scanDataset } from '@worldstrat/dataset/node';
import { psnr } from '@worldstrat/metrics';
import type { RasterIoLimits } from '@worldstrat/raster-io';
import { resize } from '@worldstrat/raster-io';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { natCompare } from '@worldstrat/stratify';
import { throwIfAborted } from '../errors.js';
import { makeFolder } from '../internal/make-folder.node.js';
import { classDistributionSvg } from '../plots/bar-chart.js';
import { comparisonPanelSvg } from '../plots/comparison-panel.js';
import { htmlReport } from '../plots/html-report.js';
import { displayRange, toRgb8 } from '../plots/image.js';
import { writePlot } from '../plots/render-png.node.js';
import { revisitsGif } from '../plots/revisits-gif.js';
import { boundsCell, lonLatCell, worldMapSvg } from '../plots/world-map.js';
import { definePipeline, type PipelineContext } from './pipeline.js';
import { readInputText } from './read-input.node.js';

/** Options of {@link plotDatasetPipeline}. */
export interface PlotDatasetOptions {
  /** Dataset root. */
  root: string;
  /** Output folder. */
  out: string;
  /** AOI shown in the panel and GIF (default: the first scene). */
  aoi?: string;
  /** Revisits in the GIF. Default 8. */
  revisits?: number;
  /** Column of metadata.csv / the split CSV that colours the map. Default 'IPCC Class'. */
  classColumn?: string;
  /** GeoTIFF read limits for every file read (raster-io defaults when absent). */
  readLimits?: Partial<RasterIoLimits>;
}

/** What {@link plotDatasetPipeline} wrote (paths relative to `out`). */
export interface PlotDatasetResult {
  out: string;
  files: string[];
  aoi: string;
  aois: number;
  report: string;
}

async function tableRows(root: string): Promise<Record<string, string>[]> {
  for (const f of [METADATA_CSV_NAME, SPLIT_CSV_NAME]) {
    try {
      return parseCsv(await readInputText(join(root, f), 'table')).rows;
    } catch {
      // try the next table
    }
  }
  return [];
}

type Row = Record<string, string>;
type Shape = [number, number, number];

/** The first table row of each tile (metadata.csv or the split CSV). */
function rowsByTile(rows: Row[]): Map<string, Row> {
  const byTile = new Map<string, Row>();
  for (const r of rows) {
    const name = r.tile ?? r.name ?? r.__col0;
    if (name && !byTile.has(name)) byTile.set(name, r);
  }
  return byTile;
}

/** 1. World map of the AOIs that have coordinates; returns the files written. */
async function writeAoiMap(out: string, byTile: Map<string, Row>, classColumn: string): Promise<string[]> {
  const points = [...byTile.entries()]
    .filter(([, r]) => lonLatCell(r.lon, 180) !== undefined && lonLatCell(r.lat, 90) !== undefined)
    .map(([name, r]) => {
      const bounds = boundsCell(r.bounds);
      return {
        lon: Number(r.lon),
        lat: Number(r.lat),
        label: r[classColumn] || 'None',
        bounds,
        title: name,
      };
    });
  if (points.length === 0) return [];
  await writePlot(
    join(out, 'aoi-map'),
    worldMapSvg(points, { title: `AOIs by ${classColumn} (${points.length})` }),
  );
  return ['aoi-map.svg', 'aoi-map.png'];
}

/** 2. Class distribution per AOI; returns the files written. */
async function writeClassDistribution(
  out: string,
  byTile: Map<string, Row>,
  classColumn: string,
): Promise<string[]> {
  // no prototype: a class named `constructor` or `__proto__` is counted like any other
  const counts: Record<string, number> = Object.create(null);
  for (const r of byTile.values()) {
    const c = r[classColumn] || 'None';
    counts[c] = (counts[c] ?? 0) + 1;
  }
  if (Object.keys(counts).length === 0) return [];
  await writePlot(
    join(out, 'class-distribution'),
    classDistributionSvg([{ name: 'AOIs', counts }], {
      title: `Distribution of ${classColumn}`,
      xLabel: `Total number of AOIs: ${byTile.size}`,
    }),
  );
  return ['class-distribution.svg', 'class-distribution.png'];
}

/** True-colour pixels of one scene: L2A revisits (B04, B03, B02) and the HR (R, G, B scaled to reflectance). */
async function readScenePixels(
  o: PlotDatasetOptions,
  scene: { name: string; hrPath: string },
  signal: AbortSignal | undefined,
) {
  const dir = lrLevelDir(o.root, scene.name, 'L2A');
  const lrFiles = (await readdir(dir))
    .filter((f) => f.endsWith(lrDataSuffix('L2A')))
    .sort(natCompare)
    .slice(0, o.revisits ?? 8);
  const lrs = [];
  for (const f of lrFiles)
    lrs.push(await readGeoTiffFile(join(dir, f), { bands: [3, 2, 1], signal, limits: o.readLimits }));
  const hr = await readGeoTiffFile(scene.hrPath, {
    bands: [0, 1, 2],
    signal,
    limits: o.readLimits,
  });
  const hrData = new Float32Array(3 * hr.width * hr.height);
  hr.bands.forEach((b, i) => {
    for (let k = 0; k < b.length; k++) hrData[i * b.length + k] = b[k] / 10000;
  });
  const hrShape: Shape = [3, hr.height, hr.width];
  const lrStack = lrs.map((r) => {
    const d = new Float32Array(3 * r.width * r.height);
    r.bands.forEach((b, i) => {
      d.set(b, i * b.length);
    });
    return { data: d, shape: [3, r.height, r.width] as Shape };
  });
  return { lrStack, hrData, hrShape };
}

/** 3. LR / bicubic / HR panel of one scene, then its revisit GIF; returns the files written. */
async function writeScenePlots(
  o: PlotDatasetOptions,
  scene: { name: string; hrPath: string },
  synthetic: boolean,
  ctx: PipelineContext,
  step: (done: number) => void,
): Promise<string[]> {
  const { lrStack, hrData, hrShape } = await readScenePixels(o, scene, ctx.signal);
  const [, hrH, hrW] = hrShape;
  const range = displayRange(hrData, hrShape);
  const first = lrStack[0];
  const bicubic = resize(first.data, first.shape, [hrH, hrW], { method: 'bicubic' });
  const clamped = bicubic.map((v) => (v < 0 ? 0 : v > 1 ? 1 : v));
  const bicubicPsnr = psnr(clamped, hrData);
  await writePlot(
    join(o.out, 'panel'),
    comparisonPanelSvg(
      [
        {
          title: 'LR (revisit 1)',
          caption: `${first.shape[2]}×${first.shape[1]} px · 10 m`,
          image: toRgb8(first.data, first.shape, { range }),
        },
        {
          title: 'Bicubic',
          caption: `${hrW}×${hrH} px · PSNR ${bicubicPsnr.toFixed(2)} dB vs HR (unregistered)`,
          image: toRgb8(bicubic, hrShape, { range }),
        },
        {
          title: 'HR',
          caption: `${hrW}×${hrH} px · 1.5 m`,
          image: toRgb8(hrData, hrShape, { range }),
        },
      ],
      { title: `${scene.name}${synthetic ? ' (synthetic)' : ''}`, tileSize: 320 },
    ),
  );
  step(3);
  const gif = revisitsGif(
    lrStack.map((l) => toRgb8(l.data, l.shape, { range })),
    {
      still: toRgb8(hrData, hrShape, { range }),
      size: 256,
      fps: 3,
    },
  );
  await writeFileAtomic(join(o.out, 'revisits.gif'), gif);
  return ['panel.svg', 'panel.png', 'revisits.gif'];
}

/** 4. The HTML report linking the plots that were written (sections without their images are left out). */
async function writeReport(
  o: PlotDatasetOptions,
  files: readonly string[],
  aoi: string,
  problems: readonly { message: string }[],
  synthetic: boolean,
  classColumn: string,
): Promise<void> {
  const sections = [
    {
      heading: 'AOIs',
      images: [{ src: 'aoi-map.png', alt: 'AOI map', caption: `AOIs coloured by ${classColumn}` }],
    },
    { heading: 'Classes', images: [{ src: 'class-distribution.png', alt: 'class distribution' }] },
    ...(aoi
      ? [
          {
            heading: `Scene ${aoi}`,
            images: [
              { src: 'panel.png', alt: 'LR / bicubic / HR' },
              { src: 'revisits.gif', alt: 'revisits', caption: 'LR revisits (left) beside the HR (right)' },
            ],
          },
        ]
      : []),
    {
      heading: 'Problems',
      text: problems.length ? problems.map((p) => p.message).join('; ') : 'none found',
    },
  ].filter((s) => !s.images || s.images.every((i) => files.includes(i.src)));
  const html = htmlReport(`WorldStrat dataset: ${o.root}`, sections, {
    generatedAt: new Date().toISOString(),
    banner: synthetic ? 'SYNTHETIC DATA — procedurally generated, not satellite imagery' : undefined,
  });
  await writeFileAtomic(join(o.out, 'index.html'), html);
}

/** Plots of a dataset on disk (see the file header). */
export const plotDatasetPipeline = definePipeline<PlotDatasetOptions, PlotDatasetResult>({
  name: 'plot-dataset',
  description:
    'AOI map, class distribution, LR/bicubic/HR panel, revisit GIF and an HTML report for a dataset',
  async run(o, ctx = {}) {
    const classColumn = o.classColumn ?? 'IPCC Class';
    const files: string[] = [];
    const total = 4;
    const step = (done: number) => ctx.onProgress?.({ stage: 'plots', done, total });
    // an --out that cannot be a folder fails at once, not after the dataset is read and the first plot drawn
    await makeFolder('output folder', o.out);
    const scan = await scanDataset(o.root, { revisits: 1, allowFewerRevisits: true });
    const rows = await tableRows(o.root);
    const byTile = rowsByTile(rows);
    const synthetic = rows.some((r) => r.source === 'Synthetic');
    throwIfAborted(ctx.signal);
    files.push(...(await writeAoiMap(o.out, byTile, classColumn)));
    step(1);
    files.push(...(await writeClassDistribution(o.out, byTile, classColumn)));
    step(2);
    throwIfAborted(ctx.signal);
    const scene = o.aoi ? scan.scenes.find((s) => s.name === o.aoi) : scan.scenes[0];
    let aoi = '';
    if (scene) {
      aoi = scene.name;
      files.push(...(await writeScenePlots(o, scene, synthetic, ctx, step)));
    }
    step(4);
    await writeReport(o, files, aoi, scan.problems, synthetic, classColumn);
    files.push('index.html');
    ctx.log?.(`wrote ${files.length} files to ${relative(process.cwd(), o.out) || '.'}`);
    return { out: o.out, files, aoi, aois: byTile.size, report: join(o.out, 'index.html') };
  },
});
