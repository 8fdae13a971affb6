// Long and many-valued inputs stay linear: a 256 KiB argv entry or option value fails as the usual error in
// well under a second (the URL finder and the number check once backtracked quadratically: tens of seconds),
// and plots of tens of thousands of classes are drawn in linear time with a bounded legend, while small plots
// stay byte-identical to what the earlier code drew.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberOption } from '../src/cli/options.js';
import { classDistributionSvg, worldMapSvg } from '../src/index.js';
import { tempDir } from './support/fixtures.js';
import { cli } from './support/run-cli.js';

const KIB_256 = 256 * 1024;
/** Generous: the linear code takes milliseconds, the quadratic code took tens of seconds. */
const FAST_MS = 5000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function timed<T>(f: () => Promise<T> | T): Promise<{ r: T; ms: number }> {
  const t = performance.now();
  const r = await f();
  return { r, ms: performance.now() - t };
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-long-inputs-'));
});
afterAll(() => cleanup());

describe('CLI: URL credentials are found in linear time', () => {
  it('a 256 KiB run of letters in argv fails fast with the usual usage error', async () => {
    const letters = 'a'.repeat(KIB_256);
    const { r, ms } = await timed(() => cli('sample', '--count', letters));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--count aaaa');
    expect(r.err).toContain(': expected an integer');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a 256 KiB run of letters in a --config string value fails fast with the usual error', async () => {
    const cfg = join(dir, 'letters.json');
    writeFileSync(cfg, JSON.stringify({ title: 'b'.repeat(KIB_256) }));
    const missing = join(dir, 'no-such.csv');
    const { r, ms } = await timed(() =>
      cli('plot', 'map', missing, '--out', join(dir, 'm'), '--config', cfg),
    );
    expect(r.code, r.err).toBe(3); // the missing points file: the title was accepted and scanned
    expect(r.err).toContain('no-such.csv');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('still scrubs the password of a URL with a scheme longer than the 32-letter cap', async () => {
    const url = `${'s'.repeat(40)}://alice:Pa55word-long@host.example/x`;
    const r = await cli('sample', '--count', url);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--count ${'s'.repeat(40)}://***@host.example/x: expected an integer`);
    expect(r.err).not.toContain('Pa55word-long');
  });
});

describe('CLI: numbers are checked in linear time', () => {
  const digits = `${'1'.repeat(KIB_256)}x`;

  it('a 256 KiB "1…1x" --area is a usage error, fast', async () => {
    const { r, ms } = await timed(() => cli('aois', 'p.csv', '--out', 'a.csv', '--area', digits));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--area 1111');
    expect(r.err).toContain('1x: expected a number');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a 256 KiB "1…1x" in --bbox and in a --config value is a usage error, fast', async () => {
    const window = ['--from', '2022-06-01', '--to', '2022-06-30', '--stac-url', 'http://127.0.0.1:9/'];
    const bbox = await timed(() => cli('search', ...window, '--bbox', `${digits},0,1,1`));
    expect(bbox.r.code).toBe(2);
    expect(bbox.r.err).toContain('minLon,minLat,maxLon,maxLat');
    expect(bbox.ms).toBeLessThan(FAST_MS);
    const cfg = join(dir, 'area.json');
    writeFileSync(cfg, JSON.stringify({ area: digits }));
    const config = await timed(() => cli('aois', 'p.csv', '--out', 'a.csv', '--config', cfg));
    expect(config.r.code).toBe(2);
    expect(config.r.err).toContain('1x: expected a number');
    expect(config.ms).toBeLessThan(FAST_MS);
  });

  it('accepts exactly the decimal and exponent forms it accepted before', () => {
    const parse = numberOption('x', {});
    for (const [text, n] of [
      ['12', 12],
      ['-0.5', -0.5],
      ['5.', 5],
      ['.5', 0.5],
      ['+3.25E+10', 3.25e10],
      ['1e-05', 1e-5],
      [' 7 ', 7],
    ] as const)
      expect(parse(text)).toBe(n);
    for (const text of ['', '.', '-', 'e5', '.e5', '1.2.3', '1e', '0x10', 'Infinity', 'NaN', '1 2', '--1'])
      expect(() => parse(text), text).toThrow(/expected a number/);
  });
});

describe('plots: small inputs unchanged', () => {
  // hashes of what the earlier (quadratic) code drew for these inputs
  it('bar charts (single and grouped, classes in first-seen order)', () => {
    const single = classDistributionSvg(
      [{ name: 'AOIs', counts: { Forest: 3, Agriculture: 5, 'Bare <x>': 0 } }],
      { title: 'Distribution' },
    );
    const grouped = classDistributionSvg([
      { name: 'A', counts: { b: 1, a: 2 } },
      { name: 'B', counts: { c: 3, a: 1, b: 4 } },
    ]);
    expect(sha256(single)).toBe('afbaea24bebd93086be7bd02a365bc8b25a642f85c8587b571863659867d15cc');
    expect(sha256(grouped)).toBe('e2db48adb036bd67345160200e8b18c61b223013768e7127bd43635efad512da');
    const many = classDistributionSvg([
      {
        name: 'A',
        counts: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${(i * 7) % 300}`, i])),
      },
      {
        name: 'B',
        counts: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i + 150}`, i % 9])),
      },
    ]);
    expect(sha256(many)).toBe('6c152b78712fec9ddf6be681c7210c3a095c7d5baf1a4c124945461448c90649');
  });

  it('world maps up to the legend cap', () => {
    const svg = worldMapSvg(
      [
        { lon: 8.5, lat: 47.3, label: 'Forest', title: 'p1' },
        { lon: -60, lat: -10, label: 'Agriculture', bounds: [-61, -11, -59, -9] },
        { lon: 100, lat: 20, label: 'Forest' },
        { lon: 0, lat: 0 },
        { lon: 30, lat: 10, label: 'Settlement & <town>' },
      ],
      { width: 400, title: 'Points' },
    );
    expect(svg).toContain('>Agriculture (1)</text>');
    expect(svg).toContain('>Forest (2)</text>');
    expect(svg).toContain('>Settlement &amp; &lt;town&gt; (1)</text>');
    expect(svg).toContain('>points (1)</text>');
    expect(sha256(svg)).toBe('f42bd83f55c876851c69a9c927fb87189dcfadff7922afa62ec80f2cefb6d75c');
    const points = Array.from({ length: 200 }, (_, i) => ({
      lon: ((i * 7) % 360) - 180,
      lat: ((i * 3) % 180) - 90,
      label: `class ${i % 64}`,
    }));
    expect(sha256(worldMapSvg(points))).toBe(
      'fdc5571a76b1f2c9df6974c8f88f19839be145ecf8248e3869421984a34c4f08',
    );
  });
});

describe('plots: many classes', () => {
  const K = 65_536;

  it(`a world map of ${K} distinct labels: linear time, legend capped at 64 entries`, async () => {
    const points = Array.from({ length: K }, (_, i) => ({
      lon: (i % 360) - 180,
      lat: (i % 180) - 90,
      label: `c${String(i).padStart(5, '0')}`,
    }));
    points.push({ lon: 0, lat: 0, label: 'c00000' });
    const { r: svg, ms } = await timed(() => worldMapSvg(points, { width: 800 }));
    expect(ms).toBeLessThan(FAST_MS);
    const legend = [...svg.matchAll(/>(c\d{5}) \((\d+)\)<\/text>/g)].map((m) => [m[1], Number(m[2])]);
    expect(legend).toHaveLength(63);
    expect(legend[0]).toEqual(['c00000', 2]);
    expect(legend[62]).toEqual(['c00062', 1]);
    expect(svg).toContain(`>+${K - 63} more (${K - 63} points)</text>`);
    // 16 legend rows below the 400 px map, not 16 384
    expect(svg).toMatch(/^<svg[^>]* height="776"/);
  });
});
