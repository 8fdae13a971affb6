// `worldstrat train --micro-batch-size`: a batch runs in micro-batches of the given size (reported in the JSON
// result), 'auto' (the default) fits the backend's memory budget, and a bad value is a usage error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-micro-'));
  root = join(dir, 'ds');
  await generateSyntheticDataset(root, { aois: 3, revisits: 2, hrSize: 340, seed: 5 });
}, 120_000);
afterAll(() => cleanup());

const train = (out: string, ...extra: string[]) =>
  cli(
    '--json',
    'train',
    root,
    '--out',
    join(dir, out),
    '--model',
    'srcnn-mf',
    '--revisits',
    '2',
    '--hidden',
    '4',
    '--dropout',
    '0',
    '--batch-size',
    '4',
    '--steps',
    '1',
    // one thread: micro-batches of the whole batch (data-parallel shards are tested in train-data-parallel)
    '--data-parallel',
    'off',
    ...extra,
  );

describe('train --micro-batch-size [slow: trains through the CLI several times]', () => {
  it('splits the batch as asked, fits it automatically by default, and rejects bad values', async () => {
    const two = await train('two', '--micro-batch-size', '2');
    expect(two.code, two.err).toBe(0);
    const r2 = JSON.parse(two.out);
    expect([r2.steps, r2.microBatchSize]).toEqual([1, 2]);
    const auto = await train('auto');
    expect(auto.code, auto.err).toBe(0);
    // a 4-chip batch of this tiny model fits wasm's budget whole
    expect(JSON.parse(auto.out).microBatchSize).toBe(4);
    // same data, same seed: the split step gives the same loss as the whole one
    expect(Math.abs(r2.finalLoss - JSON.parse(auto.out).finalLoss)).toBeLessThan(
      1e-4 * Math.abs(r2.finalLoss),
    );
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      const r = await train('bad', '--micro-batch-size', bad);
      expect(r.code, bad).toBe(2);
      // with --json the error is the JSON object on stdout
      expect(r.out + r.err).toContain(`--micro-batch-size ${bad}`);
    }
  }, 120_000);
});
