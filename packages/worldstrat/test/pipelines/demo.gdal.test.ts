// The demo at small scale (synthetic data, fixed seeds): on the held-out synthetic AOIs the trained models must
// beat the bicubic baseline by ≥ 1 dB and the flat chip-mean reference in centered cPSNR, SRCNN-MF must beat
// SRCNN-SI, and the benchmark must write its table, panels, curves, SR GeoTIFF and report. HighRes-net is left
// out here only to keep CI time small (the full demo trains it). The claims need 120 training steps per model
// (≈ 270 s CPU on a 2-core machine); the output checks run on a cheap config (2 steps, tiny models).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';

// Measured with this config (fixed seeds, demo defaults: noise σ 0.02, no clouds, lr 5e-3 decayed to 0 over the
// 120 steps; README "Demo"): MF − bicubic +7.70 dB, MF − SI +0.76 dB, MF − flat chip-mean reference +2.01 dB,
// SI − flat +1.25 dB. ~4.5 min CPU (sequential: the test runs from sources, where training workers are not used).
const MIN_VS_BICUBIC_DB = 1;
const MIN_MF_VS_FLAT_DB = 0.5;
const MIN_MF_VS_SI_DB = 0.5;

// On by default (issue: the demo's claims are asserted by a test); WORLDSTRAT_DEMO_TEST=0 skips it locally.
const CLAIMS = process.env.WORLDSTRAT_DEMO_TEST !== '0';

const CLAIMS_TITLE =
  'demo claims (small scale; WORLDSTRAT_DEMO_TEST=0 skips) [slow: trains SRCNN and HighRes-net models]';
describe.runIf(CLAIMS)(CLAIMS_TITLE, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let result: DemoResult;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('worldstrat-demo-'));
    result = await runDemo(
      {
        out: join(dir, 'demo'),
        aois: 10,
        models: ['SRCNN-SI', 'SRCNN-MF'],
        hiddenChannels: 16,
        steps: 120,
        batchSize: 4,
        learningRate: 5e-3,
        panels: 1,
      },
      {},
    );
  }, 1_800_000);
  afterAll(() => cleanup());

  it('multi-frame and single-image SRCNN beat bicubic by ≥ 1 dB and the flat reference (centered cPSNR, held-out AOIs)', () => {
    const row = (name: string) => result.rows.find((r) => r.model === name);
    const bicubic = row('Bicubic');
    const flat = row('Flat (chip mean)');
    const si = row('SRCNN-SI');
    const mf = row('SRCNN-MF');
    expect(bicubic && flat && si && mf).toBeTruthy();
    console.log(result.table);
    console.log(JSON.stringify(result.checks));
    expect(result.synthetic).toBe(true);
    expect(result.testChips).toBe(9);
    expect(mf?.revisits).toBe(8);
    expect(si?.revisits).toBe(1);
    const c = (r: typeof mf) => r?.cpsnr.centered ?? Number.NaN;
    expect(c(mf) - c(bicubic)).toBeGreaterThanOrEqual(MIN_VS_BICUBIC_DB);
    expect(c(si) - c(bicubic)).toBeGreaterThanOrEqual(MIN_VS_BICUBIC_DB);
    // learned structure, not just the per-chip mean that the bias-adjusted metrics give a flat image for free
    expect(c(mf) - c(flat)).toBeGreaterThanOrEqual(MIN_MF_VS_FLAT_DB);
    expect(c(si) - c(flat)).toBeGreaterThanOrEqual(MIN_MF_VS_FLAT_DB);
    // the multi-frame model uses the extra revisits: it beats the single-image one
    expect(c(mf) - c(si)).toBeGreaterThanOrEqual(MIN_MF_VS_SI_DB);
    expect(result.checks.multiFrameBeatsBicubicBy1dB).toBe(true);
    expect(result.checks.multiFrameVsFlat).toBeCloseTo(c(mf) - c(flat), 10);
    expect(result.checks.multiFrameVsSingleImage).toBeCloseTo(c(mf) - c(si), 10);
    expect(result.checks.multiFrameBeatsSingleImage).toBe(c(mf) > c(si));
    // deltas in the table are consistent with the rows
    expect(mf?.deltaBicubic.centered).toBeCloseTo(c(mf) - c(bicubic), 10);
  });
});

const OUTPUTS_TITLE = 'demo / benchmark outputs (cheap config: 2 steps, tiny models) [slow: the demo, twice]';
describe(OUTPUTS_TITLE, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let result: DemoResult;
  const logs: string[] = [];
  const config = {
    aois: 10,
    hrSize: 527,
    models: ['SRCNN-SI', 'SRCNN-MF'],
    hiddenChannels: 4,
    steps: 2,
    batchSize: 4,
    panels: 1,
  };
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('worldstrat-demo-'));
    result = await runDemo({ out: join(dir, 'demo'), ...config }, { log: (m) => logs.push(m) });
  }, 600_000);
  afterAll(() => cleanup());

  it('writes the table (Markdown + JSON), panels, curves, SR GeoTIFF and the HTML report', () => {
    expect(result.generatedDataset).toBe(true);
    expect(result.rows.map((r) => r.model)).toEqual(['Bicubic', 'Flat (chip mean)', 'SRCNN-SI', 'SRCNN-MF']);
    for (const r of result.rows) {
      expect(Number.isFinite(r.cpsnr.centered) && Number.isFinite(r.cpsnr.worldstrat)).toBe(true);
      expect(r.cssim.centered).toBeLessThanOrEqual(1);
    }
    expect(result.rows[3].parameters).toBeGreaterThan(result.rows[2].parameters);
    expect(result.rows[3].steps).toBe(2);
    const c = result.checks;
    expect(c.multiFrameVsBicubic).toBeCloseTo(
      result.rows[3].cpsnr.centered - result.rows[0].cpsnr.centered,
      10,
    );
    expect(c.multiFrameBeatsSingleImage).toBe(c.multiFrameVsSingleImage > 0);
    const f = result.files;
    const md = readFileSync(f.table, 'utf8');
    expect(md).toContain('SYNTHETIC');
    expect(md).toContain('| SRCNN-MF | 8 |');
    expect(JSON.parse(readFileSync(f.results, 'utf8')).rows).toHaveLength(4);
    expect(f.panels).toHaveLength(1);
    expect(f.curves).toHaveLength(1); // training loss (2 steps < one epoch: no validation point yet)
    for (const p of [...f.panels, ...f.curves, f.quicklook as string]) {
      expect(readFileSync(p).subarray(1, 4).toString()).toBe('PNG');
    }
    const html = readFileSync(f.report, 'utf8');
    expect(html).toContain('SYNTHETIC');
    for (const p of [...f.panels, ...f.curves]) expect(html).toContain(p.slice(join(dir, 'demo').length + 1));
    expect(existsSync(f.geotiff as string)).toBe(true);
    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', f.geotiff as string], { encoding: 'utf8' }));
      const lr = Math.round((527 * 1.5) / 10);
      expect(info.size).toEqual([Math.round(lr * 3.12), Math.round(lr * 3.12)]);
      expect(info.bands).toHaveLength(3);
    }
  });

  it('a rerun with resume reuses the dataset and the finished models (same numbers, no training)', async () => {
    const again = await runDemo(
      { out: join(dir, 'demo'), ...config, geotiff: false, resume: true },
      { log: (m) => logs.push(m) },
    );
    expect(again.generatedDataset).toBe(false);
    expect(logs.filter((l) => l.includes('reusing finished weights'))).toHaveLength(2);
    expect(again.rows.map((r) => r.cpsnr.centered)).toEqual(result.rows.map((r) => r.cpsnr.centered));
  }, 300_000);
});
