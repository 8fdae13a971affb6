// `worldstrat eval` (and `train` under read limits) on a dataset with one hostile revisit (an IFD chain that loops on itself, a corrupt deflate
// strip) or under a --max-pixels below the revisits' size: a fast typed failure (exit 4) naming the file, nothing
// written into the dataset; --skip-invalid skips that scene and reports it instead.
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, openDataset } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';
import { corruptFirstBlock, makeSelfLoop } from '../support/tiff-patch.js';

const CONFIG = resolveModelConfig({ kind: 'srcnn', revisits: 2, hiddenChannels: 8, residualLayers: 0 });
/** Well inside the test timeout: a hang would be killed there instead of failing this bound. */
const FAST_MS = 10_000;

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
let weights: string;
let victim: string;
let pristine: string;
let valName: string;
let trainVictim: string;

function listing(): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .map((f) => relative(root, join(root, f)))
    .sort();
}

async function evalVal(...extra: string[]) {
  const t0 = performance.now();
  const r = await cli('eval', root, '--weights', weights, '--split', 'val', '--batch-size', '4', ...extra);
  return { ...r, ms: performance.now() - t0 };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-eval-hostile-'));
  root = join(dir, 'ds');
  // 4 AOIs → 3 train / 1 val; the val scene's first revisit is the one spoiled.
  await generateSyntheticDataset(root, { aois: 4, revisits: 2, hrSize: 264, seed: 5 });
  weights = join(dir, 'w.safetensors');
  writeFileSync(weights, stateDictToSafetensors(initStateDict(CONFIG, { seed: 1 }), CONFIG));
  const ds = await openDataset(root, { revisits: 2 });
  const val = ds.split('csv').val[0];
  if (!val) throw new Error('the synthetic dataset has no val scene');
  victim = val.lrPaths[0] as string;
  valName = val.name;
  trainVictim = ds.split('csv').train[0]?.lrPaths[1] as string;
  pristine = join(dir, 'pristine.tiff');
  copyFileSync(victim, pristine);
}, 120_000);
afterAll(() => cleanup());

describe('eval on hostile revisits', () => {
  it('the untouched dataset evaluates; --max-pixels below a revisit is TOO_LARGE exit 4 naming it', async () => {
    const ok = await evalVal('--json');
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).scenes).toHaveLength(1);
    const before = listing();
    const r = await evalVal('--max-pixels', '1000');
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain('[TOO_LARGE]');
    expect(r.err).toContain(victim);
    expect(r.err).toContain('maxPixels = 1000');
    expect(listing()).toEqual(before);
  }, 60_000);

  it('a self-looping IFD chain → exit 4 naming the file, fast; --skip-invalid skips and reports it', async () => {
    makeSelfLoop(victim);
    try {
      const before = listing();
      const r = await evalVal();
      expect(r.ms).toBeLessThan(FAST_MS);
      expect(r.code, r.err).toBe(4);
      expect(r.err).toContain(victim);
      expect(r.err).toContain('[CORRUPT_TIFF]');
      expect(r.err).toMatch(/IFD loop/);
      expect(listing()).toEqual(before);
      // opted in: the scene is skipped and named; with nothing left to score, eval still fails (no empty scores)
      const none = await evalVal('--skip-invalid');
      expect(none.code, none.err).toBe(4);
      expect(none.err).toContain(`skipped: ${valName}: [CORRUPT_TIFF] ${victim}`);
      expect(none.err).toContain('could be read (all skipped as invalid)');
    } finally {
      copyFileSync(pristine, victim);
    }
  }, 60_000);

  it('a corrupt deflate strip → CORRUPT_BLOCK exit 4 naming the file, nothing written', async () => {
    corruptFirstBlock(victim);
    try {
      const before = listing();
      const r = await evalVal();
      expect(r.ms).toBeLessThan(FAST_MS);
      expect(r.code, r.err).toBe(4);
      expect(r.err).toContain(`[CORRUPT_BLOCK] ${victim}`);
      expect(listing()).toEqual(before);
    } finally {
      copyFileSync(pristine, victim);
    }
  }, 60_000);

  it('--skip-invalid scores the rest of the split and names the skipped revisit', async () => {
    const saved = join(dir, 'train-pristine.tiff');
    copyFileSync(trainVictim, saved);
    makeSelfLoop(trainVictim);
    try {
      const strict = await cli('eval', root, '--weights', weights, '--split', 'train', '--batch-size', '4');
      expect(strict.code, strict.err).toBe(4);
      expect(strict.err).toContain(`[CORRUPT_TIFF] ${trainVictim}`);
      const r = await cli(
        'eval',
        root,
        '--weights',
        weights,
        '--split',
        'train',
        '--batch-size',
        '4',
        '--skip-invalid',
      );
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`[CORRUPT_TIFF] ${trainVictim}`);
      expect(r.out).toContain('train split: 2 scenes (1 skipped as invalid: ');
    } finally {
      copyFileSync(saved, trainVictim);
    }
  }, 60_000);
});

describe('train under read limits', () => {
  it('--max-pixels below the revisits: every scene skipped and named, then UNREADABLE_FILE exit 4; no weights', async () => {
    const out = join(dir, 'train-out');
    const t0 = performance.now();
    const r = await cli(
      'train',
      root,
      '--out',
      out,
      '--model',
      'srcnn-mf',
      '--revisits',
      '2',
      '--hidden',
      '4',
      '--steps',
      '1',
      '--batch-size',
      '2',
      '--max-pixels',
      '1000',
    );
    expect(performance.now() - t0).toBeLessThan(FAST_MS);
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain('[TOO_LARGE]');
    expect(r.err).toContain('maxPixels = 1000');
    expect(r.err).toMatch(/UNREADABLE_FILE\] none of the 3 training scene\(s\)/);
    expect(existsSync(join(out, 'srcnn-mf.safetensors'))).toBe(false);
  }, 60_000);
});
