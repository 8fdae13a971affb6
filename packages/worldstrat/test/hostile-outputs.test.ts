// The files people open (SVG/PNG plots, report HTML, results.md) built from untrusted names: AOI and class names
// from a dataset's CSVs and folders, model names from the user.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BenchmarkRow,
  colorForClass,
  escapeXml,
  generateSyntheticDataset,
  htmlReport,
  plotDatasetPipeline,
  resultsMarkdown,
  svgToPng,
  worldMapSvg,
} from '../src/node.js';
import { tempDir } from './support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('SVG text', () => {
  it('a control character in a name leaves a parseable SVG (U+FFFD in its place)', () => {
    const svg = worldMapSvg([{ lon: 8.5, lat: 47.4, label: 'Forest\u0007', title: 'aoi\u0001\u202Eevil' }]);
    expect(svg).toContain('<title>aoi\uFFFD\uFFFDevil</title>');
    expect(() => svgToPng(svg)).not.toThrow();
  });

  it('a class named like an Object method gets a palette colour', () => {
    for (const label of ['constructor', 'toString', '__proto__'])
      expect(colorForClass(label)).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('escapeXml keeps tab, LF, CR and whole surrogate pairs, and replaces lone surrogates', () => {
    expect(escapeXml('a\tb\nc\r😀<"\uD800x')).toBe('a\tb\nc\r😀&lt;&quot;\uFFFDx');
  });
});

describe('plot dataset with hostile class names', () => {
  it('classes named constructor, __proto__ and one with a control character are plotted and counted', async () => {
    const root = join(dir, 'ds');
    await generateSyntheticDataset(root, { aois: 3, revisits: 2, hrSize: 96, seed: 1 });
    const csv = join(root, 'metadata.csv');
    // one hostile class per AOI (every revisit row of an AOI gets its AOI's class)
    const classes = ['constructor', '__proto__', 'Agri\u0007<b>'];
    const text = readFileSync(csv, 'utf8')
      .split('\n')
      .map((line) => {
        const m = /^Synthetic-(\d+),/.exec(line);
        return m
          ? line.replace(
              /,(Agriculture|Forest|Grassland|Wetland|Settlement|Other|Water|None),/,
              `,${classes[(Number(m[1]) - 1) % 3]},`,
            )
          : line;
      })
      .join('\n');
    writeFileSync(csv, text);
    const out = join(dir, 'plots');
    const r = await plotDatasetPipeline.run({ root, out });
    expect(r.files).toContain('class-distribution.png');
    const bars = readFileSync(join(out, 'class-distribution.svg'), 'utf8');
    expect(bars).toContain('AOIs constructor: 1');
    expect(bars).toContain('AOIs __proto__: 1');
    expect(bars).toContain('AOIs Agri\uFFFD&lt;b&gt;: 1');
    expect(bars).not.toContain('\u0007');
  });
});

describe('results.md', () => {
  const row = (model: string, psnr: number, cssim: number): BenchmarkRow => ({
    model,
    revisits: 8,
    parameters: 1000,
    cpsnr: { worldstrat: psnr, centered: psnr },
    cssim: { worldstrat: cssim, centered: cssim },
    deltaBicubic: { worldstrat: psnr - 30, centered: psnr - 30 },
  });

  it('a | or a line break in a model name stays in its cell; raw HTML is escaped', () => {
    const md = resultsMarkdown([
      row('a | b\n| forged | row', 31, 0.8),
      row('<img src=x onerror=alert(1)>', 32, 0.9),
    ]);
    const lines = md.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe(
      '| a \\| b \\| forged \\| row | 8 | 1,000 | 31.00 | 0.8000 | 31.00 | 0.8000 | +1.00 / +1.00 |',
    );
    expect(lines[3].startsWith('| \\<img src=x onerror=alert(1)\\> |')).toBe(true);
  });

  it('NaN and infinite metrics print as — and ∞, never NaN or Infinity', () => {
    const md = resultsMarkdown([row('HighRes-net', Number.POSITIVE_INFINITY, Number.NaN)]);
    expect(md.split('\n')[2]).toBe('| HighRes-net | 8 | 1,000 | ∞ | — | ∞ | — | +∞ / +∞ |');
    expect(md).not.toMatch(/NaN|Infinity/);
  });
});

describe('report HTML links', () => {
  it('paths are percent-encoded: a javascript: scheme, # or ? in a name stays part of the file name', () => {
    const html = htmlReport('t', [
      {
        heading: 'h',
        images: [{ src: 'panels/a#1?x.png', alt: 'a' }],
        links: [
          { href: 'javascript:alert(1)', text: 'x' },
          { href: 'https://example.com/a?b=1', text: 'y' },
        ],
      },
    ]);
    expect(html).toContain('<img src="panels/a%231%3Fx.png"');
    expect(html).toContain('<a href="javascript%3Aalert(1)">x</a>');
    expect(html).toContain('<a href="https://example.com/a?b=1">y</a>');
    expect(html).not.toContain('href="javascript:');
  });
});
