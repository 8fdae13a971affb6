// Benchmark (run with `pnpm bench` in packages/srnet): HighResNet R=8, batch 8 chips of 12×50×50, 2 threads.
// ONNX Runtime engine vs the same architecture in PyTorch CPU (/usr/bin/python3, bench/highresnet_torch.py),
// interleaved run by run so machine load hits both alike; then tfjs-wasm (if available) and a whole-scene
// number (500×500 LR, 8 revisits, end to end through superResolve).
// Knobs (env): BENCH_ITERS (5), BENCH_BATCH (8), BENCH_SCENE (500), BENCH_SCENE_OVERLAP (25), BENCH_SKIP_TFJS.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../src/engine.js';
import { createOnnxEngine } from '../src/onnx/onnx-engine.node.js';
import { superResolve } from '../src/scene/super-resolve.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { mulberry32 } from '../test/onnx/reference-forward.js';
import { makeRevisit } from '../test/scene/scene-helpers.js';

const ITERS = Number(process.env.BENCH_ITERS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const SCENE = Number(process.env.BENCH_SCENE ?? 500);
const SCENE_OVERLAP = Number(process.env.BENCH_SCENE_OVERLAP ?? 25);
const THREADS = 2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Start the PyTorch server; `run()` times one forward in the Python process. */
async function startTorch(): Promise<{ run: () => Promise<number>; close: () => void; version: string }> {
  const script = fileURLToPath(new URL('./highresnet_torch.py', import.meta.url));
  const proc: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [
    script,
    '--serve',
    '--kind=highresnet',
    '--revisits=8',
    `--batch=${BATCH}`,
    `--threads=${THREADS}`,
    '--warmup=2',
  ]);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`python exited: ${stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    version: String(ready.torch),
    run: async () => {
      proc.stdin.write('go\n');
      return Number((await next()).ms);
    },
    close: () => {
      proc.stdin.write('quit\n');
      proc.stdin.end();
    },
  };
}

async function timeEngine(engine: InferenceEngine, data: Float32Array): Promise<number> {
  const t0 = performance.now();
  await engine.predict({ data, shape: [BATCH, 8, 12, 50, 50] });
  return performance.now() - t0;
}

describe('srnet inference benchmark', () => {
  const fixture = loadParityFixture('highresnet-r8');
  const rand = mulberry32(1);
  const input = Float32Array.from({ length: BATCH * 8 * 12 * 50 * 50 }, () => rand() * 2 - 1);

  it(`HighResNet R=8, batch ${BATCH}×12×50×50, ${THREADS} threads: ONNX Runtime vs PyTorch CPU`, async () => {
    const ort = await createOnnxEngine(fixture, { intraOpNumThreads: THREADS });
    const torch = await startTorch();
    try {
      for (let i = 0; i < 2; i++) await timeEngine(ort, input);
      const ortMs: number[] = [];
      const torchMs: number[] = [];
      for (let i = 0; i < ITERS; i++) {
        ortMs.push(await timeEngine(ort, input));
        torchMs.push(await torch.run());
      }
      const ratio = median(ortMs) / median(torchMs);
      console.log(
        `[srnet bench] HighResNet R=8 batch ${BATCH}, ${THREADS} threads, ${ITERS} interleaved runs: ` +
          `onnxruntime-node ${median(ortMs).toFixed(0)} ms, PyTorch ${torch.version} ${median(torchMs).toFixed(0)} ms ` +
          `→ ORT/PyTorch = ${ratio.toFixed(3)} (target ≤ 0.75)\n  ort ${ortMs.map((t) => t.toFixed(0)).join(' ')}\n  torch ${torchMs.map((t) => t.toFixed(0)).join(' ')}`,
      );
      expect(ratio).toBeGreaterThan(0);
    } finally {
      torch.close();
      ort.dispose();
    }
  });

  it.skipIf(process.env.BENCH_SKIP_TFJS === '1')(
    'tfjs-wasm on the same batch (when the TF.js engine is present)',
    async () => {
      const srnet = (await import('../src/index.js')) as Record<string, unknown>;
      const create = srnet.createTfjsEngine as
        | ((c: unknown, s: unknown, o: { backend: string }) => Promise<InferenceEngine>)
        | undefined;
      if (typeof create !== 'function') {
        console.log('[srnet bench] tfjs-wasm: createTfjsEngine not available in this build; skipped');
        return;
      }
      const engine = await create(fixture.config, fixture.stateDict, { backend: 'wasm' });
      try {
        await timeEngine(engine, input);
        const ms = await timeEngine(engine, input);
        console.log(
          `[srnet bench] tfjs-wasm HighResNet R=8 batch ${BATCH}: ${ms.toFixed(0)} ms (1 run after warm-up)`,
        );
      } finally {
        engine.dispose();
      }
    },
  );

  it(`whole scene: ${SCENE}×${SCENE} LR, 8 revisits, overlap ${SCENE_OVERLAP}, ONNX Runtime ${THREADS} threads`, async () => {
    const ort = await createOnnxEngine(fixture, { intraOpNumThreads: THREADS });
    const scene = Array.from({ length: 8 }, (_, r) =>
      makeRevisit(SCENE, SCENE, (x, y, b) => 0.1 + 0.05 * Math.sin(x / 7 + r) * Math.cos(y / 9) + 0.01 * b),
    );
    try {
      const t0 = performance.now();
      const res = await superResolve(scene, { engine: ort, overlap: SCENE_OVERLAP, batchSize: 8 });
      const s = (performance.now() - t0) / 1000;
      const mp = (res.raster.width * res.raster.height) / 1e6;
      console.log(
        `[srnet bench] whole scene ${SCENE}×${SCENE}×8 revisits → ${res.raster.width}×${res.raster.height} ` +
          `(${res.grid?.count} chips, overlap ${SCENE_OVERLAP}): ${s.toFixed(1)} s end to end, ${(mp / s).toFixed(3)} MP/s of output`,
      );
      expect(res.raster.width).toBe(Math.round(SCENE * 3.12));
    } finally {
      ort.dispose();
    }
  });
});
