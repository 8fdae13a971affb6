// Benchmark (run with `pnpm bench` in packages/srnet): HighResNet R=8, batch 8 chips of 12×50×50, 2 threads.
// ONNX Runtime engine vs the same architecture in PyTorch CPU (/usr/bin/python3, bench/highresnet_torch.py),
// interleaved run by run so machine load hits both alike; then tfjs-wasm (if available). Whole-scene numbers:
// scene-tiling.bench.ts.
// Knobs (env): BENCH_ITERS (5), BENCH_BATCH (8), BENCH_SKIP_TFJS.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../src/engine.js';
import { createOnnxEngine, type OnnxEngineOptions } from '../src/onnx/onnx-engine.node.js';
import { loadParityFixture } from '../test/onnx/fixture-state-dict.js';
import { mulberry32 } from '../test/onnx/reference-forward.js';

const ITERS = Number(process.env.BENCH_ITERS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const THREADS = 2;

const readLoad = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};

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

  it(`HighResNet R=8, batch ${BATCH}×12×50×50, ${THREADS} threads: ONNX Runtime settings vs PyTorch CPU`, async () => {
    // The engine default (optimisation 'all', memory pattern + arena on, 1 inter-op thread) and the
    // alternatives it was chosen over, interleaved run by run with the PyTorch peer.
    const variants: [string, OnnxEngineOptions][] = [
      ['default (all, mem pattern, arena)', {}],
      ['graph optimisation extended', { graphOptimizationLevel: 'extended' }],
      ['no memory pattern', { enableMemPattern: false }],
      ['no spinning', { allowSpinning: false }],
    ];
    const engines: [string, InferenceEngine][] = [];
    for (const [label, o] of variants)
      engines.push([label, await createOnnxEngine(fixture, { intraOpNumThreads: THREADS, ...o })]);
    const torch = await startTorch().catch((e: unknown) => {
      console.log(
        `[srnet bench] PyTorch peer unavailable (${(e as Error).message.trim().split('\n').at(-1)}); ORT only`,
      );
      return null;
    });
    try {
      for (const [, e] of engines) await timeEngine(e, input);
      const times = engines.map(() => [] as number[]);
      const torchMs: number[] = [];
      for (let i = 0; i < ITERS; i++) {
        for (const [k, [, e]] of engines.entries()) times[k]?.push(await timeEngine(e, input));
        if (torch) torchMs.push(await torch.run());
      }
      const peer = torch ? median(torchMs) : Number.NaN;
      const lines = engines.map(([label], k) => {
        const m = median(times[k] as number[]);
        return `  ${label}: ${m.toFixed(0)} ms${torch ? ` → ORT/PyTorch = ${(m / peer).toFixed(3)}` : ''}`;
      });
      console.log(
        `[srnet bench] HighResNet R=8 batch ${BATCH}, ${THREADS} threads, median of ${ITERS} interleaved runs ` +
          `(load ${readLoad()}): ${torch ? `PyTorch ${torch.version} ${peer.toFixed(0)} ms (target ORT ≤ 0.7×)` : 'no PyTorch'}\n${lines.join('\n')}`,
      );
      expect(median(times[0] as number[])).toBeGreaterThan(0);
    } finally {
      torch?.close();
      for (const [, e] of engines) e.dispose();
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
});
