// `train` / `synth` / `demo` before and around training: a finished model in --out is never replaced without
// --resume or --overwrite; output folders that cannot be created are WRITE_FAILED (exit 5) naming them, not raw
// ENOENT/ENOTDIR; a dataset whose scenes all have too few revisits says so instead of blaming the split CSV.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-train-guards-'));
  root = join(dir, 'ds');
  // 4 AOIs → 3 train / 1 val, 2 revisits each (SRCNN-SI trains; SRCNN-MF needs 8)
  await generateSyntheticDataset(root, { aois: 4, revisits: 2, hrSize: 156, seed: 2 });
}, 120_000);
afterAll(() => cleanup());

const trainArgs = (out: string, ...extra: string[]) => [
  '--json',
  'train',
  root,
  '--out',
  out,
  '--model',
  'srcnn-si',
  '--hidden',
  '4',
  '--steps',
  '1',
  '--batch-size',
  '4',
  '--data-parallel',
  'off',
  ...extra,
];

describe('train into an --out that holds a finished model [slow: trains a tiny model a few times]', () => {
  it('is refused (exit 2, naming the files) unless --resume or --overwrite', async () => {
    const out = join(dir, 'run');
    const first = await cli(...trainArgs(out));
    expect(first.code, first.out).toBe(0);
    const weights = join(out, 'srcnn-si.safetensors');
    const before = readFileSync(weights);
    const again = await cli(...trainArgs(out, '--seed', '9'));
    expect(again.code, again.out).toBe(2);
    const e = JSON.parse(again.out).error;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain(
      `--out ${out} already holds a trained SRCNN-SI (${weights}, ${join(out, 'srcnn-si.history.json')}, ${join(out, 'checkpoints', 'srcnn-si')}`,
    );
    expect(e.message).toContain('pass --resume to continue it or --overwrite to replace it');
    expect(readFileSync(weights).equals(before)).toBe(true);

    // another model in the same folder is not in the way
    expect(existsSync(join(out, 'srcnn-mf.safetensors'))).toBe(false);
    const resumed = await cli(...trainArgs(out, '--resume'));
    expect(resumed.code, resumed.out).toBe(0);
    const replaced = await cli(...trainArgs(out, '--seed', '9', '--overwrite'));
    expect(replaced.code, replaced.out).toBe(0);
    expect(readFileSync(weights).equals(before)).toBe(false);
    const history = JSON.parse(readFileSync(join(out, 'srcnn-si.history.json'), 'utf8'));
    expect([history.steps, history.recipe.seed, history.resumedFromStep]).toEqual([1, 9, undefined]);
    expect(readdirSync(join(out, 'checkpoints', 'srcnn-si')).sort()).toEqual([
      'last.history.json',
      'last.safetensors',
    ]);
  }, 300_000);
});

describe('output folders that cannot be created', () => {
  it('train/synth/demo/plot dataset --out under or at a file: WRITE_FAILED (exit 5) naming the folder', async () => {
    const file = join(dir, 'afile');
    writeFileSync(file, 'hi');
    const t = await cli(...trainArgs(file));
    expect(t.code, t.out).toBe(5);
    expect(JSON.parse(t.out).error).toMatchObject({
      code: 'WRITE_FAILED',
      // before the dataset is read (it failed at the first checkpoint, after loading the data)
      message: `cannot create the output folder ${file} (EEXIST): a file stands at that path or above it; give a folder path`,
    });
    const s = await cli('--json', 'synth', join(file, 'ds'), '--aois', '1', '--hr-size', '60');
    expect(s.code, s.out).toBe(5);
    expect(JSON.parse(s.out).error.message).toContain(
      `cannot create the output folder ${join(file, 'ds')} (`,
    );
    const d = await cli('--json', 'demo', '--out', join(file, 'demo'), '--aois', '7', '--steps', '1');
    expect(d.code, d.out).toBe(5);
    expect(JSON.parse(d.out).error.message).toContain(
      `cannot create the output folder ${join(file, 'demo', 'dataset')} (`,
    );
    // plot dataset too, before it reads the dataset or draws anything
    const p = await cli('--json', 'plot', 'dataset', root, '--out', join(file, 'plots'));
    expect(p.code, p.out).toBe(5);
    expect(JSON.parse(p.out).error).toMatchObject({
      code: 'WRITE_FAILED',
      message: expect.stringContaining(`cannot create the output folder ${join(file, 'plots')} (`),
    });
    expect(readFileSync(file, 'utf8')).toBe('hi');
  }, 60_000);
});

describe('a dataset whose scenes all have too few revisits', () => {
  it('train says how many scenes were skipped and how many revisits the model needs', async () => {
    const r = await cli(
      '--json',
      'train',
      root,
      '--out',
      join(dir, 'mf'),
      '--model',
      'srcnn-mf',
      '--hidden',
      '4',
      '--steps',
      '1',
    );
    expect(r.code, r.out).toBe(2);
    const e = JSON.parse(r.out).error;
    expect(e.message).toBe(
      `the train split of ${root} has no usable scene: 4 scene(s) were skipped for too few revisits (Synthetic-1, Synthetic-2, Synthetic-3, …): the model needs 8 L2A revisits per scene`,
    );
    const text = await cli(
      'train',
      root,
      '--out',
      join(dir, 'mf'),
      '--model',
      'srcnn-mf',
      '--hidden',
      '4',
      '--steps',
      '1',
    );
    // no option the CLI does not have (splitMode, allowFewerRevisits) is suggested, here or in the skip lines
    expect(text.err).toContain(
      `skipped: Synthetic-1: 2 L2A revisits in ${join(root, 'lr_dataset', 'Synthetic-1', 'L2A')}, 8 needed`,
    );
    expect(text.err).not.toMatch(/splitMode|'all'|'paper'|allowFewerRevisits/);
  }, 60_000);
});
