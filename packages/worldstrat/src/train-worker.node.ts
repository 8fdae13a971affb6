// Worker-thread entry of `trainInWorkers` (built to dist/train-worker.node.js): opens the dataset, runs
// `trainModel` with the job's options and posts progress, log lines and the outcome to the parent. The parent's
// abort becomes this worker's signal, so training stops at a step boundary with its checkpoints intact.
import { parentPort, workerData } from 'node:worker_threads';
import { openDataset } from '@worldstrat/dataset/node';
import { trainModel } from './pipelines/train-model.node.js';
import type { TrainJob, TrainWorkerMessage } from './pipelines/train-workers.node.js';

const port = parentPort;
if (!port) throw new Error('train-worker.node.js must run as a worker thread (see trainInWorkers)');
const post = (m: TrainWorkerMessage) => port.postMessage(m);
const job = workerData as TrainJob;
const controller = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'abort') controller.abort();
});

async function main(): Promise<void> {
  const dataset = await openDataset(job.root, {
    ...job.open,
    signal: controller.signal,
    onProblem: (p) => post({ type: 'log', message: `skipped: ${p.message}` }),
  });
  const r = await trainModel(
    // one thread per model: data-parallel steps inside a model-parallel worker would oversubscribe the cores
    { ...job.train, dataset, dataParallel: 'off' },
    {
      signal: controller.signal,
      onProgress: (p) => post({ type: 'progress', done: p.done, total: p.total }),
      log: (message) => post({ type: 'log', message }),
    },
  );
  r.model.dispose();
  post({ type: 'done', steps: r.steps, seconds: r.seconds });
}

// not top-level await: the bundle is also built as CommonJS.
main().then(
  () => port.close(),
  (e: unknown) => {
    const err = e as { code?: unknown; name?: string; message?: string };
    post({
      type: 'error',
      ...(typeof err?.code === 'string' ? { code: err.code } : {}),
      ...(err?.name ? { name: err.name } : {}),
      message: err?.message ?? String(e),
    });
    port.close();
  },
);
