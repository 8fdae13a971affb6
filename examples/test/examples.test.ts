// Runs every example with tiny settings (CI). Each example is also a plain script: `node examples/<name>.mjs`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'worldstrat-examples-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('examples', () => {
  it('sample-and-stratify: samples, classifies, rebalances and draws', async () => {
    const { main } = await import('../sample-and-stratify.mjs');
    const r = await main({ out: join(out, 'ss'), count: 300, target: 30, landScale: '110m' });
    expect(r.points).toBe(300);
    expect(r.drawn).toBe(30);
    expect(r.aois).toBe(30);
  });

  it('cog-window-read: reads a window over HTTP ranges without fetching the whole file', async () => {
    const { main } = await import('../cog-window-read.mjs');
    const r = await main({ out: join(out, 'cog'), size: 768 });
    expect(r.value).toBeCloseTo(r.expected, 6);
    expect(r.fetched).toBeLessThan(r.total);
    expect(r.levels).toBe(3);
  });

  it('metrics: registered scores in both modes', async () => {
    const { main } = await import('../metrics.mjs');
    const r = await main({ size: 64 });
    // The prediction is the target moved by one pixel along x plus a constant: the centered search finds that
    // shift and the bias correction removes the offset, so the score is near-perfect.
    expect(Math.abs(r.centered.shift[1])).toBe(1);
    expect(r.centered.shift[0]).toBe(0);
    expect(r.centered.psnr).toBeGreaterThan(60);
    expect(r.centered.cssim).toBeGreaterThan(0.99);
  });

  it('stac-search: pages through a local STAC API with a cloud filter', async () => {
    const { main } = await import('../stac-search.mjs');
    const r = await main();
    expect(r.items).toBe(6); // 7 items, one at 52 % cloud filtered out, served in 3 pages
    expect(new Set(r.ids).size).toBe(6);
  });

  it('synthetic-dataset: writes, reads and plots a synthetic dataset', async () => {
    const { main } = await import('../synthetic-dataset.mjs');
    const r = await main({ out: join(out, 'syn'), aois: 3, revisits: 2, hrSize: 80 });
    expect(r.aois).toBe(3);
    expect(r.chips % 9).toBe(0);
  });

  it('super-resolve: writes a georeferenced SR GeoTIFF', async () => {
    const { main } = await import('../super-resolve.mjs');
    const r = await main({ out: join(out, 'sr'), hrSize: 120, hidden: 8 });
    expect(r.bands).toBe(3);
    expect(r.epsg).toBe(4326);
    expect(r.width).toBeGreaterThan(18);
  });

  it('train: trains on synthetic chips from the dataset reader and validates against bicubic', async () => {
    const { main } = await import('../train.mjs');
    const t0 = performance.now();
    // 1 training scene = 9 chips = 1 step per epoch; 1 validation scene.
    const r = await main({
      out: join(out, 'train'),
      aois: 10,
      hrSize: 80,
      revisits: 2,
      hidden: 8,
      epochs: 2,
      batchSize: 9,
      trainScenes: 1,
    });
    console.log(`train example: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.steps).toBe(2);
    expect(r.validation).toHaveLength(2);
    expect(Number.isFinite(r.validation[0].psnr)).toBe(true);
    expect(Number.isFinite(r.validation[0].baseline?.psnr)).toBe(true);
  });
});
