// `train --resume` keeps the history: a run stopped after a checkpoint and resumed records the same history
// (steps, validation, epoch means) as the uninterrupted run, also when the history kept beside the checkpoint is
// newer than it; resuming a finished run reports that run unchanged (history file and result).
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, trainPipeline } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-resume-history-'));
  root = join(dir, 'ds');
  // 4 AOIs → 3 train (7 steps of 4 chips per epoch) / 1 val: validations at steps 7 and 14
  await generateSyntheticDataset(root, { aois: 4, revisits: 1, hrSize: 340, seed: 5 });
}, 120_000);
afterAll(() => cleanup());

/** 16 steps (two validated epochs and part of a third), a checkpoint every 5 steps and at epoch ends. */
const train = (out: string, extra: { resume?: boolean; stopAt?: number } = {}) => {
  const abort = new AbortController();
  return trainPipeline.run(
    {
      root,
      out: join(dir, out),
      spec: { name: 'SRCNN-SI', config: { kind: 'srcnn', revisits: 1, hiddenChannels: 4 } },
      maxSteps: 16,
      batchSize: 4,
      checkpointEvery: 5,
      dataParallel: 'off',
      resume: extra.resume ?? false,
    },
    {
      signal: abort.signal,
      // a kill after step `stopAt`: the last checkpoint is an earlier one
      onProgress: (p) => {
        if (p.done === extra.stopAt) abort.abort();
      },
    },
  );
};
const historyFile = (out: string) =>
  JSON.parse(readFileSync(join(dir, out, 'srcnn-si.history.json'), 'utf8'));
const kept = (out: string) => join(dir, out, 'checkpoints', 'srcnn-si', 'last.history.json');

describe('train --resume keeps the history [slow: trains tiny models several times]', () => {
  let full: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    full = await train('full');
  }, 120_000);

  it('a run stopped after a checkpoint and resumed records the uninterrupted history', async () => {
    const ref = historyFile('full');
    expect(ref.history.steps.map(([s]: number[]) => s)).toEqual([...Array(16).keys()].map((i) => i + 1));
    expect(ref.history.validation.map((v: { step: number }) => v.step)).toEqual([7, 14]);
    // stopped before the first validation (checkpoint of step 5), and after it (step 10)
    for (const stopAt of [6, 12]) {
      const out = `stop-${stopAt}`;
      await expect(train(out, { stopAt })).rejects.toMatchObject({ code: 'ABORTED' });
      const r = await train(out, { resume: true });
      expect(r.resumedFromStep).toBe(stopAt === 6 ? 5 : 10);
      const h = historyFile(out);
      expect(h.history).toEqual(ref.history);
      expect(h.history.epochs[0].loss).toBe(ref.history.epochs[0].loss);
      expect([r.steps, r.finalLoss, r.validation]).toEqual([16, full.finalLoss, full.validation]);
    }
  }, 120_000);

  it('a kept history newer than the checkpoint is cut back to it', async () => {
    await expect(train('newer', { stopAt: 6 })).rejects.toMatchObject({ code: 'ABORTED' });
    // as if killed between the two files: the kept history (the finished run's: step 16, two validations) is
    // newer than the checkpoint of step 5
    copyFileSync(kept('full'), kept('newer'));
    await train('newer', { resume: true });
    expect(historyFile('newer').history).toEqual(historyFile('full').history);
  }, 120_000);

  it('resuming a finished run keeps its history and reports it', async () => {
    const before = historyFile('full');
    for (const dropKept of [false, true]) {
      // without the kept history (a run from before it was kept), the finished run's history file serves
      if (dropKept) rmSync(kept('full'));
      else {
        // the kept history is written before the last checkpoint, the finished one after the last validation:
        // the seconds between count too (made wide here; a few ms made this compare flaky)
        const k = JSON.parse(readFileSync(kept('full'), 'utf8'));
        writeFileSync(kept('full'), JSON.stringify({ ...k, seconds: k.seconds / 2 }));
      }
      const r = await train('full', { resume: true });
      expect(r.resumedFromStep).toBe(16);
      expect(historyFile('full').history).toEqual(before.history);
      expect([r.steps, r.finalLoss, r.validation]).toEqual([16, full.finalLoss, full.validation]);
      expect(r.seconds).toBeGreaterThanOrEqual(before.seconds);
    }
  }, 120_000);
});
