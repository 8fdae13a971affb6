import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@worldstrat/geo-sampling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classDistributionSvg,
  comparisonPanelSvg,
  htmlReport,
  revisitsGif,
  sceneRgbn,
  synthesizeScene,
  trainingCurvesSvg,
  worldMapSvg,
  writePlot,
} from '../src/node.js';
import { toRgb8 } from '../src/plots/image.js';
import { svgToRgba } from '../src/plots/render-png.node.js';
import { tempDir } from './support/fixtures.js';

// Set WORLDSTRAT_KEEP_PLOTS=<dir> to keep the images for a visual check.
let out: string;
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  if (process.env.WORLDSTRAT_KEEP_PLOTS) {
    out = process.env.WORLDSTRAT_KEEP_PLOTS;
    mkdirSync(out, { recursive: true });
  } else ({ dir: out, cleanup } = await tempDir());
});
afterAll(() => cleanup());

function pixel(img: { width: number; pixels: Uint8Array }, x: number, y: number): number[] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return Array.from(img.pixels.subarray(i, i + 3));
}

describe('worldMapSvg', () => {
  it('draws Natural Earth land in the right place and one marker per point', async () => {
    const rng = createRng(1);
    const classes = ['Agriculture', 'Forest', 'Settlement', 'Grassland', 'Other'];
    const points = Array.from({ length: 40 }, (_, i) => ({
      lon: -170 + 340 * rng.next(),
      lat: -50 + 110 * rng.next(),
      label: classes[i % 5],
    }));
    const svg = worldMapSvg(points, { width: 720, title: 'Sampled points by IPCC class' });
    expect(svg.match(/<circle /g)?.length).toBe(40 + 5); // markers + legend swatches
    const img = svgToRgba(svg);
    expect(img.width).toBe(720);
    const top = 36;
    const at = (lon: number, lat: number) =>
      pixel(img, ((lon + 180) * 720) / 360, top + ((90 - lat) * 720) / 360);
    expect(at(23, 10)).toEqual([0xf4, 0xf1, 0xea]); // Chad: land colour
    expect(at(-30, -20)).toEqual([0xdf, 0xea, 0xf3]); // South Atlantic: ocean colour
    await writePlot(join(out, 'world-map'), svg);
    expect(readFileSync(join(out, 'world-map.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('classDistributionSvg', () => {
  it('draws one bar per class and series, heights proportional to counts', async () => {
    const before = { Agriculture: 120, Forest: 80, Settlement: 10, Other: 40 };
    const after = { Agriculture: 60, Forest: 52, Settlement: 25, Other: 40 };
    const single = classDistributionSvg([{ name: 'Original', counts: before }], {
      title: 'Original distribution of IPCC',
    });
    const bars = [
      ...single.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#/g),
    ];
    expect(bars).toHaveLength(4);
    const h = bars.map((b) => Number(b[2]));
    expect(h[0] / h[1]).toBeCloseTo(120 / 80, 1);
    const grouped = classDistributionSvg(
      [
        { name: 'Original', counts: before },
        { name: 'Rebalanced', counts: after },
      ],
      { title: 'Rebalanced distribution of IPCC' },
    );
    expect(grouped).toContain('Rebalanced (177)');
    await writePlot(join(out, 'class-distribution'), grouped);
  });
});

describe('trainingCurvesSvg', () => {
  it('draws each series as a path within the plot area', async () => {
    const loss = Array.from(
      { length: 50 },
      (_, i) => [i, 0.05 * Math.exp(-i / 15) + 0.01] as [number, number],
    );
    const val = Array.from(
      { length: 10 },
      (_, i) => [i * 5, 0.055 * Math.exp(-i / 3) + 0.012] as [number, number],
    );
    const svg = trainingCurvesSvg(
      [
        { name: 'train loss', points: loss },
        { name: 'val loss', points: val, dashed: true },
      ],
      { title: 'Training curves', xLabel: 'epoch', yLabel: 'loss' },
    );
    expect(svg.match(/<path /g)).toHaveLength(2);
    await writePlot(join(out, 'training-curves'), svg);
  });
});

describe('comparison panels and revisit GIFs', () => {
  const scene = synthesizeScene(createRng(4), { size: 156, kind: 'Settlement' });
  const rgb = sceneRgbn(scene).slice(0, 3);
  const hr = new Float32Array(3 * 156 * 156);
  rgb.forEach((b, i) => {
    hr.set(b, i * 156 * 156);
  });
  const lr = new Float32Array(3 * 50 * 50);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 50; y++)
      for (let x = 0; x < 50; x++)
        lr[c * 2500 + y * 50 + x] = hr[c * 156 * 156 + Math.floor(y * 3.12) * 156 + Math.floor(x * 3.12)];

  it('embeds each image with its title and caption', async () => {
    const range: [number, number] = [0, 0.35];
    const svg = comparisonPanelSvg(
      [
        { title: 'LR', image: toRgb8(lr, [3, 50, 50], { range }) },
        {
          title: 'Bicubic',
          caption: 'cPSNR 24.1 dB · cSSIM 0.62',
          image: toRgb8(lr, [3, 50, 50], { range }),
        },
        { title: 'SR', caption: 'cPSNR 27.3 dB · cSSIM 0.78', image: toRgb8(hr, [3, 156, 156], { range }) },
        { title: 'HR', image: toRgb8(hr, [3, 156, 156], { range }) },
      ],
      { title: 'Synthetic-1, chip 4', tileSize: 156 },
    );
    expect(svg.match(/<image /g)).toHaveLength(4);
    expect(svg).toContain('cPSNR 27.3 dB');
    const img = svgToRgba(svg);
    // The HR tile is drawn 1:1: its centre pixel equals the source colour.
    const src = toRgb8(hr, [3, 156, 156], { range });
    const x0 = 12 + 3 * (156 + 12);
    const y0 = 40 + 22;
    const s = (78 * 156 + 78) * 3;
    expect(pixel(img, x0 + 78, y0 + 78)).toEqual(Array.from(src.data.subarray(s, s + 3)));
    await writePlot(join(out, 'comparison-panel'), svg);
  });

  it('encodes a looping GIF with one frame per revisit', async () => {
    const frames = [0, 1, 2].map((k) =>
      toRgb8(
        lr.map((v) => v * (1 + 0.2 * k)),
        [3, 50, 50],
        { range: [0, 0.4] },
      ),
    );
    const gif = revisitsGif(frames, {
      still: toRgb8(hr, [3, 156, 156], { range: [0, 0.35] }),
      size: 128,
      fps: 3,
    });
    const text = Buffer.from(gif).toString('latin1');
    expect(text.startsWith('GIF89a')).toBe(true);
    expect(text).toContain('NETSCAPE2.0');
    expect(text.split('\x21\xf9\x04').length - 1).toBe(3);
    expect(() => revisitsGif([])).toThrow(/at least one/);
    const { writeFileAtomic } = await import('@worldstrat/raster-io/node');
    await writeFileAtomic(join(out, 'revisits.gif'), gif);
  });
});

describe('htmlReport', () => {
  it('escapes text and links images and tables', () => {
    const html = htmlReport(
      'Run <1>',
      [
        { heading: 'Results', table: { header: ['model', 'cPSNR'], rows: [['SRCNN & co', 30.1]] } },
        { heading: 'Map', images: [{ src: 'world-map.png', alt: 'map', caption: 'AOIs' }] },
      ],
      { banner: 'SYNTHETIC DATA' },
    );
    expect(html).toContain('<title>Run &lt;1&gt;</title>');
    expect(html).toContain('<td>SRCNN &amp; co</td>');
    expect(html).toContain('<img src="world-map.png" alt="map">');
    expect(html).toContain('SYNTHETIC DATA');
  });
});
