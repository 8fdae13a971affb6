// `worldstrat train --data-parallel`: on the wasm backend the steps are shared by worker threads (reported in the
// JSON result) and give the loss of single-thread training; 'off' trains in one thread; bad values are usage
// errors. The workers run @worldstrat/srnet's built worker script (CI builds before testing).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-dp-'));
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
    '--batch-size',
    '4',
    '--steps',
    '2',
    ...extra,
  );

describe('train --data-parallel [slow: trains through the CLI in worker threads]', () => {
  it('shares each step among worker threads with the loss of one thread; off and bad values', async () => {
    const one = await train('one', '--data-parallel', 'off');
    expect(one.code, one.err + one.out).toBe(0);
    const r1 = JSON.parse(one.out);
    expect([r1.steps, r1.dataParallelWorkers]).toEqual([2, 1]);
    const two = await train('two', '--data-parallel', '2');
    expect(two.code, two.err + two.out).toBe(0);
    const r2 = JSON.parse(two.out);
    expect([r2.steps, r2.dataParallelWorkers, r2.microBatchSize]).toEqual([2, 2, 2]);
    // dropout 0.5 (the default) too: each chip's dropout masks do not depend on which worker trains it
    expect(Math.abs(r2.finalLoss - r1.finalLoss)).toBeLessThanOrEqual(1e-5 * Math.abs(r1.finalLoss));
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = await train('bad', '--data-parallel', bad);
      expect(r.code, bad).toBe(2);
      expect(r.out + r.err).toContain(`--data-parallel ${bad}`);
    }
  });

  it('benchmark: --data-parallel N with --workers N is a usage error (one thread per model there)', async () => {
    const r = await cli('benchmark', root, '--out', join(dir, 'b'), '--workers', '2', '--data-parallel', '2');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('--data-parallel 2 with --workers 2');
  });
});
