// Many training workers share one abort listener: `--workers` above Node's default MaxListeners (10) must not
// warn, and an abort still reaches every worker. The workers are a tiny stand-in script (no model training):
// it reports progress, then waits for the pool's abort message and answers ABORTED.

import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainJob, trainInWorkers, WorldStratError } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';

const FAKE_WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
parentPort.postMessage({ type: 'progress', done: 1, total: 10 });
parentPort.on('message', (m) => {
  if (m.type !== 'abort') return;
  parentPort.postMessage({ type: 'log', message: 'stopped ' + workerData.train.spec.name });
  parentPort.postMessage({ type: 'error', code: 'ABORTED', message: 'aborted at a step boundary' });
  process.exit(0);
});
`;

describe('trainInWorkers with many workers [slow: starts 14 TF.js worker threads]', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let script: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('worldstrat-listeners-'));
    script = join(dir, 'fake-worker.mjs');
    writeFileSync(script, FAKE_WORKER);
  });
  afterAll(() => cleanup());

  it('14 workers: one abort listener on the caller signal, no MaxListeners warning, every worker stopped', async () => {
    const n = 14;
    const jobs: TrainJob[] = Array.from({ length: n }, (_, i) => ({
      root: dir,
      open: { revisits: 1 },
      train: {
        spec: { name: `M${i}`, config: { kind: 'srcnn', revisits: 1, hiddenChannels: 8, dropout: 0 } },
        out: dir,
        maxSteps: 10,
      },
    }));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const controller = new AbortController();
    let progressReports = 0;
    const stopped: string[] = [];
    let listenersWhileRunning = -1;
    try {
      const err = await trainInWorkers(
        jobs,
        { workers: n, script },
        {
          signal: controller.signal,
          onProgress: (p) => {
            // Each stand-in worker reports progress once: abort when all of them run.
            if (++progressReports === n) {
              listenersWhileRunning = getEventListeners(controller.signal, 'abort').length;
              controller.abort();
            }
            expect(p.stage).toBe(`train: ${n} models`);
          },
          log: (m) => {
            if (m.startsWith('stopped ')) stopped.push(m);
          },
        },
      ).catch((e) => e);
      expect(err).toBeInstanceOf(WorldStratError);
      expect(err.code).toBe('ABORTED');
      // Let queued 'warning' events (emitted on the next tick) arrive.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('warning', onWarning);
    }
    expect(listenersWhileRunning).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(stopped).toHaveLength(n);
  }, 20_000);
});
